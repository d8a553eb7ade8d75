"""Error fingerprints: the same bug gets the same id across installs, versions and browsers.

The fields are the seed's (id, errorType, filePath, topStackFrame, messageHash, fullSignature);
the signature is built from

- the error type (`Uncaught ` dropped; Firefox's InternalError for recursion is a RangeError),
- the top in-app frame's normalized path (no scheme, extension id, origin, query, content hash),
- the first named in-app function from the top (anonymous names skipped, `Object.`/`Foo.prototype.`
  receivers dropped) — never line or column numbers, and never the frames further down, so a
  trace pasted short groups with the full one; no name from a frame in minified or content-hashed
  code (a `.min.js`, a huge column, far along line 1, `index-BbzLzrt2.js`): minifiers rename per
  build, so there the bundle's path and the message are the identity; no name from eval'd code
  (engines disagree on whether its frames have one),
- a hash of the message after browser phrasings of one error are mapped to one wording and
  variable parts (numbers, ids, URLs, e-mails, IPs, times, quoted data) are replaced by tokens.

Rules and examples: docs/FINGERPRINTING.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from homeostat_core.intake.issue import parse_issue
from homeostat_core.intake.paths import has_build_hash
from homeostat_core.intake.stack import parse_stack
from homeostat_core.models import ErrorFingerprint, ErrorReport, StackFrame

# The algorithm's version (dated like Sentry's grouping configs); bump it whenever an id can
# change, and keep the old one callable in homeostat_core/fingerprint_legacy/. Changelog:
# docs/FINGERPRINTING.md.
FINGERPRINT_VERSION = "2026-12-06"
PREVIOUS_VERSIONS = ("2026-12", "2026-11")

# Minified-bundle evidence: hand-written code rarely throws past these columns.
MINIFIED_COLUMN = 300
MINIFIED_FIRST_LINE_COLUMN = 80
UNKNOWN_FILE = "unknown"
ANONYMOUS = "?"
_MAX_MESSAGE_CHARS = 1000

# --- message: one wording per error across engines ------------------------------------------

_Canon = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _last_segment(expression: str) -> str:
    """`this.props.items` → `items`; `a['b']` → `b`; `x.y = 1` → `y` (Safari quotes whole expressions)."""
    expression = re.split(r"[=(]", expression, maxsplit=1)[0].strip()
    parts = [p for p in re.split(r"[.\[\]'\"`?]+", expression) if p]
    return parts[-1] if parts else expression


def _prop_of_nullish(match: re.Match[str]) -> str:
    return f"cannot access property {_last_segment(match.group('p'))} of nullish"


def _not_a_function(match: re.Match[str]) -> str:
    return f"{_last_segment(match.group('p'))} is not a function"


def _not_defined(match: re.Match[str]) -> str:
    return f"{match.group('p')} is not defined"


def _fixed(text: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: text


_CANONICAL: tuple[tuple[str, tuple[_Canon, ...]], ...] = (
    # (cheap substring gate, patterns)
    (
        "propert",
        (
            # Chrome ≥ 91 / Edge: Cannot read properties of undefined (reading 'x')
            (
                re.compile(
                    r"^Cannot (?:read|set) properties of (?:undefined|null) \((?:reading|setting) '(?P<p>.*)'\)$"
                ),
                _prop_of_nullish,
            ),
            # Chrome < 91, Opera: Cannot read property 'x' of undefined
            (
                re.compile(r"^Cannot (?:read|set) property '(?P<p>.*)' of (?:undefined|null)$"),
                _prop_of_nullish,
            ),
            # Firefox ≥ 74: can't access property "x", y is undefined
            (
                re.compile(
                    r"^can't (?:access|assign to) property \"(?P<p>.*?)\",? .*?(?:is|on) (?:undefined|null).*$"
                ),
                _prop_of_nullish,
            ),
            # IE, legacy Edge: Unable to get property 'x' of undefined or null reference
            (
                re.compile(r"^Unable to (?:get|set) property '(?P<p>.*)' of undefined or null reference$"),
                _prop_of_nullish,
            ),
        ),
    ),
    (
        "is not an object",
        # Safari: undefined is not an object (evaluating 'y.x')
        (
            (
                re.compile(r"^'?(?:undefined|null)'? is not an object \(evaluating '(?P<p>.*)'\)$"),
                _prop_of_nullish,
            ),
        ),
    ),
    (
        "not a function",
        (
            # Safari: undefined is not a function (evaluating 'x.y()')
            (
                re.compile(r"^'?undefined'? is not a function \((?:evaluating|near) '(?P<p>.*?)'\)$"),
                _not_a_function,
            ),
            # Chrome/Firefox: x.y is not a function; Safari adds ". (In 'x.y()', 'x.y' is undefined)"
            (re.compile(r"^'?(?P<p>.+?)'? is not a function(?:\. \(In '.*)?$"), _not_a_function),
        ),
    ),
    ("has no method", ((re.compile(r"^Object .+ has no method '(?P<p>.*)'$"), _not_a_function),)),
    (
        "variable",
        # Safari: Can't find variable: x
        ((re.compile(r"^Can't find variable: (?P<p>\S+)$"), _not_defined),),
    ),
    ("not defined", ((re.compile(r"^'?(?P<p>[\w$.]+)'? is not defined$"), _not_defined),)),
    (
        "JSON",
        (
            (
                re.compile(
                    r"^(?:Unexpected token .* in JSON at position \d+|Unexpected token .*is not valid JSON)$"
                ),
                _fixed("invalid JSON"),
            ),
            (re.compile(r"^(?:JSON\.parse: |JSON Parse error: ).*$"), _fixed("invalid JSON")),
        ),
    ),
    (
        "ecursion",
        ((re.compile(r"^too much recursion$"), _fixed("maximum call stack size exceeded")),),
    ),
    (
        "call stack",
        ((re.compile(r"^Maximum call stack size exceeded\.?$"), _fixed("maximum call stack size exceeded")),),
    ),
    (
        "etch",
        (
            (
                re.compile(r"^(?:Failed to fetch|NetworkError when attempting to fetch resource\.?)$"),
                _fixed("network request failed"),
            ),
        ),
    ),
    ("Load failed", ((re.compile(r"^Load failed$"), _fixed("network request failed")),)),
)
# ReferenceError only: IE's "'x' is undefined" (as a TypeError it means something else).
_IE_UNDEFINED_VARIABLE = re.compile(r"^'(?P<p>[\w$]+)' is undefined$")
# TypeError only: old Firefox's "x is undefined" / "x has no properties" (the object, not the property).
_OLD_FIREFOX_NULLISH = re.compile(r"^(?P<p>[\w$.\[\]\"'()]+) (?:is (?:undefined|null)|has no properties)$")

# --- message: variable data → tokens (one pass, first alternative wins) ----------------------

_PARAMETERS = re.compile(
    r"""
    (?P<url>\b[a-zA-Z][\w+.-]*://[^\s'"<>)\]]+)
    |(?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)
    |(?P<uuid>\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b)
    |(?P<timestamp>\b\d{4}-\d{2}-\d{2}(?:[T\ ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b)
    |(?P<time>\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b)
    |(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b)
    |(?P<hex>\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b)
    |(?P<quoted>'[^'\n]{0,200}'|"[^"\n]{0,200}"|`[^`\n]{0,200}`)
    |(?P<number>\bv?\d+(?:\.\d+)*)
    """,
    re.VERBOSE,
)
_TOKENS = {
    "url": "<url>",
    "email": "<email>",
    "uuid": "<uuid>",
    "timestamp": "<timestamp>",
    "time": "<time>",
    "ip": "<ip>",
    "hex": "<hex>",
    "number": "<n>",
}
# A quoted code name is part of the error's identity; quoted data is not.
_QUOTED_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z_$.\-]{0,60}$")
_WHITESPACE = re.compile(r"\s+")


def _parameter_token(match: re.Match[str]) -> str:
    kind = match.lastgroup or "number"
    if kind == "quoted":
        text = match.group(0)
        return text if _QUOTED_IDENTIFIER.match(text[1:-1]) else "<str>"
    return _TOKENS[kind]


def normalize_error_type(error_type: str | None, message: str = "") -> str:
    """`Uncaught TypeError` → `TypeError`; Firefox's recursion InternalError → RangeError; empty or
    a generic `Error` → the type the message names or implies (`TypeError: …`, `x is not a
    function`, `Can't find variable: x`), else `Error` — loggers that lose the type still group."""
    text = (error_type or "").strip()
    if text.lower().startswith("uncaught "):
        text = text[9:].strip()
    if text == "InternalError" and "recursion" in message:
        return "RangeError"
    if text in ("", "Error"):
        return _implied_type(message)
    return text


# Canonical wordings (below) that only one error type produces.
_IMPLIED_TYPES = (
    ("cannot access property ", "", "TypeError"),
    ("", " is not a function", "TypeError"),
    ("network request failed", "", "TypeError"),
    ("", " is not defined", "ReferenceError"),
    ("invalid JSON", "", "SyntaxError"),
    ("maximum call stack size exceeded", "", "RangeError"),
)
_NAMED_TYPE = re.compile(r"^([A-Z][A-Za-z]*Error): ")


@lru_cache(maxsize=8192)
def _implied_type(message: str) -> str:
    text = _message_text(message)
    named = _NAMED_TYPE.match(text)
    if named:
        return named.group(1)
    canonical = _canonical_wording("Error", text[7:] if text.startswith("Error: ") else text)
    for start, end, kind in _IMPLIED_TYPES:
        if canonical.startswith(start) and canonical.endswith(end):
            return kind
    return "Error"


def _message_text(message: str) -> str:
    """The message with whitespace collapsed and `Uncaught (in promise) ` dropped."""
    text = _WHITESPACE.sub(" ", (message or "").strip())[:_MAX_MESSAGE_CHARS]
    if text.lower().startswith("uncaught "):
        text = text[9:]
    return text[13:] if text.startswith("(in promise) ") else text


@lru_cache(maxsize=8192)
def normalize_message(error_type: str, message: str) -> str:
    """The message with one wording per cross-browser error and variable data replaced by tokens."""
    text = _message_text(message)
    for prefix in (f"{error_type}: ", "Error: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = _canonical_wording(error_type, text)
    return _PARAMETERS.sub(_parameter_token, text).strip()


def _canonical_wording(error_type: str, text: str) -> str:
    for gate, patterns in _CANONICAL:
        if gate in text:
            for pattern, rewrite in patterns:
                match = pattern.match(text)
                if match:
                    return rewrite(match)
    if error_type == "ReferenceError":
        match = _IE_UNDEFINED_VARIABLE.match(text)
        if match:
            return _not_defined(match)
    if error_type == "TypeError":
        match = _OLD_FIREFOX_NULLISH.match(text)
        if match:
            return f"{match.group('p')} is nullish"
    return text


# --- frames ---------------------------------------------------------------------------------

_ANONYMOUS_NAMES = frozenset(
    {
        "",
        "?",
        "<anonymous>",
        "(anonymous)",
        "(anonymous function)",
        "anonymous function",
        "<anonymous function>",
        "anonymous",
        "eval",
        "eval code",
        "global code",
        "module code",
        "(null)",
        "()",
        "{main}",
        "{closure}",
        "<module>",
        "<lambda>",
    }
)
_AS_ALIAS = re.compile(r"\s*\[as [^\]]*\]$")
_MIN_NAME_CHARS = 3  # shorter names are almost always minifier output and change per build


@lru_cache(maxsize=8192)
def normalize_function(name: str | None) -> str | None:
    """The function's own name, or None when anonymous, engine glue or minified.

    `async x`/`new X`/`async*x` → `x`/`X`/`x`; `Object.aha`, `Foo.prototype.aha`, `Foo->aha`,
    `Foo::aha` → `aha`; `<anonymous function: run>` (Opera) → `run`; Firefox's `outer/<` and
    `I.e.(anonymous function)` → None.
    """
    if not name:
        return None
    text = name.strip()
    for prefix in ("async ", "new ", "async*"):
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
    if text.endswith("]") and "[as " in text:
        text = _AS_ALIAS.sub("", text)
    if text.lower() in _ANONYMOUS_NAMES:
        return None
    if text.startswith("<anonymous function: ") and text.endswith(">"):
        text = text[21:-1]
    if text.endswith("<") or "/<" in text:
        return None  # Firefox names an anonymous inner function "outer/<"
    if "/" in text and '"' not in text:
        text = text.rsplit("/", 1)[1]
    for separator in ("->", "::"):
        text = text.rsplit(separator, 1)[-1]
    if '"' not in text and "'" not in text:
        text = text.rsplit(".", 1)[-1]
    lowered = text.lower()
    if lowered in _ANONYMOUS_NAMES or "anonymous" in lowered or text.startswith("<"):
        return None
    return text if len(text) >= _MIN_NAME_CHARS else None


def is_minified_frame(frame: StackFrame) -> bool:
    """A frame in minified code: a `.min.js`, a huge column, far along line 1, or a file name with
    a bundler's content hash (a build's output, renamed with every build).

    Judged per frame, not per file: a hand-written page with one minified line in it keeps the
    names of its other frames (and a frame's verdict never depends on frames after it).
    """
    column = frame.column
    if (
        column is not None
        and (column >= MINIFIED_COLUMN or (column >= MINIFIED_FIRST_LINE_COLUMN and frame.line == 1))
        and "(address at " not in frame.raw  # Hermes: a bytecode offset, names are the source's
    ):
        return True
    path = frame.path
    return path is not None and (path.endswith(".min.js") or has_build_hash(frame.file))


def is_eval_frame(frame: StackFrame) -> bool:
    """A frame in eval'd code: V8's `(eval at f (url))`, Firefox's `url line 26 > eval`, Edge's
    `eval code`. Safari prints no frame for it (its bare `eval code` lines are not frames), so
    its names would set one browser apart."""
    if frame.file == "eval code":
        return True
    raw = frame.raw
    return "eval" in raw and ("(eval at " in raw or " > eval" in raw or " > Function" in raw)


class SignatureFrames:
    """The signature's frames fed one at a time, innermost first: the top in-app frame's path and
    the first named in-app function. `add` returns True once nothing after can change them, so a
    parser can stop there (fingerprint_issue)."""

    __slots__ = ("complete", "file_path", "function")

    def __init__(self) -> None:
        self.file_path = ""
        self.function: str | None = None
        self.complete = False

    def add(self, frame: StackFrame, in_app: bool | None = None) -> bool:
        if not (frame.in_app if in_app is None else in_app):
            return False
        if not self.file_path and frame.path:
            self.file_path = frame.path
        if self.function is None and not is_minified_frame(frame) and not is_eval_frame(frame):
            self.function = normalize_function(frame.function)  # see the module docstring
        self.complete = bool(self.file_path) and self.function is not None
        return self.complete


def _signature_frames(frames: Iterable[StackFrame]) -> tuple[str, str | None]:
    """The top in-app frame's path and the first named in-app function."""
    signature = SignatureFrames()
    for frame in frames:
        if signature.add(frame):
            break
    return signature.file_path or UNKNOWN_FILE, signature.function


# --- public API -----------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _message_hash(error_type: str, message: str) -> str:
    return _sha256_hex(normalize_message(error_type, message))[:8]


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint_parts(
    error_type: str | None, message: str | None, frames: Iterable[StackFrame]
) -> ErrorFingerprint:
    """Fingerprint from an error type, a message and parsed frames (innermost first)."""
    file_path, function = _signature_frames(frames)
    return _fingerprint_from(error_type, message, file_path, function)


@lru_cache(maxsize=8192)  # reports of one error repeat these four; the result is immutable
def _fingerprint_from(
    error_type: str | None, message: str | None, file_path: str, function: str | None
) -> ErrorFingerprint:
    kind = normalize_error_type(error_type, message or "")
    message_hash = _message_hash(kind, message or "")
    file_path = file_path or UNKNOWN_FILE
    name = function or ANONYMOUS
    signature = f"{kind}:{file_path}:{name}:{message_hash}"
    return ErrorFingerprint(
        id=_sha256_hex(signature)[:12],
        error_type=kind,
        file_path=file_path,
        top_stack_frame=f"{name} ({file_path})",
        message_hash=message_hash,
        full_signature=signature,
        version=FINGERPRINT_VERSION,
    )


def fingerprint(report: ErrorReport) -> ErrorFingerprint:
    """Fingerprint of a parsed (and, when maps exist, symbolicated) logger issue."""
    return fingerprint_parts(report.error_type, report.message, report.frames)


def fingerprint_issue(
    title: str | bytes, body: str | bytes | None, labels: Sequence[Any] = (), number: int | None = None
) -> ErrorFingerprint:
    """`fingerprint(parse_issue(...))`, parsing only the stack frames the fingerprint needs.

    Same id, same UnparseableIssue; the report is not returned because its frames stop where the
    signature is complete. For a group of duplicates, fingerprint every issue this way and parse
    one of them in full (parse_issue) for the fix engine.
    """
    signature = SignatureFrames()
    report = parse_issue(title, body, labels, number, enough=signature.add)
    if not signature.complete:  # the stack ended first: the frames are all there is
        return fingerprint(report)
    # The parse stopped where the signature was complete: the same frames give the same result.
    return _fingerprint_from(report.error_type, report.message, signature.file_path, signature.function)


def lean_report(
    title: str | bytes, body: str | bytes | None, labels: Sequence[Any] = (), number: int | None = None
) -> tuple[ErrorReport, ErrorFingerprint | None]:
    """The issue's report with only the frames its fingerprint needs, and that fingerprint; None
    in its place when the fingerprint needs more (an in-app frame is minified: the id must come
    from the symbolicated report, so the caller parses in full). Every other field of the report
    is complete (versions, stack text, breadcrumbs); raises UnparseableIssue as parse_issue does."""
    signature = SignatureFrames()
    report = parse_issue(title, body, labels, number, enough=signature.add)
    if any(frame.in_app and is_minified_frame(frame) for frame in report.frames):
        return report, None
    if not signature.complete:  # the stack ended first: the report is whole
        return report, fingerprint(report)
    return report, _fingerprint_from(
        report.error_type, report.message, signature.file_path, signature.function
    )


def fingerprint_stack(error_type: str | None, message: str | None, stack: str | None) -> ErrorFingerprint:
    """Fingerprint from raw text (type, message, stack trace as the browser printed it)."""
    return fingerprint_parts(error_type, message, parse_stack(stack or ""))


def error_type_and_file(report: ErrorReport) -> tuple[str, str]:
    """(error type, top in-app file path) — the pattern matcher's fuzzy key and the file to fix."""
    kind = normalize_error_type(report.error_type, report.message)
    file_path, _function = _signature_frames(report.frames)
    return kind, file_path
