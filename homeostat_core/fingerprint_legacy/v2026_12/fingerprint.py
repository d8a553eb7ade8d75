"""Error fingerprints: the same bug gets the same id across installs, versions and browsers.

The fields are the seed's (id, errorType, filePath, topStackFrame, messageHash, fullSignature);
the signature is built from

- the error type (`Uncaught ` dropped; Firefox's InternalError for recursion is a RangeError),
- the top in-app frame's normalized path (no scheme, extension id, origin, query, content hash),
- up to three in-app function names (anonymous and minified names skipped, `Object.`/`Foo.prototype.`
  receivers dropped, recursion collapsed) — never line or column numbers; no name from a frame
  in minified code (a `.min.js`, a huge column, far along line 1): minifiers rename per build,
  so there the bundle's path and the message are the identity,
- a hash of the message after browser phrasings of one error are mapped to one wording and
  variable parts (numbers, ids, URLs, e-mails, IPs, times, quoted data) are replaced by tokens.

Rules and examples: docs/FINGERPRINTING.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from homeostat_core.fingerprint_legacy.v2026_12.stack import parse_stack
from homeostat_core.models import ErrorFingerprint, ErrorReport, StackFrame

FINGERPRINT_VERSION = "2026-12"

MAX_SIGNATURE_FUNCTIONS = 3
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
    """`Uncaught TypeError` → `TypeError`; empty → `Error`; Firefox's recursion InternalError → RangeError."""
    text = (error_type or "").strip()
    if text.lower().startswith("uncaught "):
        text = text[9:].strip()
    if text == "InternalError" and "recursion" in message:
        return "RangeError"
    return text or "Error"


@lru_cache(maxsize=8192)
def normalize_message(error_type: str, message: str) -> str:
    """The message with one wording per cross-browser error and variable data replaced by tokens."""
    text = _WHITESPACE.sub(" ", (message or "").strip())[:_MAX_MESSAGE_CHARS]
    if text.lower().startswith("uncaught "):
        text = text[9:]
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

    `async x`/`new X` → `x`/`X`; `Object.aha`, `Foo.prototype.aha`, `Foo->aha`, `Foo::aha` → `aha`;
    `<anonymous function: run>` (Opera) → `run`; Firefox's `outer/<` and `I.e.(anonymous function)` → None.
    """
    if not name:
        return None
    text = name.strip()
    for prefix in ("async ", "new "):
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
    """A frame in minified code: a `.min.js`, a huge column, or far along line 1.

    Judged per frame, not per file: a hand-written page with one minified line in it keeps the
    names of its other frames (and a frame's verdict never depends on frames after it).
    """
    column = frame.column
    if column is not None and (
        column >= MINIFIED_COLUMN or (column >= MINIFIED_FIRST_LINE_COLUMN and frame.line == 1)
    ):
        return True
    path = frame.path
    return path is not None and path.endswith(".min.js")


class SignatureFrames:
    """The signature's frames fed one at a time, innermost first: the top in-app frame's path and
    up to three in-app function names. `add` returns True once nothing after can change them, so
    a parser can stop there (fingerprint_issue)."""

    __slots__ = ("complete", "file_path", "functions")

    def __init__(self) -> None:
        self.file_path = ""
        self.functions: list[str] = []
        self.complete = False

    def add(self, frame: StackFrame, in_app: bool | None = None) -> bool:
        if not (frame.in_app if in_app is None else in_app):
            return False
        if not self.file_path and frame.path:
            self.file_path = frame.path
        functions = self.functions
        if not is_minified_frame(frame):  # a minifier's name changes with every build
            name = normalize_function(frame.function)
            if name and len(functions) < MAX_SIGNATURE_FUNCTIONS and (not functions or functions[-1] != name):
                functions.append(name)
        self.complete = bool(self.file_path) and len(functions) >= MAX_SIGNATURE_FUNCTIONS
        return self.complete


def _signature_frames(frames: Iterable[StackFrame]) -> tuple[str, list[str]]:
    """The top in-app frame's path and up to three in-app function names, innermost first."""
    signature = SignatureFrames()
    for frame in frames:
        if signature.add(frame):
            break
    return signature.file_path or UNKNOWN_FILE, signature.functions


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
    file_path, functions = _signature_frames(frames)
    return _fingerprint_from(error_type, message, file_path, functions)


def _fingerprint_from(
    error_type: str | None, message: str | None, file_path: str, functions: list[str]
) -> ErrorFingerprint:
    kind = normalize_error_type(error_type, message or "")
    message_hash = _message_hash(kind, message or "")
    file_path = file_path or UNKNOWN_FILE
    chain = ">".join(functions) or ANONYMOUS
    signature = f"{kind}:{file_path}:{chain}:{message_hash}"
    return ErrorFingerprint(
        id=_sha256_hex(signature)[:12],
        error_type=kind,
        file_path=file_path,
        top_stack_frame=f"{functions[0] if functions else ANONYMOUS} ({file_path})",
        message_hash=message_hash,
        full_signature=signature,
        version=FINGERPRINT_VERSION,
    )


def fingerprint(report: ErrorReport) -> ErrorFingerprint:
    """Fingerprint of a parsed (and, when maps exist, symbolicated) logger issue."""
    return fingerprint_parts(report.error_type, report.message, report.frames)


def fingerprint_stack(error_type: str | None, message: str | None, stack: str | None) -> ErrorFingerprint:
    """Fingerprint from raw text (type, message, stack trace as the browser printed it)."""
    return fingerprint_parts(error_type, message, parse_stack(stack or ""))
