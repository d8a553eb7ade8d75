"""A logger issue as a markdown file with YAML front matter (examples/issues/, `local add-issue`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from homeostat_core.commands._errors import CliError

ISSUE_FORMAT = (
    "an issue file is markdown with YAML front matter: a first line `---`, then `title: ...` "
    "(and optionally `labels: [robot]`, `author: NAME`), a line `---`, then the issue body; "
    "see examples/issues/"
)


def read_issue_file(path: Path) -> dict:
    """A markdown issue with YAML front matter (title, labels, author) and the body after it.

    Every way the file can be wrong is a CliError naming the file, the key and the reason.
    """

    def bad(reason: str) -> CliError:
        return CliError(f"{path}: {reason}", ISSUE_FORMAT)

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", "check the path") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not an issue file", "pass one .md file") from None
    except UnicodeDecodeError as exc:
        raise bad(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CliError(
            f"{path}: cannot be read: {exc.strerror}", "check the path and its permissions"
        ) from None
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise bad("front matter expected: the first line must be `---`")
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise bad("the front matter is not closed: no second `---` line")
    try:
        meta = yaml.safe_load("".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (front matter line {mark.line + 1})" if mark is not None else ""
        raise bad(
            f"the front matter is not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"
        ) from None
    if not isinstance(meta, dict):
        raise bad(f"the front matter must be `key: value` lines, got {type(meta).__name__}")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise bad("title: required, a non-empty string")
    labels = meta.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) and x.strip() for x in labels):
        raise bad(f"labels: must be a list of strings, like `labels: [robot]`; got {labels!r}")
    author = meta.get("author", "local")
    if not isinstance(author, str) or not author.strip():
        raise bad("author: must be a non-empty string")
    body = "".join(lines[end + 1 :]).lstrip("\n")
    if not body.strip():
        raise bad("the issue body (after the second `---`) is empty")
    return {"title": title, "labels": labels, "author": author, "body": body}
