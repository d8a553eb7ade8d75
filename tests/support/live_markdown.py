"""Find what is *live* in GitHub-flavoured Markdown: what GitHub would render as a link, image, HTML,
heading or table, or turn into a mention, an issue reference or a closing keyword.

A checker for the tests, written apart from the renderers (homeostat_core/report.py) so one's bug
does not hide the other's. It follows CommonMark where it matters for escaping:
- fenced code blocks (backtick or tilde runs of 3+, indented at most 3 spaces, closed only by a
  run of the same character at least as long with nothing after it; an unclosed fence runs to
  the end of the document) are code;
- in the rest, inline code spans (a backtick run closed by the next run of exactly the same
  length within the paragraph) are code; an HTML tag or autolink that starts before a backtick
  run wins over it (CommonMark gives both precedence over code spans), so it is reported;
- everything else is searched, after decoding HTML entities and dropping backslash escapes
  (so `&#64;x` counts as a mention: the checker errs on the side of reporting).

It does not model lists, block quotes or indented code: text there is treated as live, which can
only over-report. `live_constructs` returns (kind, text) pairs; tests compare them with what the
same template yields for benign input, so Homeostat's own headings, links and markers cancel out.
"""

from __future__ import annotations

import html
import re
from collections import Counter

FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
CLOSING_KEYWORD = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\b\s*:?\s*"
    r"(?:#\d|[\w.-]+/[\w.-]+#\d|GH-\d|https?://\S*/(?:issues|pull)/\d)",
    re.I,
)
HIDDEN = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)

# Inline things GitHub renders outside code.
_HTML_AT = re.compile(
    r"<(?:[A-Za-z][A-Za-z0-9-]*(?:\s[^>]*)?/?>|/[A-Za-z][A-Za-z0-9-]*\s*>|!--.*?-->|!--|![A-Za-z]|\?)",
    re.S,
)
_AUTOLINK_AT = re.compile(
    r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)*)>"
)
_LIVE_PATTERNS = {
    "link": re.compile(r"\]\s*[\[(]"),
    "link_definition": re.compile(r"^ {0,3}\[[^\]]+\]:", re.M),
    "image": re.compile(r"!\["),
    "url": re.compile(r"\b(?:https?|ftp|mailto|javascript|data|file):", re.I),
    "www": re.compile(r"\bwww\.", re.I),
    "email": re.compile(r"[\w.+-]@[\w-]+\.[\w.-]*[A-Za-z]"),
    "mention": re.compile(r"(?<![\w`])@[A-Za-z0-9][\w-]*"),
    "reference": re.compile(r"#\d|\bGH-\d", re.I),
    "closing_keyword": CLOSING_KEYWORD,
    "heading": re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)", re.M),
    "setext_heading": re.compile(r"^ {0,3}(?:=+|-{2,})[ \t]*$", re.M),
    "table": re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*\|[ \t:|-]*$", re.M),
    "html_entity_tag": re.compile(r"<[A-Za-z/!]"),
}


def _fence_close(line: str, opener: str) -> bool:
    stripped = line[len(line) - len(line.lstrip(" ")) :]
    if len(line) - len(stripped) > 3:
        return False
    run = re.match(r"`+|~+", stripped)
    return (
        bool(run)
        and run.group(0)[0] == opener[0]
        and len(run.group(0)) >= len(opener)
        and not stripped[run.end() :].strip()
    )


def split_fences(markdown: str) -> tuple[list[str], list[str]]:
    """(paragraph texts outside fences, code texts inside fences), by CommonMark's fence rules."""
    outside: list[str] = []
    inside: list[str] = []
    paragraph: list[str] = []
    code: list[str] = []
    opener: str | None = None
    for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if opener is not None:
            if _fence_close(line, opener):
                inside.append("\n".join(code))
                code, opener = [], None
            else:
                code.append(line)
            continue
        match = FENCE_OPEN.fullmatch(line)
        if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
            opener = match.group(1)
            if paragraph:
                outside.append("\n".join(paragraph))
                paragraph = []
            continue
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            outside.append("\n".join(paragraph))
            paragraph = []
    if paragraph:
        outside.append("\n".join(paragraph))
    if opener is not None:
        inside.append("\n".join(code))
    return outside, inside


def strip_code_spans(paragraph: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    """(the paragraph with code spans removed, the spans' contents, HTML/autolinks found first).

    Scans left to right: an HTML tag or autolink starting at `<` wins over a later backtick run;
    a backtick run of length n opens a span only if a run of exactly n follows."""
    live: list[str] = []
    spans: list[str] = []
    html_found: list[tuple[str, str]] = []
    i = 0
    while i < len(paragraph):
        char = paragraph[i]
        if char == "\\" and i + 1 < len(paragraph):
            live.append(paragraph[i : i + 2])
            i += 2
            continue
        if char == "<":
            match = _AUTOLINK_AT.match(paragraph, i) or _HTML_AT.match(paragraph, i)
            if match:
                html_found.append(("html", match.group(0)))
                live.append(" ")
                i = match.end()
                continue
        if char == "`":
            run = re.match(r"`+", paragraph[i:]).group(0)
            end = i + len(run)
            closer = re.compile(rf"(?<!`){run}(?!`)")
            found = closer.search(paragraph, end)
            if found:
                spans.append(paragraph[end : found.start()])
                live.append(" ")
                i = found.end()
                continue
            live.append(run)
            i = end
            continue
        live.append(char)
        i += 1
    return "".join(live), spans, html_found


def live_constructs(markdown: str) -> Counter:
    """Every live construct in `markdown` as a Counter of (kind, text)."""
    found: Counter = Counter()
    outside, _inside = split_fences(markdown)
    for paragraph in outside:
        text, _spans, html_found = strip_code_spans(paragraph)
        found.update(html_found)
        text = html.unescape(re.sub(r"\\(.)", r"\1", text))
        for kind, pattern in _LIVE_PATTERNS.items():
            found.update((kind, m.group(0)) for m in pattern.finditer(text))
    # Anywhere, code included: hidden characters, and closing keywords (a squash-merge commit
    # message carries the PR body as plain text, where a code fence means nothing).
    found.update(("hidden", repr(m.group(0))) for m in HIDDEN.finditer(markdown))
    found.update(("closing_anywhere", m.group(0)) for m in CLOSING_KEYWORD.finditer(markdown))
    found.update(("marker_anywhere", m.group(0)) for m in re.finditer(r"<!--\s*homeostat:[^>]*", markdown))
    return found


def survivors(hostile: str, baseline: str) -> Counter:
    """Live constructs in `hostile` that the same template did not produce for benign input."""
    return live_constructs(hostile) - live_constructs(baseline)


TITLE_RISKS = {
    "reference": re.compile(r"#\d|\bGH-\d", re.I),
    "mention": re.compile(r"@[A-Za-z0-9]"),
    "closing_keyword": CLOSING_KEYWORD,
    "url": re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://|\bwww\.", re.I),
    "markdown": re.compile(r"[`<>\[\]]"),
    "line_break": re.compile("[\n\r\u0085\u2028\u2029]"),
    "hidden": HIDDEN,
}


def title_risks(title: str) -> list[tuple[str, str]]:
    """What in a PR title or commit message (plain text) could link, mention, close or hide."""
    return [(kind, m.group(0)) for kind, pattern in TITLE_RISKS.items() for m in pattern.finditer(title)]
