"""The ports the core talks to. Adapters implement them; the core never imports an adapter.

Errors crossing a port are the typed exceptions below, so the core can decide what to retry,
record or skip without knowing about HTTP libraries or boto3.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.models import (
    AttemptResult,
    AttemptState,
    ChatResponse,
    CheckResult,
    FileChange,
    FileEdit,
    ForgeIssue,
    Pattern,
    PullRequest,
    RunRecord,
)

BRANCH_PREFIX = "homeostat/fix-"


def branch_for(fingerprint_id: str) -> str:
    """The deterministic head branch of the one PR a fingerprint may have."""
    return f"{BRANCH_PREFIX}{fingerprint_id}"


def pr_marker(fingerprint_id: str) -> str:
    return f"<!-- homeostat:fingerprint={fingerprint_id} -->"


def issue_comment_marker(fingerprint_id: str) -> str:
    return f"<!-- homeostat:issue-comment={fingerprint_id} -->"


# --- errors -----------------------------------------------------------------------------------


class PortError(Exception):
    """Base of every error a port raises."""


class ForgeError(PortError):
    """The forge refused or failed an operation (after its own retries)."""


class RateLimitLow(ForgeError):
    """The credential's GitHub rate-limit budget is below its floor, or a retry would have to wait
    past the time left: stop cleanly and continue at `reset_at` (None: unknown, retry soon)."""

    def __init__(self, message: str, reset_at: datetime | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class PathNotAllowed(ForgeError):
    """An edit outside the repo's path filters reached the forge; nothing was written."""


class LlmError(PortError):
    """A model call failed; `kind` is timeout | rate_limit | server | bad_request | auth."""

    def __init__(self, kind: str, detail: str):
        self.kind = kind
        super().__init__(f"{kind}: {detail}")


class ConflictError(PortError):
    """A conditional write lost a race (another worker got there first)."""


class BudgetExceeded(PortError):
    """A reservation would take a daily budget over its cap."""


# --- forge ------------------------------------------------------------------------------------


def ensure_changes_allowed(repo: RepoConfig, changes: Sequence[FileChange]) -> None:
    """What every Forge checks before writing: something to commit, all of it inside the repo's
    path filters (again, even if a caller forgot). Raises before anything is written."""
    if not changes:
        raise ForgeError("upsert PR: no changes to commit")
    refused = [change.path for change in changes if not repo.path_filters.allows(change.path)]
    if refused:
        raise PathNotAllowed(f"outside the path filters of {repo.slug}: {', '.join(refused)}")


@runtime_checkable
class Forge(Protocol):
    """Where code and issues live: GitHub in Lambda, git folders locally. Both behave the same."""

    api_calls: int

    def list_trigger_issues(self, repo: RepoConfig, since: datetime | None = None) -> list[ForgeIssue]:
        """Open issues with the trigger label, from allowed authors, without the opt-out label."""
        ...

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        """File text at `ref` (default: the repo's branch); None when it does not exist."""
        ...

    def find_open_pr(self, repo: RepoConfig, fingerprint_id: str) -> PullRequest | None: ...

    def upsert_pr(
        self,
        repo: RepoConfig,
        fingerprint_id: str,
        changes: Sequence[FileChange],
        title: str,
        body: str,
    ) -> tuple[PullRequest, bool]:
        """Commit `changes` on `branch_for(fingerprint_id)` and open or update its PR.

        Returns (pr, created). Refuses (PathNotAllowed) any change outside repo.path_filters.
        """
        ...

    def comment_on_issue(self, repo: RepoConfig, issue_number: int, body: str, marker: str) -> None:
        """Post a comment, or edit the earlier one carrying `marker` instead of repeating it."""
        ...

    def add_labels(self, repo: RepoConfig, issue_number: int, labels: Sequence[str]) -> None: ...

    def get_check_results(self, repo: RepoConfig, pr_number: int) -> CheckResult: ...


# --- model ------------------------------------------------------------------------------------


class ChatModel(Protocol):
    """One OpenAI-compatible chat completion. Retries on 429/5xx/timeouts live in the adapter."""

    def complete(
        self, *, base_url: str, api_key_name: str, model: str, messages: list[dict[str, str]], max_tokens: int
    ) -> ChatResponse: ...


# --- state ------------------------------------------------------------------------------------


class AttemptStore(Protocol):
    def get(self, repo: str, fingerprint_id: str) -> AttemptState | None: ...

    def start_attempt(self, state: AttemptState, expected_attempts: int) -> AttemptState:
        """Write `state` only if the stored attempts still equal `expected_attempts` (0 = no item).

        Raises ConflictError when another worker started that attempt first.
        """
        ...

    def save(self, state: AttemptState) -> AttemptState:
        """Update an existing attempt under optimistic locking (version); ConflictError on a race."""
        ...

    def list(self, repo: str) -> list[AttemptState]: ...

    def find_by_pr(self, repo: str, pr_number: int) -> AttemptState | None: ...


class PatternStore(Protocol):
    def get(self, pattern_id: str) -> Pattern | None: ...

    def active_for_fingerprint(self, fingerprint_id: str) -> Pattern | None: ...

    def active_for_type_and_file(self, error_type: str, file_path: str) -> list[Pattern]: ...

    def put(self, pattern: Pattern) -> None: ...

    def all(self) -> list[Pattern]: ...


class BudgetStore(Protocol):
    def reserve_usd(self, repo: str, day: date, amount: float, cap: float) -> None:
        """Atomically add `amount` to the day's spend; BudgetExceeded when it would pass `cap`."""
        ...

    def settle_usd(self, repo: str, day: date, reserved: float, actual: float) -> None:
        """Replace a reservation by the real cost (a refund when `actual` is 0)."""
        ...

    def spent_usd(self, repo: str, day: date) -> float: ...

    def reserve_pr(self, repo: str, day: date, cap: int) -> None: ...

    def prs_opened(self, repo: str, day: date) -> int: ...


class RunStore(Protocol):
    def save(self, record: RunRecord) -> None: ...

    def list(
        self, repo: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[RunRecord]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class JobQueue(Protocol):
    """The FIFO queue between scheduler/webhook and worker."""

    def send(self, body: dict, *, group_id: str, dedup_id: str) -> None: ...


__all__ = [
    "AttemptResult",
    "AttemptState",
    "AttemptStore",
    "BRANCH_PREFIX",
    "BudgetExceeded",
    "BudgetStore",
    "ChatModel",
    "Clock",
    "ConflictError",
    "FileEdit",
    "Forge",
    "JobQueue",
    "ForgeError",
    "LlmError",
    "PathFilters",
    "PathNotAllowed",
    "PatternStore",
    "PortError",
    "RunStore",
    "branch_for",
    "issue_comment_marker",
    "pr_marker",
]
