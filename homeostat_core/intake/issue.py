"""Logger issue (title + markdown body + labels) → ErrorReport.

Lenient on layout (whitespace, `##`/`###` headings, section order, `- Name: value` or
`**Name:** value` fields, fenced or bare stacks); strict on content (an error type and a message;
a readable stack and at least one breadcrumb for extension issues). Everything that is rejected
raises UnparseableIssue with a stable `code`. The contract with examples: docs/INTAKE.md.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from homeostat_core.intake._construct import positional_constructor
from homeostat_core.intake.errors import UnparseableIssue
from homeostat_core.intake.stack import make_frame, parse_stack, split_location
from homeostat_core.models import ErrorReport, Source, StackFrame

MAX_BODY_BYTES = 100 * 1024
MAX_TITLE_CHARS = 1024
MAX_FIELD_CHARS = 2000
MAX_BREADCRUMBS = 100
MAX_BREADCRUMB_CHARS = 500
MAX_SECTION_CHARS = 10_000

# Headings and fence lines. Patterns start with a literal "\n" (matched against "\n" + text) so
# the regex engine skips between line starts at C speed instead of trying every position.
_LINE_MARKS = re.compile(r"\n[ \t]{0,3}(?:(```|~~~)|#{1,4}[ \t]+([^\n]*))")
_FENCE_OPEN = re.compile(r"\n[ \t]*(```|~~~)[^\n]*")
_FENCE_CLOSE = {fence: re.compile(r"\n[ \t]*" + fence + r"[ \t]*(?=\n|$)") for fence in ("```", "~~~")}
# `- Name: value`, `- **Name**: value`, `**Name:** value`, `Name: value` (group 1 = list bullet).
_FIELD = re.compile(
    r"\n[ \t]*([-*+][ \t]+)?(?:\*\*([^*\n:]{1,40}?)[ \t]*(?::\*\*|\*\*[ \t]*:)|([A-Za-z][\w /-]{0,39}?)[ \t]*:)"
    r"([^\n]*)"
)
_TITLE = re.compile(r"^\[([^\]\n]{1,200})\][ \t]*(.*)$", re.DOTALL)
_TYPE_AND_MESSAGE = re.compile(
    r"^((?:Uncaught[ \t]+)?[A-Za-z_$][\w$.]*(?:[ \t][A-Za-z_$][\w$.]*){0,3})[ \t]*:[ \t]*(.*)$", re.DOTALL
)
_LIST_ITEM = re.compile(r"\n[ \t]*(?:\d{1,4}[.)]|[-*+])[ \t]+([^\n]+)")
_NAME_VERSION = re.compile(r"^(.*?)[ \t]+v?(\d+(?:\.\d+)*(?:[-+][\w.]+)?)$")
# C0 controls other than tab/newline/carriage return, and DEL: a few are noise, many are binary.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SUSPECT_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# ErrorReport(...) with the fields in declaration order; see _construct.py for why.
_new_report = positional_constructor(
    ErrorReport,
    (
        "source",
        "product",
        "error_type",
        "message",
        "stack",
        "frames",
        "breadcrumbs",
        "extension_name",
        "extension_version",
        "timestamp",
        "logger_fingerprint",
        "fields",
        "user_description",
        "context",
        "issue_number",
    ),
)

_SECTION_ALIASES = {
    "error details": "details",
    "details": "details",
    "stack trace": "stack",
    "stacktrace": "stack",
    "stack": "stack",
    "traceback": "stack",
    "breadcrumbs": "breadcrumbs",
    "user description": "user_description",
    "description": "user_description",
    "error message": "error_message",
    "message": "error_message",
    "context": "context",
    "additional context": "context",
    "php environment": "environment",
    "environment": "environment",
}
_FIELD_SECTIONS = ("details", "environment")
_MESSAGE_FIELDS = frozenset({"message", "error message"})


def parse_issue(
    title: str | bytes,
    body: str | bytes | None,
    labels: Sequence[Any] = (),
    number: int | None = None,
    *,
    enough: Callable[[StackFrame, bool], bool] | None = None,
) -> ErrorReport:
    """Parse one logger issue; raises UnparseableIssue (with `.code` and `.reason`).

    `enough(frame, in_app)` lets a caller that needs only the first frames (fingerprint_issue)
    stop the stack parse early; `in_app` is the frame's final verdict (page scripts in an
    extension issue are not in app). The report's frames then end there.
    """
    title = _text(title, "title")
    body = _text(body or "", "body")
    _check_size_and_encoding(title, body)
    source = detect_source(labels)

    sections, preamble = _sections(body)
    fields = _fields(preamble, bullets_required=True)
    for name in _FIELD_SECTIONS:
        if name in sections:
            for key, value in _fields(sections[name], bullets_required=False).items():
                fields.setdefault(key, value)

    product, title_type, title_message = _parse_title(title)
    stack = _stack_text(sections.get("stack", ""))
    header_type, header_message = _stack_header(stack)
    error_type = _strip_uncaught(fields.get("error type") or title_type or header_type or "")
    message = (
        fields.get("message")
        or _first_paragraph(sections.get("error_message", ""))
        or title_message
        or header_message
        or ""
    )
    if not error_type or not message:
        raise UnparseableIssue(
            "the title is not '[Product] ErrorType: message' and the body has no Error Type and "
            "Message fields, so the error cannot be identified",
            "bad_title",
        )

    frames = parse_stack(stack, _until(enough, source, stack) if enough is not None else None)
    if not frames:
        frames = _frames_without_stack(fields, message)
    if source is Source.EXTENSION:
        if not frames:
            raise UnparseableIssue(
                "no location: the report has no stack frame in a known format (Chrome, Firefox, "
                "Safari, a console, the extensions page's error panel) and names no file and line "
                "(Location, File and Line, Context, or 'at file.js:12' in the message), so there "
                "is no file to fix",
                "no_frames",
            )
        frames = _prefer_extension_frames(stack, frames)

    # A caller that only fingerprints needs to know that a breadcrumb exists, not to list them.
    breadcrumbs = (
        _breadcrumbs(sections.get("breadcrumbs", "")) if enough is None else _has_breadcrumb(sections)
    )
    if source is Source.EXTENSION and not breadcrumbs:
        raise UnparseableIssue(
            "extension issues need a '## Breadcrumbs' numbered list with at least one entry",
            "missing_breadcrumbs",
        )

    extension_name, extension_version = _name_and_version(fields.get("extension", ""))
    if source is not Source.EXTENSION:
        extension_version = (
            fields.get("version")
            or fields.get("plugin version")
            or fields.get("tool version")
            or extension_version
        )
    product = product or fields.get("product") or extension_name or "unknown"
    return _new_report(
        source,
        product,
        error_type,
        message,
        stack,
        frames,
        breadcrumbs,
        extension_name,
        extension_version,
        fields.get("timestamp"),
        fields.get("fingerprint"),
        fields,
        _section_text(sections.get("user_description")),
        _section_text(sections.get("context")),
        number,
    )


def detect_source(labels: Iterable[Any]) -> Source:
    """`source:wordpress` / `source:vps` labels; anything else (incl. `source:cloakpipe`) is an extension."""
    found = Source.EXTENSION
    for label in labels or ():
        name = _LABEL_SOURCES.get(label) if type(label) is str else None
        if name is None:
            name = _label_source(_label_name(label))
            if type(label) is str and len(_LABEL_SOURCES) < 1024:
                _LABEL_SOURCES[label] = name
        if name is Source.WORDPRESS:
            return name
        if name is Source.VPS:
            found = name
    return found


# Per-process table: label text → the source it names (EXTENSION for any other label).
_LABEL_SOURCES: dict[str, Source] = {}


def _label_source(name: str) -> Source:
    lowered = name.strip().lower()
    if lowered == "source:wordpress":
        return Source.WORDPRESS
    if lowered == "source:vps":
        return Source.VPS
    return Source.EXTENSION


def _has_breadcrumb(sections: dict[str, str]) -> tuple[str, ...]:
    section = sections.get("breadcrumbs", "")
    match = _LIST_ITEM.search(section if section.startswith("\n") else "\n" + section) if section else None
    return (match.group(1),) if match else ()


def _label_name(label: Any) -> str:
    if isinstance(label, str):
        return label
    if isinstance(label, dict):
        return str(label.get("name", ""))
    return str(getattr(label, "name", label))


def _text(value: str | bytes, what: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise UnparseableIssue(f"the {what} is not valid UTF-8 text", "binary") from None
    return value if isinstance(value, str) else str(value)


def _check_size_and_encoding(title: str, body: str) -> None:
    if len(title) > MAX_TITLE_CHARS:
        raise UnparseableIssue(
            f"the title is {len(title)} characters; the limit is {MAX_TITLE_CHARS}", "too_large"
        )
    if len(body) > MAX_BODY_BYTES:  # characters ≤ bytes, so this is already over the limit
        raise UnparseableIssue(
            f"the body is over {MAX_BODY_BYTES // 1024} KB ({len(body)} characters)", "too_large"
        )
    for what, text in (("title", title), ("body", body)):
        if text.isascii() and not _SUSPECT_CHARS.search(text):
            continue  # plain ASCII without control characters: nothing below can object
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            raise UnparseableIssue(f"the {what} is not valid UTF-8 text", "binary") from None
        if what == "body" and len(data) > MAX_BODY_BYTES:
            raise UnparseableIssue(
                f"the body is {len(data)} bytes; the limit is {MAX_BODY_BYTES // 1024} KB", "too_large"
            )
        if b"\x00" in data:
            raise UnparseableIssue(
                f"the {what} contains NUL bytes (binary data, not a logger report)", "binary"
            )
        junk = len(data) - len(data.translate(None, _CONTROL_BYTES)) + text.count("\ufffd")
        if junk > max(8, len(text) // 100):
            raise UnparseableIssue(
                f"the {what} has {junk} control or replacement characters (binary data, not a logger report)",
                "binary",
            )


def _sections(body: str) -> tuple[dict[str, str], str]:
    """Known sections by canonical name (first occurrence wins) and the text before any heading.

    A `## x` line inside a fenced block is code, not a heading.
    """
    text = "\n" + body
    headings: list[tuple[str, int, int]] = []  # (name, start, end) in `text`
    in_fence: str | None = None
    for match in _LINE_MARKS.finditer(text):
        fence = match.group(1)
        if fence:
            in_fence = None if in_fence == fence else (in_fence or fence)
        elif in_fence is None:
            headings.append((match.group(2), match.start(), match.end()))
    preamble = text[: headings[0][1]] if headings else text
    sections: dict[str, str] = {}
    for i, (name, _start, end) in enumerate(headings):
        key = _SECTION_KEYS.get(name)
        if key is None:
            key = _SECTION_KEYS[name] = _section_key(name)
        if key and key not in sections:
            stop = headings[i + 1][1] if i + 1 < len(headings) else len(text)
            sections[key] = text[end:stop]
    return sections, preamble


# Per-process tables: heading and field names as written → canonical key. Loggers write the
# same few names in every issue, so the normalization runs once per spelling.
_SECTION_KEYS: dict[str, str] = {}
_FIELD_KEYS: dict[str, str] = {}
_MAX_NAME_TABLE = 4096


def _section_key(name: str) -> str:
    if len(_SECTION_KEYS) >= _MAX_NAME_TABLE:
        _SECTION_KEYS.clear()
    return _SECTION_ALIASES.get(" ".join(name.strip("*_:# \t").lower().split()), "")


def _fields(text: str, *, bullets_required: bool) -> dict[str, str]:
    fields: dict[str, str] = {}
    if ":" not in text:
        return fields
    for bullet, bold_name, plain_name, value in _FIELD.findall(
        text if text.startswith("\n") else "\n" + text
    ):
        if bullets_required and not (bullet or bold_name):
            continue
        name = bold_name or plain_name
        key = _FIELD_KEYS.get(name)
        if key is None:
            if len(_FIELD_KEYS) >= _MAX_NAME_TABLE:
                _FIELD_KEYS.clear()
            key = _FIELD_KEYS[name] = " ".join(name.lower().split())
        value = value.strip().strip("`").strip()[:MAX_FIELD_CHARS]
        if not value or key in fields:
            continue
        if key not in _MESSAGE_FIELDS and " • " in value:
            value = value.split(" • ", 1)[0].strip()  # server loggers join extra facts with •
        fields[key] = value
    return fields


def _parse_title(title: str) -> tuple[str | None, str | None, str | None]:
    text = title.strip()
    product = None
    match = _TITLE.match(text)
    if match:
        product, text = match.group(1).strip() or None, match.group(2).strip()
    match = _TYPE_AND_MESSAGE.match(text)
    if not match:
        return product, None, None
    return product, match.group(1).strip(), match.group(2).strip() or None


def _strip_uncaught(error_type: str) -> str:
    error_type = error_type.strip()
    return error_type[9:].strip() if error_type.lower().startswith("uncaught ") else error_type


def _stack_text(section: str) -> str:
    """The first fenced block of a section (an unterminated fence runs to the end), else its text."""
    text = section if section.startswith("\n") else "\n" + section
    opening = _FENCE_OPEN.search(text)
    if not opening:
        return text.strip()
    closing = _FENCE_CLOSE[opening.group(1)].search(text, opening.end())
    return text[opening.end() + 1 : closing.start() if closing else len(text)].strip("\n")


def _stack_header(stack: str) -> tuple[str | None, str | None]:
    """`TypeError: message` on the stack's first line (V8, Node, PHP and Python's last line)."""
    first = stack.lstrip().partition("\n")[0].strip()
    match = _TYPE_AND_MESSAGE.match(first) if first and not first.startswith("at ") else None
    if not match:
        return None, None
    return match.group(1), match.group(2).strip() or None


def _first_paragraph(section: str) -> str:
    text = _stack_text(section).strip() if section else ""
    return text.split("\n\n", 1)[0].strip()[:MAX_FIELD_CHARS]


def _section_text(section: str | None) -> str | None:
    if not section:
        return None
    text = section.strip()[:MAX_SECTION_CHARS]
    return text or None


def _breadcrumbs(section: str) -> tuple[str, ...]:
    if not section:
        return ()
    items = _LIST_ITEM.findall(section if section.startswith("\n") else "\n" + section)
    return tuple(item.strip()[:MAX_BREADCRUMB_CHARS] for item in items[:MAX_BREADCRUMBS])


def _name_and_version(value: str) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    match = _NAME_VERSION.match(value)
    if match:
        return match.group(1).strip() or None, match.group(2)
    return value, None


def _until(
    enough: Callable[[StackFrame, bool], bool], source: Source, stack: str
) -> Callable[[StackFrame], bool]:
    """`enough` with each frame's in-app verdict as _prefer_extension_frames will give it: the
    verdict of a frame does not depend on the frames after it, so stopping early changes nothing."""
    if source is not Source.EXTENSION or "-extension://" not in stack:
        return lambda frame: enough(frame, frame.in_app)
    return lambda frame: enough(frame, frame.in_app and not _is_page_script(frame))


def _prefer_extension_frames(stack: str, frames: tuple[StackFrame, ...]) -> tuple[StackFrame, ...]:
    """When the stack has the extension's own URLs, page scripts (http/https) are not in app.

    Frames already mapped to source (`webpack:///src/…`, `./components/Foo.js`, `….ts`, a
    shortened `…/api/chrome.ts`) stay the extension's own code.
    """
    if (
        "http" not in stack
        or "-extension://" not in stack
        or not any(f.in_app and _is_page_script(f) for f in frames)
    ):
        return frames
    return tuple(
        dataclasses.replace(f, in_app=False) if f.in_app and _is_page_script(f) else f for f in frames
    )


def _is_page_script(frame: StackFrame) -> bool:
    file = frame.file
    return file is not None and frame.path is not None and file.startswith(("http://", "https://"))


def _frames_without_stack(fields: dict[str, str], message: str) -> tuple[StackFrame, ...]:
    """A report without stack frames, located another way: server loggers' `Location: api/x.js:78`
    or `File` + `Line`; the extensions page's error panel (`Stack Trace: background.js:12
    (anonymous function)`, `Context: background.js`); a message ending `at file.js:12:5`."""
    location = fields.get("location")
    if location:
        file, line, column = split_location(location)
        return (make_frame(None, file, line, column, f"Location: {location}"),)
    file = fields.get("file")
    if file:
        line = fields.get("line", "")
        _file, number, _column = split_location(f"{file}:{line}")
        return (make_frame(None, file, number, None, f"File: {file}"),)
    for key in ("stack trace", "stack"):
        frames = parse_stack(fields.get(key))
        if frames:
            return frames
    context = fields.get("context")
    if context:
        frames = parse_stack(f"Context: {context}")
        if frames:
            return frames
    return parse_stack(message) if " at " in message or "," in message else ()
