"""`homeostat fingerprint`: fingerprint errors from JSON lines on stdin or logger issues in files.

    echo '{"type": "TypeError", "message": "x is undefined", "stack": "f@moz-extension://u/a.js:1:2"}' \
        | homeostat fingerprint
    homeostat fingerprint --issue issue1.md --issue issue2.md --group

One JSON line per input with the ErrorFingerprint fields (camelCase); an input that fails gives
`{"line": n, "error": "..."}` (or `{"issue": file, ...}`) and processing continues. `--group`
prints one line per fingerprint instead: id, count and members. Exit 0 when any input succeeded.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from homeostat_core.fingerprint import fingerprint, fingerprint_stack
from homeostat_core.intake import UnparseableIssue, parse_issue
from homeostat_core.models import ErrorFingerprint

MAX_INPUT_LINE_CHARS = 1024 * 1024


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fingerprint",
        help="fingerprint errors (JSON lines on stdin, or logger issues with --issue)",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--issue",
        action="append",
        default=[],
        metavar="FILE",
        help="a logger issue in markdown; title on the first line as '# title' (repeatable)",
    )
    parser.add_argument("--title", help="issue title (when FILE has no '# title' first line; single --issue)")
    parser.add_argument(
        "--label", action="append", default=[], help="issue label, e.g. source:wordpress (repeatable)"
    )
    parser.add_argument("--group", action="store_true", help="print groups (id, count, members) instead")
    parser.set_defaults(func=fingerprint_command)


def fingerprint_command(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    out = stdout or sys.stdout
    if args.title and len(args.issue) != 1:
        print(json.dumps({"error": "--title needs exactly one --issue"}), file=out)
        return 2
    results = list(_from_issues(args) if args.issue else _from_json_lines(stdin or sys.stdin))
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
    return 0 if succeeded else 1


def _from_json_lines(stream: TextIO) -> Iterator[tuple[Any, ErrorFingerprint | dict[str, Any]]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, _fingerprint_json_line(line)
        except ValueError as exc:
            yield number, {"line": number, "error": str(exc)}


def _fingerprint_json_line(line: str) -> ErrorFingerprint:
    if len(line) > MAX_INPUT_LINE_CHARS:
        raise ValueError(f"line is over {MAX_INPUT_LINE_CHARS} characters")
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    for key in ("type", "message", "stack"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise ValueError(f"'{key}' must be a string")
    if not data.get("type") and not data.get("message"):
        raise ValueError("needs at least one of 'type' and 'message'")
    return fingerprint_stack(data.get("type"), data.get("message"), data.get("stack"))


def _from_issues(args: argparse.Namespace) -> Iterator[tuple[Any, ErrorFingerprint | dict[str, Any]]]:
    for name in args.issue:
        try:
            title, body = _read_issue(Path(name), args.title)
            yield name, fingerprint(parse_issue(title, body, args.label))
        except UnparseableIssue as exc:
            yield name, {"issue": name, "error": exc.reason, "code": exc.code}
        except (OSError, ValueError) as exc:
            yield name, {"issue": name, "error": str(exc)}


def _read_issue(path: Path, title: str | None) -> tuple[str, str]:
    text = path.read_text(encoding="utf-8")
    first, _newline, rest = text.partition("\n")
    if title is not None:
        return title, text
    stripped = first.strip()
    if stripped.startswith("# "):
        return stripped[2:].strip(), rest
    raise ValueError(
        f"{path}: no title: start the file with '# [Product] ErrorType: message' or pass --title"
    )


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
