"""Domain types shared by the core, the ports and the adapters.

Plain frozen dataclasses: the core passes these between steps; adapters translate them to and
from DynamoDB items, GitHub objects and model responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

MAX_ATTEMPTS = 3
COOLDOWN_HOURS = 24
MAX_APPLIED_FACTS = 50  # webhook fact keys an AttemptState remembers


class Source(StrEnum):
    EXTENSION = "extension"
    WORDPRESS = "wordpress"
    VPS = "vps"


# --- intake ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StackFrame:
    """One frame of a parsed stack trace.

    `file` is the location as written in the trace (URL or path); `path` is the normalized
    repository-relative guess (no scheme, extension id, origin, query, hash or version segment).
    """

    function: str | None
    file: str | None
    line: int | None
    column: int | None
    path: str | None = None
    in_app: bool = True
    raw: str = ""


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """A parsed logger issue."""

    source: Source
    product: str
    error_type: str
    message: str
    stack: str
    frames: tuple[StackFrame, ...]
    breadcrumbs: tuple[str, ...] = ()
    extension_name: str | None = None
    extension_version: str | None = None
    timestamp: str | None = None
    logger_fingerprint: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    user_description: str | None = None
    context: str | None = None
    issue_number: int | None = None


@dataclass(frozen=True, slots=True)
class ErrorFingerprint:
    """The seed's fingerprint fields; `to_json` uses the seed's camelCase keys.

    `version` names the fingerprint algorithm that computed `id` (docs/FINGERPRINTING.md,
    changelog); `previous_ids` are the ids the same error had under older versions, so records
    keyed by an old id can be found and migrated.
    """

    id: str
    error_type: str
    file_path: str
    top_stack_frame: str
    message_hash: str
    full_signature: str
    version: str = ""
    previous_ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "errorType": self.error_type,
            "filePath": self.file_path,
            "topStackFrame": self.top_stack_frame,
            "messageHash": self.message_hash,
            "fullSignature": self.full_signature,
        }
        if self.version:
            data["version"] = self.version
        if self.previous_ids:
            data["previousIds"] = list(self.previous_ids)
        return data


# --- forge ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForgeIssue:
    number: int
    title: str
    body: str
    labels: tuple[str, ...]
    author: str
    url: str = ""
    state: str = "open"
    created_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FileEdit:
    """A search/replace edit: `search` must occur exactly once in the file at `path`."""

    path: str
    search: str
    replace: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "search": self.search, "replace": self.replace}

    @staticmethod
    def from_json(data: dict[str, Any]) -> FileEdit:
        return FileEdit(path=str(data["path"]), search=str(data["search"]), replace=str(data["replace"]))


@dataclass(frozen=True, slots=True)
class FileChange:
    """The full new content of one file, as the forge writes it."""

    path: str
    content: str


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    url: str
    branch: str
    state: str = "open"  # open | closed
    merged: bool = False
    body: str = ""
    head_sha: str = ""
    # who opened it and from where: a PR is Homeostat's own only when author == Forge.whoami()
    # and head_repo is the base repository ("owner/name")
    author: str = ""
    head_repo: str = ""
    draft: bool = False
    merge_commit_sha: str | None = None
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    # False: the PR conflicts with its base branch; None: not known (GitHub computes it lazily,
    # and lists do not carry it)
    mergeable: bool | None = None


@dataclass(frozen=True, slots=True)
class Release:
    """A version the repository released: a tag (a published GitHub release is one) named after a
    version (`v1.3.0`, `1.3.0`; or a release titled so), and the commit it points at."""

    version: str  # as the tag names it, without the leading "v"
    tag: str
    sha: str


# "none": no check run and no commit status at all on that commit
CheckState = Literal["success", "failure", "pending", "none"]


@dataclass(frozen=True, slots=True)
class CheckResult:
    state: CheckState
    summary: str = ""
    checks: int = 0  # check runs + commit statuses seen on the commit


# --- fixing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenUsage:
    prompt: int = 0
    completion: int = 0
    cached: int = 0

    @property
    def total(self) -> int:
        return self.prompt + self.completion

    def __add__(self, other: TokenUsage) -> TokenUsage:
        return TokenUsage(
            self.prompt + other.prompt, self.completion + other.completion, self.cached + other.cached
        )


@dataclass(frozen=True, slots=True)
class ChatResponse:
    content: str
    model: str
    usage: TokenUsage


@dataclass(frozen=True, slots=True)
class SourceResolution:
    """How the fix engine found the file of the error's top frame (docs/FIX-ENGINE.md).

    `rule`: path_map | source_roots | manifest_root | repository_root | suffix | symbol, or none
    (then `tried` holds the paths tried and `roots` the extension roots searched). `confidence`
    below 1 is a guess (a suffix or a name), never to be presented as certain.
    """

    served: str  # the path as the trace gives it
    path: str | None  # the repository file
    rule: str
    root: str | None = None  # the extension root ("" = the repository root) or path_map prefix
    confidence: float = 1.0
    twins: tuple[str, ...] = ()  # the same file under other extension roots (per-browser copies)
    note: str = ""
    tried: tuple[str, ...] = ()
    roots: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"served": self.served, "filePath": self.path, "resolvedBy": self.rule}
        if self.root is not None:
            data["root"] = self.root
        data["confidence"] = self.confidence
        for key, value in (("twins", self.twins), ("tried", self.tried), ("rootsSearched", self.roots)):
            if value:
                data[key] = list(value)
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class ProposedFix:
    """Validated edits ready for a PR, with where they came from and what they cost."""

    edits: tuple[FileEdit, ...]
    changes: tuple[FileChange, ...]
    summary: str
    source: Literal["ai", "pattern"]
    tier: int = 0
    model: str = ""
    cost_usd: float = 0.0
    usage: TokenUsage = TokenUsage()
    pattern_id: str | None = None
    confidence: float | None = None
    pattern_strategy: Literal["exact", "fuzzy"] | None = None
    diff: str = ""
    lines_changed: int = 0
    resolution: SourceResolution | None = None  # how the top frame's file was found (model fixes)
    route: str = ""  # why this tier, for the reviewer (e.g. "sensitive path …: strong model only")
    windows: tuple[str, ...] = ()  # the source windows the model was shown ("src/a.js:40-48")


@dataclass(frozen=True, slots=True)
class FixFailure:
    """A fix that could not be produced; `reason` is a stable code for logs and metrics."""

    reason: str
    detail: str
    cost_usd: float = 0.0
    usage: TokenUsage = TokenUsage()
    tier: int = 0
    resolution: SourceResolution | None = None


# --- state ----------------------------------------------------------------------------------

AttemptResult = Literal["success", "failure", "pending"]


@dataclass(frozen=True, slots=True)
class PrRecord:
    """One of a fingerprint's earlier PRs, kept on its attempt row when the work re-opens (a
    regression, a later release after people closed it): what it came to, and when."""

    number: int
    outcome: str  # the stage it ended at: merged, verified, regressed, closed_by_person, ...
    opened_at: datetime | None = None
    closed_at: datetime | None = None  # merged or closed
    merged: bool = False
    fixed_in: str | None = None  # the release with the fix, else the version at the merge
    cost_usd: float = 0.0  # what its attempts cost

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"number": self.number, "outcome": self.outcome, "merged": self.merged}
        for key, moment in (("openedAt", self.opened_at), ("closedAt", self.closed_at)):
            if moment is not None:
                data[key] = moment.isoformat()
        if self.fixed_in:
            data["fixedIn"] = self.fixed_in
        data["costUsd"] = round(self.cost_usd, 6)
        return data

    @staticmethod
    def from_json(data: dict[str, Any]) -> PrRecord:
        def moment(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

        return PrRecord(
            number=int(data["number"]),
            outcome=str(data.get("outcome") or ""),
            opened_at=moment("openedAt"),
            closed_at=moment("closedAt"),
            merged=bool(data.get("merged")),
            fixed_in=data.get("fixedIn") or None,
            cost_usd=float(data.get("costUsd") or 0.0),
        )


@dataclass(frozen=True, slots=True)
class AttemptState:
    repo: str
    fingerprint_id: str
    attempts: int = 0
    last_attempt_at: datetime | None = None
    backoff_until: datetime | None = None
    last_result: AttemptResult | None = None
    pr_number: int | None = None
    tier: int | None = None
    cost_usd: float = 0.0
    version: int = 0
    # learning inputs: which pattern produced the PR, what CI said, what was changed
    pattern_id: str | None = None
    tests_passed: bool | None = None
    failure_summary: str | None = None
    edits: tuple[FileEdit, ...] = ()
    error_type: str = ""
    file_path: str = ""
    # lifecycle (issue 12); every default is what a row written before these fields loads as
    stage: str = ""  # the lifecycle stage name; "" = a row written before stages existed
    head_sha: str | None = None  # the commit Homeostat last pushed to its PR branch
    branch: str | None = None  # the PR's head branch actually used
    pr_opened_at: datetime | None = None
    closed_at: datetime | None = None
    ci_summary: str | None = None  # scrubbed text of the failing checks
    applied_facts: tuple[str, ...] = ()  # webhook facts already applied (oldest first, at most 50)
    fingerprint_version: str = ""
    occurrence_after: datetime | None = None  # only an issue filed after this re-opens work
    # production outcomes (issue 16, issue 20): facts from the repository, never from a report
    version_at_merge: str | None = None  # the version_file at the merge commit
    merge_sha: str | None = None  # the merge commit of the merged fix
    released_in: str | None = None  # the first version that contains the fix (release_rule says how)
    release_rule: str | None = None  # tag | version_bump (homeostat_core.releases.ReleaseRule)
    release_seen_at: datetime | None = None  # when Homeostat found that version in the repository
    verified_at: datetime | None = None
    regressed_at: datetime | None = None
    decided_by: str | None = None  # the rule behind the last decision on reports (releases.Decision)
    # people's decisions (issue 20): they stand until the repository releases something newer
    closed_at_version: str | None = None  # the newest released version when people closed it
    reopened_at: datetime | None = None  # the last time a release after a close re-opened work
    opted_out_at: datetime | None = None  # a person opted the fingerprint out (any of its issues)
    opt_out_issue: int | None = None  # the issue that carried the opt-out label
    # issue 25: true numbers across re-opened work
    spent_usd: float = 0.0  # model cost of every attempt of the fingerprint (0: a row from before)
    pr_history: tuple[PrRecord, ...] = ()  # its earlier PRs, oldest first

    @property
    def spent_so_far(self) -> float:
        """What every attempt cost (a row written before `spent_usd` knows only its last one)."""
        return self.spent_usd or self.cost_usd

    def __post_init__(self) -> None:
        # Bounded, so a long-lived row never outgrows an item; the newest facts are the ones
        # a redelivered webhook can still carry.
        if not isinstance(self.applied_facts, tuple) or len(self.applied_facts) > MAX_APPLIED_FACTS:
            object.__setattr__(self, "applied_facts", tuple(self.applied_facts)[-MAX_APPLIED_FACTS:])

    def has_applied(self, fact_key: str) -> bool:
        return fact_key in self.applied_facts

    def with_applied(self, fact_key: str) -> AttemptState:
        """This state with `fact_key` recorded as applied (once; the oldest dropped past 50)."""
        if fact_key in self.applied_facts:
            return self
        return replace(self, applied_facts=(*self.applied_facts, fact_key))


PatternStatus = Literal["active", "retired"]


@dataclass(frozen=True, slots=True)
class Pattern:
    pattern_id: str
    fingerprint_id: str
    error_type: str
    file_path: str
    edits: tuple[FileEdit, ...]
    diff: str = ""
    success_rate: float = 1.0
    use_count: int = 0
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    status: PatternStatus = "active"
    repo: str = ""  # the repository whose merged PR it was learned from
    fingerprint_version: str = ""
    # probation (issue 20): applied at $0 only once verified in production or merged twice
    merges: int = 1  # merged PRs it was learned from
    verified_at: datetime | None = None  # a fix it produced or was learned from held in production


@dataclass(frozen=True, slots=True)
class PatternMatch:
    pattern: Pattern
    confidence: float
    strategy: Literal["exact", "fuzzy"]


@dataclass(slots=True)
class RunRecord:
    """One repo run; the seed's JSONL artifact fields plus what an operator needs."""

    run_id: str
    repo: str
    timestamp: datetime
    issues_seen: int = 0
    issues_processed: int = 0
    fingerprints_processed: int = 0
    prs_created: int = 0
    prs_updated: int = 0
    cooldowns: int = 0
    pattern_hits: int = 0
    unparseable: int = 0
    validation_rejected: int = 0
    cost_usd: float = 0.0
    tokens: int = 0
    latency_ms: int = 0
    api_calls: int = 0
    stopped_early: bool = False
    # source maps: in-app frames mapped to original sources, frames left minified, maps skipped
    frames_symbolicated: int = 0
    frames_minified: int = 0
    frames_unusable: int = 0  # positions beyond any real bundle (hostile or garbled): left as filed
    maps_skipped: list[str] = field(default_factory=list)
    # reports of an already merged fix that name no (parseable) extension version
    reports_without_version: int = 0
    # model attempts by the rule that found the top frame's file (path_map, manifest_root, suffix,
    # symbol…; none = no_source)
    resolved_by: dict[str, int] = field(default_factory=dict)
    deferred_issues: list[int] = field(default_factory=list)
    deferrals: dict[str, int] = field(default_factory=dict)  # deferred fingerprints by cause
    unparseable_by_code: dict[str, int] = field(default_factory=dict)  # e.g. no_frames: 2
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
