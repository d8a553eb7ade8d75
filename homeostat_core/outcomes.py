"""What happened to each fingerprint (or issue) in a repo run: one closed type, one place.

The run record's counters, the EMF metrics, the report table and the JSON lines are all derived
from these outcomes (`tally`), so no result string or reason code is written twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from homeostat_core.models import RunRecord

# Labels Homeostat puts on issues.
UNPARSEABLE_LABEL = "homeostat-unparseable"
REJECTED_LABEL = "homeostat-rejected"
GAVE_UP_LABEL = "homeostat-gave-up"
PENDING_RELEASE_LABEL = "homeostat-fixed-pending-release"
REGRESSED_LABEL = "homeostat-regressed"
FIXED_IN_RELEASE_LABEL = "homeostat-fixed-in-release"
OPTED_OUT_LABEL = "homeostat-opted-out"  # a later report of an opted-out error, answered once


class Result(StrEnum):
    PR_CREATED = "pr_created"
    PR_UPDATED = "pr_updated"  # a new commit on Homeostat's own open PR (CI iteration)
    PR_RECOVERED = "pr_recovered"  # a crashed attempt's PR finished
    READY = "ready"  # CI passed (or none ran): marked ready for review
    WAITING = "waiting"  # Homeostat's PR is open and waiting for CI or for people
    HANDED_OVER = "handed_over"  # people committed on the branch: left to them
    FAILED = "failed"  # no usable fix this attempt
    REJECTED = "rejected"  # a policy refused the fix
    GAVE_UP = "gave_up"
    CLOSED = "closed"  # linked issues closed or opted out: PR closed, branch deleted
    MERGED = "merged"
    CLOSED_BY_PERSON = "closed_by_person"
    DONE = "done"  # nothing left to do (fixed, given up, closed by a person with no newer report)
    AWAITING_RELEASE = "awaiting_release"  # from a version without the merged fix, none released: $0
    FIXED_IN_RELEASE = "fixed_in_release"  # from a version older than the first release with the fix: $0
    OPTED_OUT = "opted_out"  # a person opted the error out: reports answered once, no PR
    REGRESSED = "regressed"  # reported from a version that contains the merged fix
    VERIFIED = "verified"  # no report from a fixed version for verify_after_days
    COOLDOWN = "cooldown"
    DEFERRED = "deferred"  # waits for a later run (limits, budget, deadline, lease, outage)
    SKIPPED = "skipped"  # another worker holds the attempt
    UNPARSEABLE = "unparseable"
    ERROR = "error"  # an unexpected error, recorded on the fingerprint; the run went on
    # learning jobs (webhook hints checked against the facts)
    IGNORED = "ignored"  # the hint did not hold: not Homeostat's PR or commit, not configured
    UNDECIDED = "undecided"  # CI has not finished on Homeostat's head commit


class Deferral(StrEnum):
    """Why a fingerprint waits for a later run (counted by cause on the run record)."""

    DEADLINE = "deadline"  # the invocation's time is nearly up
    RATE_LIMIT = "rate_limit"  # the credential's GitHub budget is low
    MAX_PRS_PER_RUN = "max_prs_per_run"
    MAX_OPEN_PRS = "max_open_prs"
    MAX_PRS_PER_DAY = "max_prs_per_day"
    DAILY_BUDGET = "daily_budget_usd"
    ATTEMPT_RUNNING = "attempt_running"  # claimed less than the lease ago: it may still be running
    CLAIM_CONFLICT = "claim_conflict"  # another worker holds the attempt
    MODEL_UNAVAILABLE = "model_unavailable"  # no model answered; the attempt was not counted
    PORT_ERROR = "port_error"  # the forge or the store failed after its retries
    BRANCH_WITHOUT_PR = "branch_without_pr"  # Homeostat's branch moved but no PR of its own is open


@dataclass(frozen=True, slots=True)
class FingerprintOutcome:
    result: Result
    issues: tuple[int, ...] = ()
    fingerprint: str | None = None
    reason: str | None = None
    detail: str | None = None
    pr: int | None = None
    error_type: str | None = None
    file: str | None = None
    source: str | None = None  # ai | pattern
    tier: int | None = None
    model: str | None = None
    pattern_id: str | None = None
    deferral: Deferral | None = None  # why, when the result is DEFERRED
    cost_usd: float = 0.0
    tokens: int = 0
    resolved_by: str | None = None  # the rule that found the top frame's file (docs/FIX-ENGINE.md)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"result": self.result.value, "issues": list(self.issues)}
        for key, value in (
            ("fingerprint", self.fingerprint),
            ("errorType", self.error_type),
            ("file", self.file),
            ("reason", self.reason),
            ("detail", self.detail),
            ("pr", self.pr),
            ("source", self.source),
            ("tier", self.tier),
            ("model", self.model),
            ("patternId", self.pattern_id),
            ("deferral", self.deferral.value if self.deferral else None),
            ("resolvedBy", self.resolved_by),
        ):
            if value is not None:
                data[key] = value
        if self.fingerprint is not None:
            data["costUsd"] = round(self.cost_usd, 6)
        data.update(self.extra)
        return data


_COUNTERS: dict[str, frozenset[Result]] = {
    "prs_created": frozenset({Result.PR_CREATED}),
    "prs_updated": frozenset({Result.PR_UPDATED, Result.PR_RECOVERED}),
    "cooldowns": frozenset({Result.COOLDOWN}),
    "unparseable": frozenset({Result.UNPARSEABLE}),
    "validation_rejected": frozenset({Result.REJECTED}),
}
# Outcomes about a fingerprint that was looked at this run (not deferred, not an issue-level one).
_PROCESSED = frozenset(Result) - {Result.DEFERRED, Result.UNPARSEABLE}


def tally(record: RunRecord, outcomes: list[FingerprintOutcome]) -> RunRecord:
    """Fill the record's counters and outcome list from the outcomes (the only place that does)."""
    record.outcomes = [outcome.to_json() for outcome in outcomes]
    for attr, results in _COUNTERS.items():
        setattr(record, attr, sum(1 for o in outcomes if o.result in results))
    record.fingerprints_processed = sum(1 for o in outcomes if o.result in _PROCESSED and o.fingerprint)
    record.pattern_hits = sum(
        1 for o in outcomes if o.source == "pattern" and o.result in (Result.PR_CREATED, Result.PR_UPDATED)
    )
    record.cost_usd = sum(o.cost_usd for o in outcomes)
    record.tokens = sum(o.tokens for o in outcomes)
    record.deferred_issues = [n for o in outcomes if o.result is Result.DEFERRED for n in o.issues]
    record.deferrals = dict(Counter(o.deferral.value for o in outcomes if o.deferral is not None))
    record.unparseable_by_code = dict(Counter(o.reason for o in outcomes if o.result is Result.UNPARSEABLE))
    record.resolved_by = dict(Counter(o.resolved_by for o in outcomes if o.resolved_by))
    return record
