"""`homeostat patterns list|export FILE|import FILE`: the pattern library as the seed's library.json."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from homeostat_core.commands._errors import EXIT_PROBLEMS, CliError
from homeostat_core.commands._state import add_state_option, open_state
from homeostat_core.commands.attempts import format_table
from homeostat_core.patterns.library_json import export_library, import_library
from homeostat_core.patterns.matcher import on_probation
from homeostat_core.ports import clock_for
from homeostat_core.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "patterns", help="list, export or import the fix patterns Homeostat has learned"
    )
    sub = parser.add_subparsers(dest="patterns_command", metavar="ACTION", required=True)
    listing = sub.add_parser(
        "list", help="one row per learned pattern: the error it fixes, its file, how far it is trusted"
    )
    listing.set_defaults(func=list_command)
    add_state_option(listing)
    export = sub.add_parser("export", help="write every pattern to FILE (library.json format; - = stdout)")
    export.add_argument("file", metavar="FILE", help="the library.json to write (- for standard output)")
    export.set_defaults(func=export_command)
    add_state_option(export)
    imp = sub.add_parser(
        "import", help="load FILE (library.json format; - = stdin); nothing is written if any entry is bad"
    )
    imp.add_argument("file", metavar="FILE", help="the library.json to read (- for standard input)")
    imp.set_defaults(func=import_command)
    add_state_option(imp)


def list_command(args: argparse.Namespace) -> int:
    with open_state(args) as state:
        patterns = state.patterns.all()
    if not patterns:
        print("pattern library is empty")
        return 0
    header = ("id", "errorType", "filePath", "successRate", "uses", "status", "trust")
    rows = [
        (
            p.pattern_id,
            p.error_type,
            p.file_path,
            f"{p.success_rate:.3f}",
            str(p.use_count),
            p.status,
            trust(p),
        )
        for p in patterns
    ]
    print(format_table(header, rows))
    return 0


def export_command(args: argparse.Namespace) -> int:
    target = Path(args.file)
    if args.file != "-":
        # Checked before the state is read: a typo costs nothing.
        if target.is_dir():
            raise CliError(f"{target} is a folder", f"name a file in it, e.g. {target / 'library.json'}")
        if not target.parent.is_dir():
            raise CliError(
                f"cannot write {target}: the folder {target.parent} does not exist",
                f"create it first (mkdir -p {target.parent}) or choose another path",
            )
    with open_state(args) as state:
        library = export_library(state.patterns, clock_for(get_settings().clock_offset_hours).now())
    text = json.dumps(library, indent=2, ensure_ascii=False) + "\n"
    if args.file == "-":
        sys.stdout.write(text)
    else:
        target.write_text(text, encoding="utf-8")
        print(f"exported {library['metadata']['totalPatterns']} pattern(s) to {args.file}")
    return 0


def import_command(args: argparse.Namespace) -> int:
    path = "<stdin>" if args.file == "-" else Path(args.file)
    try:
        text = sys.stdin.read() if args.file == "-" else path.read_text(encoding="utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", "check the path (or pass - to read stdin)") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder", "pass a library.json file") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "pass a file written by `homeostat patterns export` (the seed's library.json format)",
        ) from None
    except OSError as exc:
        raise CliError(f"{path}: cannot be read: {exc.strerror}") from None
    with open_state(args) as state:
        result = import_library(state.patterns, data)
    if not result.ok:
        for problem in result.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(f"{len(result.problems)} problem(s); nothing imported", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"imported {result.imported} pattern(s) from {path}")
    return 0


def trust(pattern) -> str:
    """Why a pattern may or may not be applied at $0 (patterns.matcher: probation)."""
    if pattern.verified_at is not None:
        return "verified"
    return "probation" if on_probation(pattern) else f"merged-{pattern.merges}x"
