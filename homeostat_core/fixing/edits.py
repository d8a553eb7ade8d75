"""The one answer format the fix engine accepts from a model, parsed strictly.

The reply is a JSON object, alone or inside exactly one ```json fence and nothing else:

    {"summary": "one or two sentences", "edits": [{"path": "src/a.js", "search": "...", "replace": "..."}]}

`search` is text copied exactly from the current file; it must occur there exactly once. An empty
`edits` list means the model declines (the engine records `model_declined`). Anything else —
prose around the JSON, unknown or duplicate keys, wrong types — is an `EditFormatError` whose
message is fed back to the model on its next try.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from homeostat_core.models import FileEdit

MAX_EDITS = 20
MAX_SUMMARY_CHARS = 1000
_FENCE = re.compile(r"\A```(?:json)?[ \t]*\n(?P<body>.*)\n```\Z", re.S)


class EditFormatError(ValueError):
    """The reply is not in the required format; the message says exactly why."""


@dataclass(frozen=True, slots=True)
class ModelReply:
    summary: str
    edits: tuple[FileEdit, ...]


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise EditFormatError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _json_text(reply: str) -> str:
    text = reply.strip()
    if text.startswith("```"):
        fenced = _FENCE.match(text)
        if not fenced or "```" in fenced.group("body"):
            raise EditFormatError(
                "the reply must be one ```json fenced block with nothing before or after it"
            )
        return fenced.group("body").strip()
    if not text.startswith("{"):
        raise EditFormatError(
            "the reply must be a JSON object (optionally in one ```json fence) and nothing else"
        )
    return text


def _edit(raw: Any, index: int) -> FileEdit:
    where = f"edits[{index}]"
    if not isinstance(raw, dict):
        raise EditFormatError(f"{where} must be an object with path, search, replace")
    keys = set(raw)
    if keys != {"path", "search", "replace"}:
        missing = sorted({"path", "search", "replace"} - keys)
        extra = sorted(keys - {"path", "search", "replace"})
        raise EditFormatError(
            f"{where} must have exactly path, search, replace (missing {missing}, unknown {extra})"
        )
    for key in ("path", "search", "replace"):
        if not isinstance(raw[key], str):
            raise EditFormatError(f"{where}.{key} must be a string")
    if not raw["path"].strip():
        raise EditFormatError(f"{where}.path must not be empty")
    if not raw["search"]:
        raise EditFormatError(
            f"{where}.search must not be empty: copy the exact lines to replace from the file"
        )
    if raw["search"] == raw["replace"]:
        raise EditFormatError(f"{where}: search and replace are identical")
    return FileEdit(path=raw["path"].strip(), search=raw["search"], replace=raw["replace"])


def parse_model_reply(reply: str) -> ModelReply:
    """The summary and edits of a reply; EditFormatError says what is wrong with it."""
    try:
        data = json.loads(_json_text(reply), object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise EditFormatError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        # a reply nested hundreds of levels deep: no edit list looks like that
        raise EditFormatError("invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise EditFormatError("the JSON must be an object with summary and edits")
    if set(data) != {"summary", "edits"}:
        raise EditFormatError(f"the object must have exactly the keys summary and edits, got {sorted(data)}")
    summary, edits = data["summary"], data["edits"]
    if not isinstance(summary, str) or not summary.strip():
        raise EditFormatError("summary must be a non-empty string")
    if len(summary) > MAX_SUMMARY_CHARS:
        raise EditFormatError(f"summary must be at most {MAX_SUMMARY_CHARS} characters")
    if not isinstance(edits, list):
        raise EditFormatError("edits must be a list")
    if len(edits) > MAX_EDITS:
        raise EditFormatError(f"at most {MAX_EDITS} edits")
    return ModelReply(summary=summary.strip(), edits=tuple(_edit(raw, i) for i, raw in enumerate(edits)))


def render_reply(summary: str, edits: tuple[FileEdit, ...] | list[FileEdit]) -> str:
    """The canonical form of a reply (used to show a pattern's edits as an example)."""
    body = {"summary": summary, "edits": [e.to_json() for e in edits]}
    return "```json\n" + json.dumps(body, indent=2, ensure_ascii=False) + "\n```"


__all__ = ["EditFormatError", "ModelReply", "parse_model_reply", "render_reply"]
