"""What one repo run carries: the run context, a group of issues with one fingerprint, and the
outcome helpers every stage handler uses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from homeostat_core.config import RepoConfig
from homeostat_core.lifecycle import Policy
from homeostat_core.models import (
    AttemptState,
    ErrorFingerprint,
    ErrorReport,
    ForgeIssue,
)
from homeostat_core.outcomes import (
    Deferral,
    FingerprintOutcome,
    Result,
)
from homeostat_core.ports import AttemptStore, Deadline, Forge, Ports
from homeostat_core.releases import RepoReleases
from homeostat_core.sourcing.sources import RepoSources


@dataclass
class Group:
    """Issues that share a fingerprint: one piece of work, one PR."""

    fingerprint: ErrorFingerprint
    report: ErrorReport
    issues: list[ForgeIssue] = field(default_factory=list)  # the ones to work on
    answered: list[ForgeIssue] = field(default_factory=list)  # labelled rejected / gave up already
    versions: dict[int, str | None] = field(default_factory=dict)  # extension version per issue
    installs: dict[int, str | None] = field(default_factory=dict)  # per-install id per issue, if any
    browsers: dict[int, str | None] = field(default_factory=dict)  # the browser per issue, if known
    messages: dict[int, str] = field(default_factory=dict)  # the message per issue (browsers word it apart)
    opted_out: list[ForgeIssue] = field(default_factory=list)  # carrying the opt-out label: a person's no

    @property
    def issue_numbers(self) -> tuple[int, ...]:
        return tuple(issue.number for issue in self.issues)

    def newest_report(self) -> datetime | None:
        dates = [issue.created_at for issue in self.issues if issue.created_at is not None]
        return max(dates) if dates else None


@dataclass
class RunContext:
    repo: RepoConfig
    ports: Ports
    deadline: Deadline
    model_settings: object
    policy: Policy
    now: datetime
    env: str
    prs_opened: int = 0
    open_prs: int = 0
    symbolicators: dict = field(default_factory=dict)  # per extension version, one per run
    committed_maps: object = None  # the repository's committed source maps, one store per run
    reports_without_version: int = 0
    _sources: RepoSources | None = None
    out_of_time: bool = False  # a fix stopped for the deadline: no new work, the run continues later
    _releases: RepoReleases | None = None

    @property
    def releases(self) -> RepoReleases:
        """What the repository released: read from the forge only when asked, once per run."""
        if self._releases is None:
            self._releases = RepoReleases(self.forge, self.repo)
        return self._releases

    @property
    def attempts(self) -> AttemptStore:
        return self.ports.attempts

    @property
    def sources(self) -> RepoSources:
        """The repository at its base branch for this run: one tree listing, files read once."""
        if self._sources is None:
            self._sources = RepoSources(self.ports.forge, self.repo)
        return self._sources

    @property
    def forge(self) -> Forge:
        return self.ports.forge


class Deferred(Exception):
    """This fingerprint waits for a later run: the cause is counted, the reason says it to people."""

    def __init__(self, cause: Deferral, reason: str):
        super().__init__(reason)
        self.cause = cause
        self.reason = reason


def deferred(group: Group, cause: Deferral, reason: str) -> FingerprintOutcome:
    return outcome_for(group, Result.DEFERRED, reason=reason, deferral=cause)


def outcome_for(group: Group, result: Result, **fields) -> FingerprintOutcome:
    fp = group.fingerprint
    return FingerprintOutcome(
        result=result,
        issues=group.issue_numbers,
        fingerprint=fp.id,
        error_type=fp.error_type,
        file=fp.file_path,
        **fields,
    )


def has_open_pr(state: AttemptState | None) -> bool:
    return state is not None and state.pr_number is not None and state.closed_at is None


def capped_issues(ctx: RunContext, numbers) -> Iterator[int]:
    """At most max_issue_comments_per_run issues (the PR body lists them all), deadline-checked."""
    for index, number in enumerate(numbers):
        if index >= ctx.repo.max_issue_comments_per_run or ctx.deadline.near():
            return
        yield number
