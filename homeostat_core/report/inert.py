"""Making untrusted text inert: what Homeostat publishes from issues, models and repositories
is scrubbed, visible, bounded and sits where GitHub renders nothing (docs/SECURITY.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

Scrub = Callable[[str], str]


TITLE_LIMIT = 100


STACK_FRAME_LIMIT = 10


STACK_LINE_LIMIT = 30


# GitHub refuses an issue/PR body or a comment longer than this many characters.
GITHUB_TEXT_LIMIT = 65_536


# Caps per untrusted field, so a body stays far below GITHUB_TEXT_LIMIT by construction.
MESSAGE_CHARS = 1_000


SUMMARY_CHARS = 4_000


LINE_CHARS = 300  # one stack line, one breadcrumb


BREADCRUMB_LIMIT = 30


DETAIL_CHARS = 1_000


NAME_CHARS = 200  # paths, model names, pattern ids, reason codes


FIXES_LINE_LIMIT = 1_000


# A JS error type as a name (TypeError, DOMException, chrome.runtime.LastError); anything else is "Error".
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$.]{0,63}", re.ASCII)


_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)*", re.ASCII)


TRUNCATED = " … (truncated)"


def fit_github_limit(head: str, tail: str, limit: int = GITHUB_TEXT_LIMIT) -> str:
    """`head` + "\\n\\n" + `tail` within GitHub's length limit: when too long, `head` is cut at a
    line, a fence left open by the cut is closed, and a note says so; `tail` (the "Fixes" lines
    and the hidden marker) is always kept whole."""
    text = f"{head}\n\n{tail}"
    if len(text) <= limit:
        return text
    note = "\n\n_(Homeostat truncated this text to fit GitHub's 65,536-character limit.)_"
    budget = limit - len(tail) - len(note) - 2 - 64  # 64: room for a closing fence
    cut = head[: max(budget, 0)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    closer = open_fence(cut)
    if closer:
        cut = f"{cut}\n{closer}"
    return f"{cut}{note}\n\n{tail}"[:limit]


def identifier_or_error(value: str) -> str:
    """`value` when it is shaped like a JS identifier (dots allowed), else `Error`."""
    return value if IDENTIFIER.fullmatch(value or "") else "Error"


def is_path(value: str) -> bool:
    return bool(value) and len(value) <= NAME_CHARS and bool(_PATH.fullmatch(value))


def one_line(text: str) -> str:
    return " ".join(text.split())


# Characters that are invisible or reorder text (controls, bidi overrides and isolates, zero-width
# joiners, BOM, private use, unassigned): dropped; line and paragraph separators become newlines.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


def visible(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in _HIDDEN_CATEGORIES)


def precap(text: str, limit: int) -> str:
    """A generous first cut (4x) before scrubbing, so the scrubber never sees megabytes; the
    final cut after scrubbing removes any secret this cut could have split."""
    return (text or "")[: limit * 4]


def capped(text: str, limit: int, scrub: Scrub) -> str:
    """Scrubbed, visible, defused and at most `limit` characters (with a note when cut)."""
    text = visible(scrub(precap(text, limit)))
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    return defuse(text)


# A closing keyword followed by a reference (GitHub closes the issue when the PR merges, and when
# a squash-merge commit message carries the PR body, also from inside code).
CLOSING_KEYWORD = r"(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"


_REFERENCE = re.compile(r"#(?=\d)|\bGH-(?=\d)", re.I)


_CLOSING_URL = re.compile(rf"(\b{CLOSING_KEYWORD}\b\W{{0,3}}[a-z][a-z0-9+.-]*):(?=//)", re.I)


_COMMENT_OPEN = re.compile(r"<!-(?=-)")


def defuse(text: str) -> str:
    """What must not work even inside code: a `#n`/`GH-n` reference (a squash-merge commit
    message is plain text), a closing keyword before a URL, and a `<!--` that could forge one of
    Homeostat's hidden markers (they are found by substring)."""
    text = _REFERENCE.sub(lambda m: "＃" if m.group(0) == "#" else m.group(0)[:2] + "–", text)
    text = _CLOSING_URL.sub(r"\1(:)", text)
    return _COMMENT_OPEN.sub("<! -", text)


_PLAIN_TABLE = str.maketrans(
    {
        "`": "'",
        "<": "‹",
        ">": "›",
        "[": "(",
        "]": ")",
        "*": "∗",
        "~": "∼",
        "|": "¦",
        "\\": "/",
        "#": "＃",
        "@": "＠",
    }
)


_URL_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):(?=//)", re.I)


_WWW = re.compile(r"\bwww\.", re.I)


GH_REFERENCE = re.compile(r"\bGH-(?=\d)", re.I)


def plain(text: str) -> str:
    """One line of plain text (a title, a commit message) where nothing links, mentions, renders
    as code or HTML, or hides: no `#`, `@`, backtick, angle or square bracket, URL scheme, `www.`,
    `GH-n`, newline, control, bidi or zero-width character survives as itself."""
    text = one_line(visible(text)).translate(_PLAIN_TABLE)
    text = _URL_SCHEME.sub(r"\1(:)", text)
    text = _WWW.sub("www(.)", text)
    return GH_REFERENCE.sub(lambda m: m.group(0)[:2] + "–", text)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def code_span(text: str | None, limit: int = NAME_CHARS) -> str:
    """`text` (one line, cut at `limit`) as a code span no content can close: the delimiter is
    longer than any backtick run inside, and padded when the content starts or ends with one."""
    text = defuse(one_line(visible((text or "")[: limit * 4])))
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    if not text:
        return "_empty_"
    ticks = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence(text: str) -> str:
    """`text` as a fenced code block no line inside can close (fence longer than any run)."""
    text = defuse(visible(text))
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}\n{text}\n{fence}"


_FENCE_LINE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


def open_fence(text: str) -> str | None:
    """The line that closes the fenced block still open at the end of `text`, if any."""
    opener: str | None = None
    for line in text.split("\n"):
        match = _FENCE_LINE.fullmatch(line)
        if not match:
            continue
        run, rest = match.groups()
        if opener is None:
            if not (run[0] == "`" and "`" in rest):
                opener = run
        elif run[0] == opener[0] and len(run) >= len(opener) and not rest.strip():
            opener = None
    return opener
