"""Test doubles for the fix engine: an in-memory forge, a scripted ChatModel and builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.models import (
    ChatResponse,
    ErrorFingerprint,
    ErrorReport,
    Source,
    StackFrame,
    TokenUsage,
)
from homeostat_core.ports import LlmError, TreeEntry, TreeListing


class MemoryForge:
    """Implements the one Forge method the fix engine uses: read_file."""

    def __init__(self, files: dict[str, str]):
        self.files = dict(files)
        self.api_calls = 0
        self.reads: list[str] = []

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        self.api_calls += 1
        self.reads.append(path)
        return self.files.get(path)

    def list_tree(self, repo: RepoConfig, folder: TreeEntry | None = None) -> TreeListing:
        self.api_calls += 1
        entries = [
            TreeEntry(p, "blob", "100644", f"sha-{hash(c)}", len(c.encode())) for p, c in self.files.items()
        ]
        folders = {"/".join(p.split("/")[:i]) for p in self.files for i in range(1, p.count("/") + 1)}
        entries += [TreeEntry(f, "tree", "040000", f"tree-{f}") for f in sorted(folders)]
        return TreeListing("root", tuple(entries))


@dataclass
class FakeChatModel:
    """A ChatModel answering from a function of (model, messages); records every call."""

    answer: Callable[[str, list[dict[str, str]]], str | LlmError]
    usage: TokenUsage = TokenUsage(prompt=1000, completion=200, cached=100)
    calls: list[dict] = field(default_factory=list)

    def complete(self, *, base_url, api_key_name, model, messages, max_tokens) -> ChatResponse:
        self.calls.append({"base_url": base_url, "key": api_key_name, "model": model, "messages": messages})
        result = self.answer(model, messages)
        if isinstance(result, LlmError):
            raise result
        return ChatResponse(content=result, model=model, usage=self.usage)


def repo_config(**overrides) -> RepoConfig:
    values = dict(
        slug="acme/ext",
        branch="main",
        max_prs_per_run=2,
        labels=("homeostat",),
        path_filters=PathFilters(include=("src", "manifest.json", "package.json"), exclude=("src/vendor",)),
    )
    values.update(overrides)
    return RepoConfig(**values)


def frame(
    path: str, line: int, function: str | None = "handler", column: int | None = 5, in_app: bool = True
):
    return StackFrame(
        function=function,
        file=f"chrome-extension://abcdefghijklmnopabcdefghijklmnop/{path}",
        line=line,
        column=column,
        path=path,
        in_app=in_app,
        raw=f"at {function} ({path}:{line}:{column})",
    )


def error_report(
    frames: tuple[StackFrame, ...],
    error_type: str = "TypeError",
    message: str = "Cannot read properties of undefined (reading 'length')",
    breadcrumbs: tuple[str, ...] = (),
) -> ErrorReport:
    stack = f"{error_type}: {message}\n" + "\n".join(f"    {f.raw}" for f in frames)
    return ErrorReport(
        source=Source.EXTENSION,
        product="ext",
        error_type=error_type,
        message=message,
        stack=stack,
        frames=frames,
        breadcrumbs=breadcrumbs,
    )


def fingerprint(fid: str = "fp-1a2b3c4d5e6f") -> ErrorFingerprint:
    return ErrorFingerprint(
        id=fid,
        error_type="TypeError",
        file_path="src/popup.js",
        top_stack_frame="handler",
        message_hash="abcd",
        full_signature="TypeError:src/popup.js:handler",
    )


POPUP_JS = """\
import { loadSettings } from './settings.js';

function countItems(list) {
  let total = 0;
  for (const item of list.items) {
    total += item.count;
  }
  return total;
}

export function render(state) {
  const el = document.getElementById('count');
  el.textContent = String(countItems(state.list));
  return el.textContent.length;
}

export async function init() {
  const settings = await loadSettings();
  render({ list: settings.list });
}
"""
