"""The ports the core talks to. Adapters implement them; the core never imports an adapter.

Errors crossing a port are the typed exceptions below, so the core can decide what to retry,
record or skip without knowing about HTTP libraries or boto3.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
    Release,
    RunRecord,
)
from homeostat_core.versions import parse_version, version_of_tag

BRANCH_PREFIX = "homeostat/fix-"
DEFAULT_BOT_LOGIN = "homeostat[bot]"
# GitHub refuses an issue/PR body or comment longer than this (422 "body is too long").
MAX_BODY_CHARS = 65_536
# How far upsert_pr looks for a free branch name when strangers hold `branch_for(id)`.
MAX_BRANCH_SUFFIX = 20


def branch_for(fingerprint_id: str) -> str:
    """The preferred head branch of the one PR a fingerprint may have.

    When someone else holds that name, the forge uses `<branch>-2`, `-3`, …; `is_branch_for`
    recognizes all of them.
    """
    return f"{BRANCH_PREFIX}{fingerprint_id}"


def is_branch_for(branch: str, fingerprint_id: str) -> bool:
    base = branch_for(fingerprint_id)
    return branch == base or re.fullmatch(re.escape(base) + r"-[0-9]+", branch) is not None


def branch_candidates(fingerprint_id: str) -> list[str]:
    """`branch_for(id)`, then `-2`, `-3`, … in the order a forge tries them."""
    base = branch_for(fingerprint_id)
    return [base, *(f"{base}-{n}" for n in range(2, MAX_BRANCH_SUFFIX + 1))]


def fit_body(body: str, marker: str | None = None, limit: int = MAX_BODY_CHARS) -> str:
    """A PR body or comment that GitHub accepts: `marker` appended when missing (and kept when
    the text is cut), the rest truncated with a note so the whole stays within `limit` chars."""
    body = body or ""
    tail = ""
    if marker:
        if body.endswith(marker):
            body = body[: -len(marker)].rstrip("\n")
        elif marker in body:
            body = body.replace(marker, "").rstrip("\n")
        tail = f"\n\n{marker}"
    if len(body) + len(tail) <= limit:
        return body + tail
    note_template = "\n\n… (truncated: {} characters left out to stay within GitHub's 65,536-character limit)"
    note = note_template.format(len(body))  # long enough for any count below
    keep = limit - len(tail) - len(note)
    return body[:keep] + note_template.format(len(body) - keep) + tail


def own_pull_request(pr: PullRequest, repo_slug: str, login: str) -> bool:
    """Homeostat's own PR: opened by `login` from a branch of the base repository itself."""
    if not (login and pr.author and pr.head_repo):  # unknown is never ours
        return False
    return pr.head_repo.lower() == repo_slug.lower() and pr.author.lower() == login.lower()


def check_verdict(failing: Sequence[str], pending: Sequence[str], total: int) -> CheckResult:
    """One verdict for a commit from all its checks (both forges): failure when any failed,
    pending while any runs, none when nothing reported at all, success otherwise."""
    if failing:
        return CheckResult("failure", _short("failing: " + "; ".join(failing)), total)
    if pending:
        return CheckResult("pending", _short("pending: " + ", ".join(pending)), total)
    if total == 0:
        return CheckResult("none", "no checks or statuses reported on this commit", 0)
    return CheckResult("success", f"{total} checks passed", total)


def releases_from(tags: Mapping[str, str], titles: Mapping[str, str] | None = None) -> list[Release]:
    """The releases both forges report: each tag named after a version, plus each published
    release whose tag is not named so but whose title is; lowest version first, one per version.

    `tags`: tag name → the commit it points at; `titles`: tag name → a published release's title.
    """
    found: dict[tuple, Release] = {}
    for tag in sorted(tags):
        version = version_of_tag(tag) or version_of_tag((titles or {}).get(tag))
        if version is not None:
            found.setdefault(parse_version(version), Release(version=version, tag=tag, sha=tags[tag]))
    return [found[key] for key in sorted(found)]


def _short(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- errors -----------------------------------------------------------------------------------


class PortError(Exception):
    """Base of every error a port raises."""

    # What model calls had cost when this error interrupted a fix (the fix engine sets it), so
    # the budget is settled to the real spend, not refunded.
    spent_usd: float = 0.0


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


class ForeignCommits(ForgeError):
    """Homeostat's branch does not end at the commit Homeostat last pushed (someone else
    committed, or the caller did not say what it pushed): nothing was written."""

    def __init__(self, branch: str, branch_head: str | None, expected_head: str | None):
        self.branch = branch
        self.branch_head = branch_head
        self.expected_head = expected_head
        super().__init__(
            f"{branch} is at {branch_head or 'nothing'}, not at Homeostat's last push "
            f"{expected_head or '(none recorded)'}: leaving it to people"
        )


class NotOwnPullRequest(ForgeError):
    """A write to a PR Homeostat did not open (another author, or a fork); nothing was written."""


class LlmError(PortError):
    """A model call failed; `kind` is timeout | rate_limit | server | bad_request | auth, or
    deadline (not made, or cut short, because the invocation's time is nearly up)."""

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


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One entry of a repository tree listing (GitHub's git/trees shape)."""

    path: str  # repository-relative, "/"-separated
    type: str  # blob | tree | commit (a submodule)
    mode: str  # 100644, 100755, 120000 (symlink), 040000 (tree), 160000 (submodule)
    sha: str
    size: int | None = None  # blobs only

    @property
    def is_file(self) -> bool:
        """A regular file: symlinks and submodules are not files Homeostat reads."""
        return self.type == "blob" and self.mode in ("100644", "100755")


@dataclass(frozen=True, slots=True)
class TreeListing:
    sha: str  # the listed tree's own sha (list its folders with TreeEntry(path, "tree", ..., sha))
    entries: tuple[TreeEntry, ...]
    truncated: bool = False  # GitHub stopped listing early (over 100,000 entries or 7 MB)


@runtime_checkable
class Forge(Protocol):
    """Where code and issues live: GitHub in Lambda, git folders locally. Both behave the same.

    Trust: a PR is Homeostat's own only when its author is `whoami()` and its head repository is
    the base repository (`own_pull_request`). Every write to a PR refuses (NotOwnPullRequest) a
    PR that is not its own; `find_open_pr` and `list_own_open_prs` never return one.
    """

    api_calls: int

    def whoami(self, repo: RepoConfig | None = None) -> str:
        """The login Homeostat acts as for `repo` (resolved once per credential, then cached); its
        commits carry it. A GitHub App acts as `<app-slug>[bot]`, a token as its user."""

    def list_trigger_issues(
        self, repo: RepoConfig, since: datetime | None = None, *, include_opted_out: bool = False
    ) -> list[ForgeIssue]:
        """Open issues with the trigger label, from allowed authors, without the opt-out label
        (`include_opted_out`: with those too, so a run sees a person's opt-out; their labels say
        which). Also the start of a repo run: per-run caches (open PRs, base head) are dropped."""

    def get_issue(self, repo: RepoConfig, number: int) -> ForgeIssue | None:
        """Any state, labels and closed_at; None when there is no such issue."""

    def close_issue(self, repo: RepoConfig, number: int) -> None: ...

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        """File text at `ref` (default: the repo's branch); None when it does not exist."""

    def base_commit(self, repo: RepoConfig) -> str:
        """The base branch's head commit: what a new fix commit is built on."""

    def line_url(self, repo: RepoConfig, commit: str, path: str, line: int | None) -> str:
        """A link to `path` (at `line`) as of `commit`, for people reading a PR body."""

    def list_tree(self, repo: RepoConfig, folder: TreeEntry | None = None) -> TreeListing:
        """The base branch head's tree: every entry at every depth in one call (`folder` None),
        or the direct children of `folder`, a tree entry of an earlier listing. Paths are
        repository-relative; symlinks come as mode 120000 entries and are never followed.
        GitHub may cut a recursive listing short (`truncated`): list folders one by one then."""

    def find_open_pr(self, repo: RepoConfig, fingerprint_id: str) -> PullRequest | None:
        """Homeostat's own open PR for the fingerprint (marker in the body or branch
        `is_branch_for`); never someone else's PR, whatever its branch name."""

    def list_own_open_prs(self, repo: RepoConfig) -> list[PullRequest]:
        """Every open PR that is Homeostat's own (one listing per run)."""

    def get_pr(self, repo: RepoConfig, number: int) -> PullRequest | None:
        """A PR in any state (anyone's); None when there is no such PR."""

    def upsert_pr(
        self,
        repo: RepoConfig,
        fingerprint_id: str,
        changes: Sequence[FileChange],
        title: str,
        body: str,
        *,
        expected_head: str | None = None,
        draft: bool = True,
    ) -> tuple[PullRequest, bool]:
        """Commit `changes` on the fingerprint's branch (the base head's tree plus `changes`; on an
        open PR a new commit on top of its head, never a rewrite) and open or
        update Homeostat's own PR. Returns (pr, created); pr.head_sha is the commit just pushed
        and pr.branch the branch actually used.

        - Own open PR: its branch moves only when its head is `expected_head` (what Homeostat
          last pushed); otherwise ForeignCommits, nothing written.
        - No own PR: `branch_for(id)` or, when someone else holds it (a foreign open PR on that
          branch name, or a branch whose head commit Homeostat did not create), the first free
          `-2`, `-3`, …; a leftover branch whose head Homeostat created is reused.
        - New PRs are drafts when `draft`; a repository without drafts gets a normal PR
          (pr.draft False).
        Refuses (PathNotAllowed) any change outside repo.path_filters.
        """

    def mark_ready(self, repo: RepoConfig, number: int) -> None:
        """Take Homeostat's own draft PR out of draft (no-op when it is not a draft)."""

    def request_reviewers(self, repo: RepoConfig, number: int, reviewers: Sequence[str]) -> None:
        """Ask users (or `org/team`) to review Homeostat's own PR."""

    def close_pr(self, repo: RepoConfig, number: int) -> None:
        """Close Homeostat's own PR unmerged."""

    def delete_branch(self, repo: RepoConfig, branch: str) -> None:
        """Delete a Homeostat branch (`homeostat/fix-…` only); already gone is fine."""

    def comment_on_issue(self, repo: RepoConfig, issue_number: int, body: str, marker: str) -> None:
        """Post a comment, or edit the earlier one carrying `marker` instead of repeating it.
        The body is kept within MAX_BODY_CHARS (`fit_body`)."""

    def comment_on_pr(self, repo: RepoConfig, number: int, body: str, marker: str) -> None:
        """`comment_on_issue` on Homeostat's own PR; NotOwnPullRequest for anyone else's."""

    def add_labels(self, repo: RepoConfig, issue_number: int, labels: Sequence[str]) -> None: ...

    def list_releases(self, repo: RepoConfig) -> list[Release]:
        """What the repository released (`releases_from`): tags and published releases named after
        a version, with their commits; drafts never. One listing per call: callers keep it for
        the run."""

    def commit_contains(self, repo: RepoConfig, commit: str, ancestor: str) -> bool:
        """Whether `commit` is `ancestor` or descends from it (GitHub: compare ancestor...commit
        is `ahead` or `identical`); ForgeError for a commit the repository does not have."""

    def get_check_results(self, repo: RepoConfig, head_sha: str) -> CheckResult:
        """Every check run (all apps, all pages) and commit status on the commit `head_sha`,
        as one verdict (`check_verdict`)."""


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

    def save(self, state: AttemptState) -> AttemptState:
        """Update an existing attempt under optimistic locking (version); ConflictError on a race."""

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

    def settle_usd(self, repo: str, day: date, reserved: float, actual: float) -> None:
        """Replace a reservation by the real cost (a refund when `actual` is 0)."""

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


@dataclass(frozen=True, slots=True)
class QueueMessage:
    body: dict
    group_id: str
    dedup_id: str


class JobQueue(Protocol):
    """The FIFO queue between scheduler/webhook and worker."""

    def send(self, body: dict, *, group_id: str, dedup_id: str) -> None: ...

    def send_many(self, messages: Sequence[QueueMessage]) -> None:
        """Every message, in order within its group, in as few requests as the queue allows (SQS:
        batches of 10); raises naming the messages that could not be sent."""


MAX_SOURCE_MAP_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class SourceMapFile:
    """A source map as a store holds it.

    `map_path` is the map's own repository-relative path (its `sources` resolve against its
    folder); `bundle` is the minified file it maps, when the store has it (it lets the original
    function names be recovered from scopes); `where` names the map for run records and errors.
    """

    map_path: str
    data: bytes
    bundle: bytes | None = None
    where: str = ""


class SourceMapRejected(PortError):
    """A map that exists but cannot be used (too large, unreadable); `reason` says why."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class SourceMapStore(Protocol):
    """Source maps for one repository and extension version (docs/SOURCEMAPS.md)."""

    def find_map(self, bundle_path: str) -> SourceMapFile | None:
        """The map of the bundle at `bundle_path` (its path inside the extension, e.g.
        `dist/background.js`), or None when there is none. Raises SourceMapRejected for a map
        over MAX_SOURCE_MAP_BYTES or one that cannot be read."""


@dataclass(frozen=True)
class Ports:
    """Everything a repo run talks to; handlers and local mode wire adapters in."""

    forge: Forge
    llm: ChatModel
    attempts: AttemptStore
    patterns: PatternStore
    budgets: BudgetStore
    runs: RunStore
    clock: Clock
    # Source maps uploaded per extension version (wiring: the S3 bucket); None: none uploaded. The
    # run tries maps committed in the repository after these.
    source_maps: Callable[[RepoConfig, str | None], SourceMapStore | None] | None = None


@dataclass(frozen=True)
class Deadline:
    """Stops new work when fewer than `margin_s` seconds are left (Lambda's remaining time)."""

    remaining_s: Callable[[], float]
    margin_s: float = 60.0

    def near(self) -> bool:
        return self.remaining_s() < self.margin_s

    def time_left(self) -> float:
        """Seconds a wait or a call may still take before the margin (adapters' time budgets)."""
        return self.remaining_s() - self.margin_s

    @staticmethod
    def unlimited() -> Deadline:
        return Deadline(remaining_s=lambda: float("inf"), margin_s=0.0)


@dataclass(frozen=True, slots=True)
class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OffsetClock:
    """The local world's clock: real time plus the state folder's offset (`local run --later`)."""

    offset: timedelta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def clock_for(offset_hours: float) -> Clock:
    """The one clock every time Homeostat records is read from (the local clock in local mode)."""
    return OffsetClock(timedelta(hours=offset_hours)) if offset_hours else SystemClock()


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
    "DEFAULT_BOT_LOGIN",
    "FileEdit",
    "ForeignCommits",
    "Forge",
    "JobQueue",
    "ForgeError",
    "LlmError",
    "MAX_BODY_CHARS",
    "NotOwnPullRequest",
    "PathFilters",
    "Ports",
    "Deadline",
    "OffsetClock",
    "SystemClock",
    "clock_for",
    "TreeEntry",
    "TreeListing",
    "PathNotAllowed",
    "PatternStore",
    "PortError",
    "QueueMessage",
    "RunStore",
    "SourceMapFile",
    "SourceMapRejected",
    "SourceMapStore",
    "branch_candidates",
    "branch_for",
    "check_verdict",
    "fit_body",
    "is_branch_for",
    "own_pull_request",
    "releases_from",
]
