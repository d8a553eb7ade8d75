"""A logger issue saved as markdown: the project's example format (YAML front matter with title,
labels and author, then the body) or a `# title` first line. Pure text in, checked values out.

    ---
    title: "[NoteBridge] TypeError: Cannot read properties of undefined (reading 'push')"
    labels: [robot]
    author: cloakpipe-bot
    ---
    ## Error Details
    ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)
_FRONT_MATTER_KEYS = frozenset({"title", "labels", "author", "number", "state", "created_at", "updated_at"})


@dataclass(frozen=True, slots=True)
class IssueFile:
    title: str
    body: str
    labels: tuple[str, ...] = ()
    author: str | None = None


def read_issue_markdown(text: str, where: str) -> IssueFile:
    """Split an issue file's text; raises ValueError naming `where`, the key and the reason."""
    match = _FRONT_MATTER.match(text)
    if match:
        return _from_front_matter(match.group(1), match.group(2), where)
    if text.startswith("---"):
        raise ValueError(f"{where}: front matter opened with '---' on line 1 but never closed")
    first, _newline, rest = text.partition("\n")
    stripped = first.strip()
    if stripped.startswith("# ") and stripped[2:].strip():
        return IssueFile(stripped[2:].strip(), rest)
    raise ValueError(
        f"{where}: no title: start the file with YAML front matter ('---', 'title: ...', '---') "
        "or a '# [Product] ErrorType: message' line"
    )


def _from_front_matter(front: str, body: str, where: str) -> IssueFile:
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        raise ValueError(f"{where}: front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{where}: front matter must be a mapping of keys (title, labels, author)")
    unknown = sorted(str(key) for key in meta if key not in _FRONT_MATTER_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: front matter key {unknown[0]!r} is not known; use {', '.join(sorted(_FRONT_MATTER_KEYS))}"
        )
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"{where}: front matter 'title' must be a non-empty string")
    labels = meta.get("labels", [])
    if labels is None:
        labels = []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise ValueError(f"{where}: front matter 'labels' must be a list of strings, e.g. [robot]")
    author = meta.get("author")
    if author is not None and not isinstance(author, str):
        raise ValueError(f"{where}: front matter 'author' must be a string")
    return IssueFile(title.strip(), body.lstrip("\n"), tuple(labels), author)
