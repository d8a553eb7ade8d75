"""`homeostat fingerprint`: fingerprint errors from JSON lines on stdin or logger issues in files.

    echo '{"type": "TypeError", "message": "x is undefined", "stack": "f@moz-extension://u/a.js:1:2"}' \\
        | homeostat fingerprint
    homeostat fingerprint --issue examples/issues/notebridge/01-analytics-shim.md --group
    homeostat fingerprint --maps build/ --issue report.md

JSON keys: `type` (or `errorType`, the key this command prints), `message`, `stack`; any other
key is an error. Issue files: the examples' format (YAML front matter with title and labels) or a
`# title` first line. `--maps DIR` symbolicates in-app frames first (maps laid out by path:
DIR/dist/background.js.map). One JSON line per input with the ErrorFingerprint fields
(camelCase); an input that fails gives `{"line": n, "error": "..."}` (or `{"issue": file, ...}`)
and processing continues. `--group` prints one line per fingerprint instead: id, count and
members. Exit 0 when any input succeeded, 3 when none could be used (or --maps is not a folder),
2 for bad flags.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from homeostat_core.commands._errors import EXIT_INPUT, EXIT_OK, EXIT_USAGE, CliError
from homeostat_core.fingerprint import fingerprint
from homeostat_core.intake import UnparseableIssue, parse_issue, parse_stack
from homeostat_core.intake.issue_file import read_issue_markdown
from homeostat_core.models import ErrorFingerprint, ErrorReport, Source
from homeostat_core.ports import SourceMapStore

MAX_INPUT_LINE_CHARS = 1024 * 1024
# The JSON input's keys; `errorType` is accepted because it is what this command prints.
_TYPE_KEYS = ("type", "errorType")
_JSON_KEYS = frozenset({*_TYPE_KEYS, "message", "stack"})

Inputs = Iterator[tuple[Any, ErrorReport | dict[str, Any]]]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fingerprint",
        help="show how errors are identified and grouped (JSON lines on stdin, or issues with --issue)",
        description="Print the fingerprint Homeostat gives each error (the id that groups reports of the "
        "same bug), from JSON lines on standard input or from logger issues (--issue FILE).",
    )
    add_input_arguments(parser)
    parser.add_argument(
        "--group",
        action="store_true",
        help="print one line per group instead (fingerprint, how many errors, which ones)",
    )
    parser.set_defaults(func=fingerprint_command)


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """--issue/--title/--label/--maps, shared with `homeostat symbolicate`."""
    parser.add_argument(
        "--issue",
        action="append",
        default=[],
        metavar="FILE",
        help="a logger issue in markdown: YAML front matter (title, labels) or a '# title' first line (repeatable)",
    )
    parser.add_argument("--title", help="the issue's title, when FILE has none (with a single --issue)")
    parser.add_argument(
        "--label", action="append", default=[], help="issue label, e.g. source:wordpress (repeatable)"
    )
    parser.add_argument(
        "--maps",
        metavar="DIR",
        help="a folder of source maps laid out like the extension (DIR/dist/background.js.map), to map "
        "minified frames back to the original files first",
    )


def fingerprint_command(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    out = stdout or sys.stdout
    problem = check_input_arguments(args)
    if problem:
        print(json.dumps({"error": problem.what}), file=out)
        return problem.exit_code
    maps = source_maps(args)
    results: list[tuple[Any, ErrorFingerprint | dict[str, Any]]] = []
    for member, report in read_inputs(args, stdin or sys.stdin):
        if isinstance(report, ErrorReport):
            results.append((member, fingerprint(_symbolicated(report, maps))))
        else:
            results.append((member, report))
    succeeded = [(member, fp) for member, fp in results if isinstance(fp, ErrorFingerprint)]
    if args.group:
        for line in _groups(succeeded):
            print(json.dumps(line), file=out)
        for _member, error in results:
            if isinstance(error, dict):
                print(json.dumps(error), file=out)
    else:
        for _member, result in results:
            print(json.dumps(result.to_json() if isinstance(result, ErrorFingerprint) else result), file=out)
    return EXIT_OK if succeeded else EXIT_INPUT


def check_input_arguments(args: argparse.Namespace) -> CliError | None:
    """Flags that do not fit together (exit 2) or a --maps that is no folder (exit 3)."""
    if args.title and len(args.issue) != 1:
        return CliError("--title needs exactly one --issue", exit_code=EXIT_USAGE)
    if args.maps and not Path(args.maps).is_dir():
        return CliError(f"--maps {args.maps}: not a directory", exit_code=EXIT_INPUT)
    return None


def source_maps(args: argparse.Namespace) -> SourceMapStore | None:
    if not args.maps:
        return None
    # lazy: boto3's S3 client only for this command
    from homeostat_core.adapters.source_maps import DirectorySourceMaps

    return DirectorySourceMaps(args.maps)


def _symbolicated(report: ErrorReport, maps: SourceMapStore | None) -> ErrorReport:
    if maps is None:
        return report
    # lazy: symbolic (native) loads only for this command
    from homeostat_core.symbolication import symbolicate

    return symbolicate(report, maps)[0]


def read_inputs(args: argparse.Namespace, stdin: TextIO) -> Inputs:
    """(member, ErrorReport) per input, or (member, error dict) for one that cannot be read."""
    return _from_issues(args) if args.issue else _from_json_lines(stdin)


def _from_json_lines(stream: TextIO) -> Inputs:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, _report_from_json_line(line)
        except ValueError as exc:
            yield number, {"line": number, "error": str(exc)}


def _report_from_json_line(line: str) -> ErrorReport:
    if len(line) > MAX_INPUT_LINE_CHARS:
        raise ValueError(f"line is over {MAX_INPUT_LINE_CHARS} characters")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    unknown = sorted(key for key in data if key not in _JSON_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}: the keys are type (or errorType), message, stack")
    for key in _JSON_KEYS:
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise ValueError(f"'{key}' must be a string")
    types = {data[key] for key in _TYPE_KEYS if data.get(key)}
    if len(types) > 1:
        raise ValueError("'type' and 'errorType' disagree; give one of them")
    error_type = types.pop() if types else ""
    message = data.get("message") or ""
    if not error_type and not message:
        raise ValueError("needs at least one of 'type' (or 'errorType') and 'message'")
    stack = data.get("stack") or ""
    return ErrorReport(Source.EXTENSION, "unknown", error_type, message, stack, parse_stack(stack))


def _from_issues(args: argparse.Namespace) -> Inputs:
    for name in args.issue:
        try:
            text = Path(name).read_text(encoding="utf-8")
            if args.title and not text.startswith("---"):
                title, body, labels = args.title, text, ()  # the whole file is the body
            else:
                issue = read_issue_markdown(text, name)
                title, body, labels = args.title or issue.title, issue.body, issue.labels
            yield name, parse_issue(title, body, [*labels, *args.label])
        except UnparseableIssue as exc:
            yield name, {"issue": name, "error": exc.reason, "code": exc.code}
        except OSError as exc:
            yield name, {"issue": name, "error": f"{name}: {exc.strerror or exc}"}
        except (ValueError, UnicodeDecodeError) as exc:
            yield name, {"issue": name, "error": str(exc)}


def _groups(results: list[tuple[Any, ErrorFingerprint]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for member, fp in results:
        group = groups.setdefault(
            fp.id,
            {"id": fp.id, "count": 0, "errorType": fp.error_type, "filePath": fp.file_path, "members": []},
        )
        group["count"] += 1
        group["members"].append(member)
    return sorted(groups.values(), key=lambda g: (-g["count"], g["id"]))
