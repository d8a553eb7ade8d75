"""Stack-trace parser: V8 (Chrome, Edge, Node, Opera 15+), SpiderMonkey (Firefox), JavaScriptCore
(Safari, React Native), legacy Opera and IE, PHP and Python tracebacks.

Frames come out innermost first (the throwing frame first), whatever order the engine prints.
Work is bounded: the text is cut at MAX_STACK_CHARS, over-long lines are skipped and parsing stops
after MAX_FRAMES frames, so a hostile 10 MB "stack" costs about as much as a normal one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from homeostat_core.fingerprint_legacy.v2026_12.paths import location_facts
from homeostat_core.intake._construct import positional_constructor
from homeostat_core.models import StackFrame

MAX_FRAMES = 50
MAX_LINE_CHARS = 2000
MAX_STACK_CHARS = 256 * 1024
_MAX_RAW_CHARS = 500

# Locations V8 prints that are not files but still mark a real frame.
_V8_SPECIAL_LOCATIONS = frozenset({"native", "native code", "<anonymous>", "eval code", "unknown location"})
# Names error trackers print for a frame without a function (Python's None, JSON's null).
_NO_NAMES = frozenset({"()", "(null)", "?", "None", "null", "undefined"})

# fn@location, where fn may contain a quoted part holding "@" (obj["@fn"]).
_GECKO = re.compile(r'^((?:[^@"]*"[^"]*")*[^@"]*)@(.*)$')
# Innermost "(url:line:col)" inside V8's "eval at f (eval at g (url:1:2)), <anonymous>:3:4".
_EVAL_ORIGIN = re.compile(r"\(([^()]+)\)")
_LOCATION_ONLY = re.compile(r"^[^\s@()]+:\d+(?::\d+)?$")
_BARE_NAME = re.compile(r"^(?:[A-Za-z_$][\w$.]*|eval code|global code|module code)$")
_ERRORISH_NAME = re.compile(r"(?:Error|Exception|Warning)$")
_OPERA_LINKED = re.compile(
    r"^(?:\.\.\.\s*)?Line (\d+) of (?:linked|inline#\d+|function|eval) script(?: in)? (\S+?)(?:: In function (\S+))?$"
)
_OPERA_CALLED = re.compile(
    r"^(?:Error thrown at|called from) line (\d+), column (\d+) in (?:(.+?)\(.*?\) in )?(\S+?):?$"
)
_PHP = re.compile(r"^#\d+\s+(?:(\[internal function\])|(.+?)\((\d+)\))(?::\s*(.*))?$")
_PYTHON = re.compile(r'^File "(.+?)", line (\d+)(?:, in (.+))?$')
# Firefox devtools console: "fn moz-extension://uuid/x.js:425" (function, space, URL:line[:col]).
_CONSOLE = re.compile(r"^([A-Za-z_$][\w$.<>/]*) ([a-z][\w+.-]*://\S+?):(\d+)(?::(\d+))?$")
# Legacy Safari extension locations wrap the URL: "safari-extension:(//id/hash/x.js:1:2)".
_WRAPPED_LOCATION = re.compile(r"^([a-z][\w+.-]*):\((//[^()]*)\)$")
# Where a Python traceback's frames are Python code (then it is printed outermost first).
_PYTHON_FILE = re.compile(r"(?:\.py|^<[^>]*>)$")
# Fast path: the two commonest frame shapes in one C-level match; anything else takes the full
# per-format parsers below (same results, checked by tests).
_FAST_V8 = re.compile(r"at (?:async )?(?:([^()]*) \(([^()\s]*):(\d+):(\d+)\)|(\S*):(\d+):(\d+))$")
_FAST_GECKO = re.compile(r"([\w$.]*)@(\S*):(\d+):(\d+)$")
_CALL_ARGS = re.compile(r"\(.*\)$")
# "TypeError: message" (a header line, or a message that happens to contain "@").
_HEADER = re.compile(r"^[A-Za-z_$][\w$.]*: ")


def parse_stack(
    text: str | None, until: Callable[[StackFrame], bool] | None = None
) -> tuple[StackFrame, ...]:
    """Parse every frame line of a stack trace; lines that are not frames are ignored.

    Returns an empty tuple when nothing in `text` looks like a frame. `until(frame)`, called on
    each frame in order, may end parsing early by returning True — unless the trace turns out
    to need every frame (bare JavaScriptCore names, Python's reversed order), when it is ignored.
    """
    if not text:
        return ()
    if until is not None and 'File "' in text:
        until = None  # a Python frame further down may reverse the whole order
    frames: list[StackFrame] = []
    bare: list[int] = []  # indexes of bare-name frames (kept only for JavaScriptCore-style traces)
    saw_gecko = python_code = False
    for raw_line in text[:MAX_STACK_CHARS].splitlines():
        line = raw_line.strip()
        if not line or len(line) > MAX_LINE_CHARS:
            continue
        if line.startswith("at "):
            fast = _FAST_V8.match(line)
        else:
            fast = _FAST_GECKO.match(line)
            saw_gecko = saw_gecko or fast is not None
        if fast is not None:
            frame = _fast_frame(fast.groups(), line)
            frames.append(frame)
            if len(frames) >= MAX_FRAMES or (until is not None and until(frame)):
                break
            continue
        frame, kind = _parse_line(line)
        if frame is None:
            continue
        if kind == "bare":
            bare.append(len(frames))
            until = None  # whether bare names stay depends on lines further down
        elif kind == "gecko":
            saw_gecko = True
        elif kind == "python":
            python_code = python_code or bool(frame.file and _PYTHON_FILE.search(frame.file))
            until = None  # the order is only known at the end
        if frame.line is None and frames and frames[-1].raw.endswith(f"(error: {frame.file})"):
            continue  # a loader's "(error: url)" followed by "at (error: url)": one frame
        frames.append(frame)
        if len(frames) >= MAX_FRAMES or (until is not None and until(frame)):
            break
    if bare and not saw_gecko:
        dropped = set(bare)
        frames = [f for i, f in enumerate(frames) if i not in dropped]
    if python_code:
        # Python prints the outermost call first; error trackers print JavaScript frames in the
        # Python shape but innermost first, so the files decide, not the shape.
        frames.reverse()
    return tuple(frames)


def _fast_frame(groups: tuple[str | None, ...], line: str) -> StackFrame:
    if len(groups) == 4:
        function, file, lineno, column = groups
    elif groups[1] is not None:
        function, file, lineno, column = groups[:4]
    else:
        function, file, lineno, column = None, *groups[4:]
    path, in_app = location_facts(file)
    return _new_frame(function or None, file, int(lineno), int(column), path, in_app, line[:_MAX_RAW_CHARS])  # type: ignore[arg-type]


def _parse_line(line: str) -> tuple[StackFrame | None, str]:
    first = line[0]
    if first == "a" and line.startswith("at "):
        return _v8(line), "v8"
    if first == "#" and len(line) > 1 and line[1].isdigit():
        return _php(line), "php"
    if first == "F" and line.startswith('File "'):
        return _python(line), "python"
    if "@" in line:
        if line.startswith("Error created at "):
            return None, ""  # Opera repeats where the Error object was made
        return _gecko(line), "gecko"
    if first == "(" and line.startswith("(error: ") and line.endswith(")"):
        return _v8("at " + line), "loader"
    if line == "[native code]":
        return make_frame(None, "[native code]", None, None, line), "native"
    if "Line " in line or "line " in line:
        return _opera(line), "opera"
    if "://" in line and " " in line:
        match = _CONSOLE.match(line)
        if match:
            function, file, lineno, column = match.groups()
            return make_frame(function, file, int(lineno), int(column) if column else None, line), "console"
        return None, ""
    if _LOCATION_ONLY.match(line):
        file, lineno, column = split_location(line)
        return make_frame(None, file, lineno, column, line), "location"
    if _BARE_NAME.match(line) and not _ERRORISH_NAME.search(line):
        return make_frame(line, None, None, None, line), "bare"
    return None, ""


def make_frame(
    function: str | None, file: str | None, line: int | None, column: int | None, raw: str = ""
) -> StackFrame:
    """A StackFrame with `path` and `in_app` derived from `file` (also for callers that already
    hold structured frames, e.g. Sentry-style JSON)."""
    if function:
        function = function.strip()
        if function in _NO_NAMES:
            function = None
    path, in_app = location_facts(file)
    return _new_frame(function or None, file, line, column, path, in_app, raw[:_MAX_RAW_CHARS])


# StackFrame(...) with the fields in declaration order; see _construct.py for why.
_new_frame = positional_constructor(
    StackFrame, ("function", "file", "line", "column", "path", "in_app", "raw")
)


def split_location(location: str) -> tuple[str, int | None, int | None]:
    """`url:line:col` → (url, line, col); either number may be missing."""
    location = location.strip()
    head, sep, tail = location.rpartition(":")
    if not sep or not tail.isdigit():
        return location, None, None
    head2, sep2, tail2 = head.rpartition(":")
    if sep2 and tail2.isdigit():
        return head2, int(tail2), int(tail)
    return head, int(tail), None


def _v8(line: str) -> StackFrame | None:
    body = line[3:].strip()
    if body.startswith("async "):
        body = body[6:]
    function: str | None = None
    location = body
    if body.endswith(")"):
        start = _matching_open(body)
        if start >= 0:
            function = body[:start].strip() or None
            location = body[start + 1 : -1]
    if location.startswith("eval at "):
        origins = _EVAL_ORIGIN.findall(location)
        location = origins[-1] if origins else location.rpartition(", ")[2]
    elif location.startswith(("async ", "error: ")):
        location = location.partition(" ")[2]  # "(async https://…)", loader "(error: https://…)"
    elif location.endswith(")"):
        location = _unwrap(location)
    file, lineno, column = split_location(location)
    if (
        lineno is None
        and file not in _V8_SPECIAL_LOCATIONS
        and not file.startswith("index ")
        and "://" not in file  # "at None (moz-extension://…/popup.html)": a page, no line
    ):
        return None  # "at least one ..." in a message, not a frame
    if file.startswith("index "):  # Promise.all (index 0)
        file = "native"
    return make_frame(function, file, lineno, column, line)


def _matching_open(body: str) -> int:
    """Index of the "(" that opens the final ")" group, or -1."""
    if body.count("(") == 1:
        return body.find("(")
    depth = 0
    for i in range(len(body) - 1, -1, -1):
        char = body[i]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _gecko(line: str) -> StackFrame | None:
    match = _GECKO.match(line)
    if not match:
        return None
    function, location = match.group(1).strip(), match.group(2).strip()
    if location.endswith(")"):
        location = _unwrap(location)
    if _HEADER.match(function):
        return None  # "Error: bad email a@b.c" is a message, not a frame
    if location == "[native code]":
        return make_frame(_strip_args(function), location, None, None, line)
    file, lineno, column = split_location(location)
    if lineno is None and "/" not in file:
        return None
    return make_frame(_strip_args(function), file, lineno, column, line)


def _unwrap(location: str) -> str:
    """`safari-extension:(//id/x.js:1:2)` → `safari-extension://id/x.js:1:2`; others unchanged."""
    match = _WRAPPED_LOCATION.match(location)
    return f"{match.group(1)}:{match.group(2)}" if match else location


def _strip_args(function: str) -> str | None:
    """Old Firefox and Opera print arguments: `bar(1)`, `foo([arguments not available])`."""
    if function.endswith(")") and not function.startswith("("):
        function = _CALL_ARGS.sub("", function, count=1) if "(" in function else function
    return function or None


def _opera(line: str) -> StackFrame | None:
    match = _OPERA_LINKED.match(line)
    if match:
        return make_frame(match.group(3), match.group(2), int(match.group(1)), None, line)
    match = _OPERA_CALLED.match(line)
    if match:
        return make_frame(match.group(3), match.group(4), int(match.group(1)), int(match.group(2)), line)
    return None


def _php(line: str) -> StackFrame | None:
    match = _PHP.match(line)
    if not match:
        return None
    internal, file, lineno, call = match.groups()
    function = call.split("(", 1)[0].strip() if call else None
    if internal:
        return make_frame(function, "[internal function]", None, None, line)
    return make_frame(function, file, int(lineno), None, line)


def _python(line: str) -> StackFrame | None:
    match = _PYTHON.match(line)
    if not match:
        return None
    return make_frame(match.group(3), match.group(1), int(match.group(2)), None, line)
