"""`homeostat patterns list|export FILE|import FILE`: the pattern library as the seed's library.json."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from homeostat_core.commands._state import add_state_option, open_state
from homeostat_core.commands.attempts import format_table
from homeostat_core.patterns.library_json import export_library, import_library


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("patterns", help="list, export or import the pattern library")
    sub = parser.add_subparsers(dest="patterns_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="one row per pattern")
    listing.set_defaults(func=list_command)
    add_state_option(listing)
    export = sub.add_parser("export", help="write every pattern to FILE (library.json format; - = stdout)")
    export.add_argument("file", metavar="FILE")
    export.set_defaults(func=export_command)
    add_state_option(export)
    imp = sub.add_parser(
        "import", help="load FILE (library.json format); nothing is written if any entry is bad"
    )
    imp.add_argument("file", metavar="FILE")
    imp.set_defaults(func=import_command)
    add_state_option(imp)


def list_command(args: argparse.Namespace) -> int:
    with open_state(args) as state:
        patterns = state.patterns.all()
    if not patterns:
        print("pattern library is empty")
        return 0
    header = ("id", "errorType", "filePath", "successRate", "uses", "status")
    rows = [
        (p.pattern_id, p.error_type, p.file_path, f"{p.success_rate:.3f}", str(p.use_count), p.status)
        for p in patterns
    ]
    print(format_table(header, rows))
    return 0


def export_command(args: argparse.Namespace) -> int:
    with open_state(args) as state:
        library = export_library(state.patterns)
    text = json.dumps(library, indent=2, ensure_ascii=False) + "\n"
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"exported {library['metadata']['totalPatterns']} pattern(s) to {args.file}")
    return 0


def import_command(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"{path}: not found", file=sys.stderr)
        return 1
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"{path}: not a readable JSON file: {exc}", file=sys.stderr)
        return 1
    with open_state(args) as state:
        result = import_library(state.patterns, data)
    if not result.ok:
        for problem in result.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(f"{len(result.problems)} problem(s); nothing imported", file=sys.stderr)
        return 1
    print(f"imported {result.imported} pattern(s) from {path}")
    return 0
