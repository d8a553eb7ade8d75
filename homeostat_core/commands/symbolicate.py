"""`homeostat symbolicate --maps DIR`: print the frames of errors as symbolication resolves them.

    homeostat symbolicate --maps tests/fixtures/sourcemaps/v1.0.0 \\
        --issue tests/fixtures/sourcemaps/v1.0.0/issue.md

Input as for `homeostat fingerprint` (JSON lines on stdin, or --issue files). One JSON line per
input: the frames (function, path, line, column, inApp; `minified` holds the frame as filed when
a map changed it) and the stats (frames symbolicated, frames left minified, maps skipped and
why). Exit 0 when any input was read, 3 when none could be (or --maps is not a folder), 2 for
bad flags.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from homeostat_core.commands._errors import EXIT_INPUT, EXIT_OK, EXIT_USAGE, CliError
from homeostat_core.commands.fingerprint import (
    add_input_arguments,
    check_input_arguments,
    read_inputs,
    source_maps,
)
from homeostat_core.models import ErrorReport, StackFrame


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "symbolicate",
        help="show errors' stack frames mapped back to the original files (--maps DIR)",
        description="Print the stack frames of errors (JSON lines on standard input, or --issue files) as "
        "source maps resolve them, and which maps could not be used and why.",
    )
    add_input_arguments(parser)
    parser.set_defaults(func=symbolicate_command)


def symbolicate_command(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    # lazy: symbolic (native) loads only for this command
    from homeostat_core.symbolication import symbolicate

    out = stdout or sys.stdout
    problem = check_input_arguments(args) or (
        None if args.maps else CliError("--maps DIR is required", exit_code=EXIT_USAGE)
    )
    if problem:
        print(json.dumps({"error": problem.what}), file=out)
        return problem.exit_code
    maps = source_maps(args)
    succeeded = False
    for member, report in read_inputs(args, stdin or sys.stdin):
        if not isinstance(report, ErrorReport):
            print(json.dumps(report), file=out)
            continue
        resolved, stats = symbolicate(report, maps)
        succeeded = True
        frames = [_frame_json(new, old) for new, old in zip(resolved.frames, report.frames, strict=True)]
        print(json.dumps({"input": member, "frames": frames, "stats": stats.to_json()}), file=out)
    return EXIT_OK if succeeded else EXIT_INPUT


def _frame_json(frame: StackFrame, filed: StackFrame) -> dict[str, Any]:
    data: dict[str, Any] = {
        "function": frame.function,
        "path": frame.path,
        "line": frame.line,
        "column": frame.column,
        "inApp": frame.in_app,
    }
    if frame is not filed:
        data["minified"] = {
            "function": filed.function,
            "path": filed.path,
            "line": filed.line,
            "column": filed.column,
        }
    return data
