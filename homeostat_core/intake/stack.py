"""Stack-trace parser: V8 (Chrome, Edge, Node, Opera 15+), SpiderMonkey (Firefox), JavaScriptCore
(Safari, React Native, Hermes), legacy Opera and IE, PHP and Python tracebacks, and the shapes
people paste from consoles, error panels and trackers (docs/INTAKE.md, "filed formats").

Frames come out innermost first (the throwing frame first), whatever order the engine prints, and
read as Sentry's browser SDK reads them where it reads the line at all (file, function, line).
Work is bounded: the text is cut at MAX_STACK_CHARS, over-long lines are skipped and parsing stops
after MAX_FRAMES frames, so a hostile 10 MB "stack" costs about as much as a normal one. Positions
are bounded too: a line or column beyond MAX_LINE/MAX_COLUMN (or negative) drops the frame's
position, never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from homeostat_core.intake._construct import positional_constructor
from homeostat_core.intake.paths import RECENT_FACTS, location_facts
from homeostat_core.models import StackFrame

MAX_FRAMES = 50
MAX_LINE_CHARS = 2000
MAX_STACK_CHARS = 256 * 1024
# No real bundle or source file has ten million lines, nor a line of a hundred million characters
# (a 50 MB bundle on one line is still under it); symbolication checks the same bounds.
MAX_LINE = 10_000_000
MAX_COLUMN = 100_000_000
_MAX_RAW_CHARS = 500
_MAX_DIGITS = 12  # longer digit runs are out of bounds anyway; int() is never asked to read them

# Locations V8 prints that are not files but still mark a real frame.
_V8_SPECIAL_LOCATIONS = frozenset({"native", "native code", "<anonymous>", "eval code", "unknown location"})
# Names error trackers and consoles print for a frame without a function (Python's None, JSON's
# null, Chrome's error panel and console, Firefox's console and its async marker).
_NO_NAMES = frozenset(
    {
        "()",
        "(null)",
        "?",
        "None",
        "null",
        "undefined",
        "(anonymous)",
        "(anonymous function)",
        "<anonymous>",
        "<async>",
        "(async)",
    }
)

# fn@location, where fn may contain a quoted part holding "@" (obj["@fn"]).
_GECKO = re.compile(r'^((?:[^@"]*"[^"]*")*[^@"]*)@(.*)$')
# Innermost "(url:line:col)" inside V8's "eval at f (eval at g (url:1:2)), <anonymous>:3:4".
_EVAL_ORIGIN = re.compile(r"\(([^()]+)\)")
# Firefox's eval'd code: "url line 26 > eval line 2 > eval" → the caller's url and line (26).
_FIREFOX_EVAL = re.compile(r"^(\S+) line (\d+)(?: > (?:eval|Function) line \d+)* > (?:eval|Function)\b")
_LOCATION_ONLY = re.compile(r"^[^\s@()]+:\d+(?::\d+)?$")
_OPERA_LINKED = re.compile(
    r"^(?:\.\.\.\s*)?Line (\d+) of (?:linked|inline#\d+|function|eval) script(?: in)? (\S+?)(?:: In function (\S+))?$"
)
_OPERA_CALLED = re.compile(
    r"^(?:Error thrown at|called from) line (\d+), column (\d+) in (?:(.+?)\(.*?\) in )?(\S+?):?$"
)
_PHP = re.compile(r"^#\d+\s+(?:(\[internal function\])|(.+?)\((\d+)\))(?::\s*(.*))?$")
_PYTHON = re.compile(r'^File "(.+?)", line (\d+)(?:, in (.+))?$')
# A console's frame: function, then where. Firefox: "fn moz-extension://uuid/x.js:425",
# "<anonymous> moz-extension://…:12", "<async> …/api/chrome.ts:45"; Chrome's console: "fn @ x.js:12".
_CONSOLE = re.compile(
    r"^((?:async\*)?[A-Za-z_$][\w$.<>/]*|<anonymous>|<async>|\(anonymous\))\s+(\S+?)(?::(\d+))?(?::(\d+))?$"
)
# Location first, then the function: Chrome's extension error panel "background.js:12 (anonymous
# function)", Bugsnag-style "https://…/app.js:12:34 onLoad" or "… - onLoad".
_LOCATION_FIRST = re.compile(
    r"^([^\s@()]+?):(\d+)(?::(\d+))?\s+(?:(?:-|in|at)\s+)?(\([^()]*\)|[A-Za-z_$<][\w$.<>]*)$"
)
# Where a one-line report names its location: old Safari's window.onerror "message,url,line",
# Chrome's error panel "Error in event handler: TypeError: … at file.js:12:5".
_MESSAGE_URL_LINE = re.compile(r",\s*([a-z][\w+.-]*://[^\s,]+|/[^\s,]*\.\w{1,6}),\s*(\d+)$")
_MESSAGE_AT_LOCATION = re.compile(r"\sat\s+\(?([^\s()]+?):(\d+)(?::(\d+))?\)?$")
# A labelled location line: "Stack Trace: …", "Context: background.js" (Chrome's error panel).
_LABEL = re.compile(r"^(?:stack ?trace|stack|context|location|source|file|url)\s*:\s*(\S.*)$", re.IGNORECASE)
# A script or page file named on its own (Chrome's generated background page is no file).
_SCRIPT_FILE = re.compile(r"^(?!_generated)[^\s:()]+\.(?:m?js|cjs|jsx|tsx?|html?|vue|svelte)$")
# Legacy Safari extension locations wrap the URL: "safari-extension:(//id/hash/x.js:1:2)".
_WRAPPED_LOCATION = re.compile(r"^([a-z][\w+.-]*):\((//[^()]*)\)$")
_SCHEME = re.compile(r"[a-z][\w+.-]*")
# Where a Python traceback's frames are Python code (then it is printed outermost first).
_PYTHON_FILE = re.compile(r"(?:\.py|^<[^>]*>)$")
# Fast path: the two commonest frame shapes in one C-level match; anything else takes the full
# per-format parsers below (same results, checked by tests).
# Positions of up to 9 ASCII digits (longer ones take the full parsers, which drop them).
_FAST_V8 = re.compile(
    r"at (?:async )?(?:([^()]*) \(([^()\s]*):([0-9]{1,9}):([0-9]{1,9})\)|(\S*):([0-9]{1,9}):([0-9]{1,9}))$"
)
_FAST_GECKO = re.compile(r"([\w$.]*)@(\S*):([0-9]{1,9}):([0-9]{1,9})$")
_CALL_ARGS = re.compile(r"\(.*\)$")
# "TypeError: message" (a header line, or a message that happens to contain "@").
_HEADER = re.compile(r"^[A-Za-z_$][\w$.]*: ")


def parse_stack(
    text: str | None, until: Callable[[StackFrame], bool] | None = None
) -> tuple[StackFrame, ...]:
    """Parse every frame line of a stack trace; lines that are not frames are ignored.

    Returns an empty tuple when nothing in `text` looks like a frame. `until(frame)`, called on
    each frame in order, may end parsing early by returning True — unless the trace turns out
    to need every frame (Python's reversed order), when it is ignored.
    """
    if not text:
        return ()
    if until is not None and 'File "' in text:
        until = None  # a Python frame further down may reverse the whole order
    frames: list[StackFrame] = []
    python_code = False
    messages: list[str] = []  # message lines, which may end in a location
    named: list[str] = []  # "Context: background.js": a file without a line
    for raw_line in text[:MAX_STACK_CHARS].splitlines():
        line = raw_line.strip()
        if not line or len(line) > MAX_LINE_CHARS:
            continue
        if "Error: " in line:
            # "TypeError: …" is a message, also as "at Error: … (url)" (Sentry skips these too);
            # one that ends in a location is the frame when nothing else is
            if len(messages) < MAX_FRAMES:
                messages.append(line)
            continue
        fast = _FAST_V8.match(line) if line.startswith("at ") else _FAST_GECKO.match(line)
        frame = _fast_frame(fast, line) if fast is not None else _parse_line(line)
        if frame is None:
            labelled = _LABEL.match(line) if ":" in line else None
            if labelled is None:
                continue
            # the extensions page's error panel: "Stack Trace: background.js:12 (anonymous function)"
            frame = _parse_line(labelled.group(1))
            if frame is None:
                if len(named) < MAX_FRAMES:
                    named.append(labelled.group(1))
                continue
        if line[0] == "F" and frame.file is not None and line.startswith('File "'):
            python_code = python_code or bool(_PYTHON_FILE.search(frame.file))
        frames.append(frame)
        if len(frames) >= MAX_FRAMES or (until is not None and until(frame)):
            break
    if not frames and (messages or named):
        return _fallback_frames(messages, named)
    if python_code:
        # Python prints the outermost call first; error trackers print JavaScript frames in the
        # Python shape but innermost first, so the files decide, not the shape.
        frames.reverse()
    return tuple(frames)


def _fast_frame(match: re.Match[str], line: str) -> StackFrame:
    """The frame of a _FAST_V8 or _FAST_GECKO match (the same as the full parsers give)."""
    function, file, lineno, column = match.group(1, 2, 3, 4)
    if file is None:  # V8's "at url:line:col"
        file, lineno, column = match.group(5, 6, 7)
    elif function:
        function = function.strip()
        if function in _NO_NAMES:
            function = None
    line_number, column_number = int(lineno), int(column)  # type: ignore[arg-type]
    if line_number > MAX_LINE or column_number > MAX_COLUMN:
        line_number = column_number = None  # type: ignore[assignment]
    path, in_app = RECENT_FACTS.get(file) or location_facts(file)  # type: ignore[arg-type]
    return _new_frame(function or None, file, line_number, column_number, path, in_app, line[:_MAX_RAW_CHARS])


def _parse_line(line: str) -> StackFrame | None:
    first = line[0]
    if first == "a" and line.startswith("at "):
        return _v8(line)
    if first == "#" and len(line) > 1 and line[1].isdigit():
        return _php(line)
    if first == "F" and line.startswith('File "'):
        return _python(line)
    if "@" in line:
        if line.startswith("Error created at "):
            return None  # Opera repeats where the Error object was made
        return _gecko(line)  # also Chrome's console "fn @ file.js:12"
    if first == "(" and line.startswith("(error: ") and line.endswith(")"):
        return _v8("at " + line)  # a loader's "(error: url)": the url is the frame
    if line == "[native code]":
        return make_frame(None, "[native code]", None, None, line)
    if "Line " in line or "line " in line:
        frame = _opera(line)
        if frame is not None:
            return frame
    if _LOCATION_ONLY.match(line):
        file, lineno, column = split_location(line)
        return make_frame(None, file, lineno, column, line)
    if " " in line or "," in line:
        return _console(line)
    return None  # a bare name (Safari's "eval code", "baz"): no location, Sentry skips it too


def make_frame(
    function: str | None, file: str | None, line: int | None, column: int | None, raw: str = ""
) -> StackFrame:
    """A StackFrame with `path` and `in_app` derived from `file` (also for callers that already
    hold structured frames, e.g. Sentry-style JSON). An out-of-bounds position is dropped."""
    if function:
        function = function.strip()
        if function in _NO_NAMES:
            function = None
    line, column = _position(line, column)
    path, in_app = location_facts(file)
    return _new_frame(function or None, file, line, column, path, in_app, raw[:_MAX_RAW_CHARS])


# StackFrame(...) with the fields in declaration order; see _construct.py for why.
_new_frame = positional_constructor(
    StackFrame, ("function", "file", "line", "column", "path", "in_app", "raw")
)


def _number(digits: str | None) -> int | None:
    """A digit run as an int (-1, out of bounds, when it is too long to be a position); None
    when there is none."""
    if not digits or not digits.isdecimal():
        return None
    return int(digits) if len(digits) <= _MAX_DIGITS else -1


def _position(line: object, column: object) -> tuple[int | None, int | None]:
    """(line, column) when both are usable (an int in bounds, or None); else neither."""
    if line is not None and (type(line) is not int or not 0 <= line <= MAX_LINE):
        return None, None
    if column is not None and (type(column) is not int or not 0 <= column <= MAX_COLUMN):
        return None, None
    return line, column  # type: ignore[return-value]


def split_location(location: str) -> tuple[str, int | None, int | None]:
    """`url:line:col` → (url, line, col); either number may be missing. Numbers out of bounds
    are dropped (both of them), so a position is either usable or absent."""
    location = location.strip()
    head, sep, tail = location.rpartition(":")
    if not sep or not tail.isdecimal():
        return location, None, None
    head2, sep2, tail2 = head.rpartition(":")
    if sep2 and tail2.isdecimal():
        return (head2, *_position(_number(tail2), _number(tail)))
    return (head, *_position(_number(tail), None))


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
    elif location.startswith("address at "):
        location = location[11:]  # Hermes: "(address at index.android.bundle:1:2347115)"
    elif location.endswith(")"):
        location = _unwrap(location)
    if function and function.endswith("-extension:") and location.startswith("//"):
        # "at Name@safari-extension:(//id/x.js:1:2)": the scheme belongs to the location
        name, _at, scheme = function.rpartition("@")
        if _SCHEME.fullmatch(scheme[:-1]):
            function, location = name or None, f"{scheme}{location}"
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
    if " > " in location:
        evaluated = _FIREFOX_EVAL.match(location)
        if evaluated:  # the eval'd code's own position means nothing in the file: the caller's
            lineno, _column = _position(_number(evaluated.group(2)), None)
            return make_frame(_strip_args(function) or "eval", evaluated.group(1), lineno, None, line)
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


def _console(line: str) -> StackFrame | None:
    """What consoles, error panels and trackers print: `fn url:line`, `<async> …/x.ts`,
    `url:line:col fn`, `file.js:12 (anonymous function)`, old Safari's `message,url,line`."""
    match = _CONSOLE.match(line)
    if match:
        function, file, lineno, column = match.groups()
        if lineno is None and "://" not in file and function not in ("<async>", "<anonymous>"):
            return None  # "see example.com/help" in prose: no line, no URL, no console marker
        if "/" not in file and "." not in file:
            return None
        return make_frame(function, file, *_position(_number(lineno), _number(column)), line)
    match = _LOCATION_FIRST.match(line)
    if match:
        file, lineno, column, function = match.groups()
        if function.startswith("(") and function not in _NO_NAMES:
            function = function[1:-1]
        return make_frame(function, file, *_position(_number(lineno), _number(column)), line)
    return _message_location(line)


def _message_location(line: str) -> StackFrame | None:
    match = _MESSAGE_URL_LINE.search(line) if "," in line else None
    if match:
        return make_frame(None, match.group(1), _position(_number(match.group(2)), None)[0], None, line)
    match = _MESSAGE_AT_LOCATION.search(line) if " at " in line else None
    if match:
        file, lineno, column = match.groups()
        return make_frame(None, file, *_position(_number(lineno), _number(column)), line)
    return None


def _fallback_frames(messages: list[str], named: list[str]) -> tuple[StackFrame, ...]:
    """For a report with no frame line: the location a message line ends in, else a labelled
    script file ("Context: background.js", no line)."""
    for line in messages:
        frame = _message_location(line)
        if frame is not None:
            return (frame,)
    for file in named:
        if _SCRIPT_FILE.match(file):
            return (make_frame(None, file, None, None, file),)
    return ()


def _opera(line: str) -> StackFrame | None:
    match = _OPERA_LINKED.match(line)
    if match:
        return make_frame(match.group(3), match.group(2), _number(match.group(1)), None, line)
    match = _OPERA_CALLED.match(line)
    if match:
        return make_frame(
            match.group(3), match.group(4), _number(match.group(1)), _number(match.group(2)), line
        )
    return None


def _php(line: str) -> StackFrame | None:
    match = _PHP.match(line)
    if not match:
        return None
    internal, file, lineno, call = match.groups()
    function = call.split("(", 1)[0].strip() if call else None
    if internal:
        return make_frame(function, "[internal function]", None, None, line)
    return make_frame(function, file, _number(lineno), None, line)


def _python(line: str) -> StackFrame | None:
    match = _PYTHON.match(line)
    if not match:
        return None
    return make_frame(match.group(3), match.group(1), _number(match.group(2)), None, line)
