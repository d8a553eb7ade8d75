"""What the model would be shown for one issue against one repository: intake, symbolication
with the maps committed in the repository, then the located frames and the fitted prompt.

The same steps as a pipeline run up to the model call; `homeostat context` and
bench/context_recall.py use it, so what they show is what a run would send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from homeostat_core.config import RepoConfig
from homeostat_core.fingerprint import is_minified_frame
from homeostat_core.fingerprint_history import fingerprint_with_history
from homeostat_core.fixing.model_settings import ModelSettings
from homeostat_core.fixing.prompts import BuiltPrompt, PromptContext, build_fix_messages, load_context
from homeostat_core.intake import parse_issue
from homeostat_core.intake.issue_file import read_issue_markdown
from homeostat_core.models import ErrorReport, SourceResolution
from homeostat_core.ports import Forge
from homeostat_core.sourcing.resolve import PathMatch
from homeostat_core.sourcing.sources import RepoSources


def bundle_locator(sources: RepoSources) -> Callable[[str], str]:
    """A bundle's path inside the extension → its repository path, by the same rules as frames
    (kept as is when nothing resolves: the map store then finds nothing there)."""

    def locate(bundle_path: str) -> str:
        match = sources.resolver(None).resolve(bundle_path)
        return match.path if isinstance(match, PathMatch) else bundle_path

    return locate


@dataclass(frozen=True)
class IssueContext:
    report: ErrorReport
    context: PromptContext
    prompt: BuiltPrompt | None  # None when no source was found (the engine's no_source)

    @property
    def resolution(self) -> SourceResolution | None:
        return self.context.resolution

    @property
    def resolved_by(self) -> str:
        return self.resolution.rule if self.resolution else "none"

    def to_json(self) -> dict[str, Any]:
        """`homeostat context`'s answer: the file, the rule, the windows (1-based, inclusive)."""
        resolution = self.resolution
        data: dict[str, Any] = {
            "filePath": resolution.path if resolution and self.prompt else None,
            "resolvedBy": self.resolved_by if self.prompt else "none",
            "windows": [
                {"path": w.path, "start": w.start, "end": w.end, "why": "; ".join(w.whys) or "frame"}
                for w in (self.prompt.windows if self.prompt else ())
            ],
            "promptTokens": self.prompt.estimated_tokens if self.prompt else 0,
        }
        if resolution is not None:
            data["resolution"] = resolution.to_json()
        data["frames"] = list(self.context.located)
        return data


def issue_context(
    markdown: str, forge: Forge, repo: RepoConfig, settings: ModelSettings, *, where: str = "issue"
) -> IssueContext:
    """Raises ValueError (a bad issue file) or UnparseableIssue (not an error report)."""
    issue = read_issue_markdown(markdown, where)
    report = parse_issue(issue.title, issue.body, issue.labels)
    sources = RepoSources(forge, repo)
    if any(frame.in_app and is_minified_frame(frame) for frame in report.frames):
        # lazy: symbolic (native) loads only for minified frames, as in a run
        from homeostat_core.symbolication import ForgeSourceMaps, symbolicate

        report, _stats = symbolicate(
            report, ForgeSourceMaps(forge, repo, repo.branch, bundle_locator(sources))
        )
    context = load_context(report, fingerprint_with_history(report), repo, sources)
    prompt = build_fix_messages(context, settings) if context.has_source else None
    return IssueContext(report, context, prompt)
