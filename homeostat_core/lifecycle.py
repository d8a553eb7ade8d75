"""One fingerprint's lifecycle: its stages, the legal moves between them, and the policy numbers.

The pipeline, the learning job and the reconciler are sequences of steps over this module: every
state write goes through `transition`, which refuses a move the table below does not allow
(`IllegalTransition`), so an impossible state is a named error, not a silent overwrite.

```
new ──claim──▶ claimed ──fix──▶ fix_recorded ──publish──▶ draft ──CI green──▶ ready
                 │                   │                      │  ╲                │
                 └──no fix──▶ attempt_failed                │   CI red ─▶ ci_failed ─▶ claimed (iterate)
                                                            │  (a maintainer's retry or review: draft/ready ─▶ claimed)
                                     ▲                      ▼                 │
       people committed ──▶ handed_over   merged · closed_by_person · opted_out · given_up
```

Stages store as their string value on the attempt row (`stage`); rows written before the field
existed get theirs from `derive_stage`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from homeostat_core.models import COOLDOWN_HOURS, MAX_ATTEMPTS, AttemptState, PrRecord


class Stage(StrEnum):
    NEW = "new"  # no attempt yet
    CLAIMED = "claimed"  # an attempt is running (or died before recording its fix)
    FIX_RECORDED = "fix_recorded"  # validated fix stored, PR not yet written (or died writing it)
    ATTEMPT_FAILED = "attempt_failed"  # no usable fix this attempt; the next waits for the backoff
    DRAFT = "draft"  # Homeostat's PR is open as a draft, waiting for CI on its head commit
    READY = "ready"  # CI green (or none ran): ready for review, waiting for people
    CI_FAILED = "ci_failed"  # CI failed on Homeostat's head: the next attempt iterates on the same PR
    HANDED_OVER = "handed_over"  # people committed on Homeostat's branch: theirs while the PR is open
    MERGED = "merged"
    CLOSED_BY_PERSON = "closed_by_person"  # closed unmerged: only a later release's report re-opens work
    OPTED_OUT = "opted_out"  # every linked issue closed, or a person opted out: PR closed, branch deleted
    GIVEN_UP = "given_up"  # the last allowed attempt failed
    VERIFIED = "verified"  # merged, shipped, and not reported from a fixed version for a while
    REGRESSED = "regressed"  # reported again from a version that contains the fix


@dataclass(frozen=True)
class Policy:
    """Every number the lifecycle runs on, in one place."""

    max_attempts: int = MAX_ATTEMPTS
    # attempt n+1 waits base·2^n after attempt n started: 24 h, 48 h, 96 h
    backoff_base: timedelta = timedelta(hours=COOLDOWN_HOURS)
    # No worker can still run an attempt claimed this long ago: the worker's timeout (900 s).
    claim_lease: timedelta = timedelta(minutes=15)
    # CI iterations on one PR count as attempts: at most max_attempts commits per fingerprint.
    # (How long a PR with no CI at all waits before "ready" is per repository: ready_after_hours.)
    ci_summary_chars: int = 2000

    def backoff(self, attempts_before: int, now: datetime) -> datetime:
        if attempts_before < 0:
            raise ValueError(f"attempts must be >= 0, got {attempts_before}")
        return now + self.backoff_base * 2**attempts_before


POLICY = Policy()

# Stages where Homeostat has an open PR of its own.
PR_OPEN = frozenset({Stage.DRAFT, Stage.READY, Stage.CI_FAILED, Stage.HANDED_OVER})
# Stages after which no attempt is made (until a report from a later release, for the re-openable
# ones; never while the row records a person's opt-out).
REOPENABLE = frozenset({Stage.CLOSED_BY_PERSON, Stage.OPTED_OUT})
FIXED = frozenset({Stage.MERGED, Stage.VERIFIED})
_PR_ENDS = (Stage.MERGED, Stage.CLOSED_BY_PERSON, Stage.OPTED_OUT)

ALLOWED: dict[Stage, frozenset[Stage]] = {
    Stage.NEW: frozenset({Stage.CLAIMED}),
    # claimed → claimed: a crashed attempt resumed. (An outage gives the claim back by restoring
    # the row as it was before the claim: `restore`, not a transition.)
    Stage.CLAIMED: frozenset({Stage.CLAIMED, Stage.FIX_RECORDED, Stage.ATTEMPT_FAILED, Stage.GIVEN_UP}),
    Stage.FIX_RECORDED: frozenset(
        {Stage.CLAIMED, Stage.DRAFT, Stage.READY, Stage.HANDED_OVER, Stage.ATTEMPT_FAILED, Stage.GIVEN_UP}
    ),
    # An iteration on an open PR can fail to produce a fix: the PR is still there and can still end.
    Stage.ATTEMPT_FAILED: frozenset({Stage.CLAIMED, Stage.GIVEN_UP, Stage.HANDED_OVER, *_PR_ENDS}),
    # draft → draft / ready → draft: the fix rebuilt on a base branch that moved (a new commit, so
    # CI must pass again); draft / ready → claimed: a maintainer's `/homeostat retry` or review
    # asks for a new attempt on the open PR (homeostat_core/steering)
    Stage.DRAFT: frozenset(
        {Stage.DRAFT, Stage.READY, Stage.CI_FAILED, Stage.HANDED_OVER, Stage.CLAIMED, *_PR_ENDS}
    ),
    Stage.READY: frozenset({Stage.DRAFT, Stage.CI_FAILED, Stage.HANDED_OVER, Stage.CLAIMED, *_PR_ENDS}),
    Stage.CI_FAILED: frozenset({Stage.CLAIMED, Stage.READY, Stage.HANDED_OVER, Stage.GIVEN_UP, *_PR_ENDS}),
    Stage.HANDED_OVER: frozenset(_PR_ENDS),
    # merged = awaiting release until a version with the fix is reported; then verified or regressed
    Stage.MERGED: frozenset({Stage.VERIFIED, Stage.REGRESSED}),
    Stage.VERIFIED: frozenset({Stage.REGRESSED}),
    Stage.REGRESSED: frozenset({Stage.CLAIMED, Stage.GIVEN_UP}),
    # people closed it: a report from a later release re-opens it, within the same attempt cap
    Stage.CLOSED_BY_PERSON: frozenset({Stage.CLAIMED, Stage.GIVEN_UP}),
    Stage.OPTED_OUT: frozenset({Stage.CLAIMED, Stage.GIVEN_UP}),
    Stage.GIVEN_UP: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A move the lifecycle does not allow: a bug, or a stale or forged input."""

    def __init__(self, state: AttemptState | None, to: Stage):
        current = stage_of(state)
        name = f"{state.repo} {state.fingerprint_id}" if state else "new fingerprint"
        super().__init__(f"{name}: {current} → {to} is not a legal transition")
        self.current = current
        self.to = to


def derive_stage(state: AttemptState | None, policy: Policy = POLICY) -> Stage:
    """The stage of a row written before `stage` existed, from the fields it did have."""
    if state is None:
        return Stage.NEW
    if state.last_result == "pending":
        if state.pr_number is None:
            return Stage.FIX_RECORDED if state.edits else Stage.CLAIMED
        return Stage.CI_FAILED if state.tests_passed is False else Stage.READY
    if state.last_result == "success":
        return Stage.MERGED
    if state.last_result == "failure":
        if state.pr_number is not None:
            return Stage.CI_FAILED if state.tests_passed is False else Stage.CLOSED_BY_PERSON
        return Stage.GIVEN_UP if state.attempts >= policy.max_attempts else Stage.ATTEMPT_FAILED
    return Stage.NEW if state.attempts == 0 else Stage.ATTEMPT_FAILED


def stage_of(state: AttemptState | None) -> Stage:
    if state is None:
        return Stage.NEW
    if state.stage:
        try:
            return Stage(state.stage)
        except ValueError:
            pass  # an unknown stage name (a newer writer): fall back to the legacy fields
    return derive_stage(state)


def can_move(state: AttemptState | None, to: Stage) -> bool:
    return to in ALLOWED[stage_of(state)]


def moved(state: AttemptState, to: Stage, **changes) -> AttemptState:
    """`state` at stage `to` with `changes` applied; IllegalTransition when the move is not allowed.

    Pure: the caller writes it (start_attempt / save), so the conditional write stays theirs.
    """
    if not can_move(state, to):
        raise IllegalTransition(state, to)
    return dataclasses.replace(state, stage=to.value, last_result=_LAST_RESULT[to], **changes)


def claimed(before: AttemptState, now: datetime, policy: Policy = POLICY, **changes) -> AttemptState:
    """Attempt n+1 of `before`'s fingerprint (written with a conditional write by the caller): the
    claim sets the next backoff at once, so a worker that dies mid-attempt still leaves it behind."""
    return moved(
        before,
        Stage.CLAIMED,
        attempts=before.attempts + 1,
        last_attempt_at=now,
        backoff_until=policy.backoff(before.attempts, now),
        tests_passed=None,
        **changes,
    )


def paid(state: AttemptState, cost_usd: float) -> dict[str, float]:
    """The changes that record an attempt's model cost: its own, and the running total of every
    attempt of the fingerprint (what its PR body says it has cost so far)."""
    return {"cost_usd": cost_usd, "spent_usd": state.spent_so_far + cost_usd}


MERGED_STAGES = frozenset({Stage.MERGED, Stage.VERIFIED, Stage.REGRESSED})
MAX_PR_HISTORY = 20  # a row stays far below DynamoDB's item size


def without_pr(state: AttemptState, before: AttemptState, **changes) -> AttemptState:
    """`state` ready for a new PR: `before`'s PR is kept in the fingerprint's history with what it
    came to and when (a regression re-opening merged work loses neither the merge nor its time)."""
    history = state.pr_history
    if before.pr_number is not None and all(r.number != before.pr_number for r in history):
        merged = stage_of(before) in MERGED_STAGES
        record = PrRecord(
            number=before.pr_number,
            outcome=stage_of(before).value,
            opened_at=before.pr_opened_at,
            closed_at=before.closed_at,
            merged=merged,
            fixed_in=(before.released_in or before.version_at_merge) if merged else None,
            cost_usd=max(before.spent_so_far - sum(r.cost_usd for r in history), 0.0),
        )
        history = (*history, record)[-MAX_PR_HISTORY:]
    return dataclasses.replace(
        state, pr_number=None, head_sha=None, branch=None, pr_history=history, **changes
    )


def annotated(state: AttemptState, **changes) -> AttemptState:
    """`state` with facts recorded that do not change its stage (e.g. when a release was first
    seen); the stage and the attempt counters cannot be changed this way."""
    forbidden = {"stage", "last_result", "attempts", "pr_number", "head_sha"} & set(changes)
    if forbidden:
        raise IllegalTransition(state, stage_of(state))
    return dataclasses.replace(state, **changes)


# The seed's lastResult, kept in step with the stage for `homeostat attempts list` and old readers.
_LAST_RESULT: dict[Stage, str | None] = {
    Stage.NEW: None,
    Stage.CLAIMED: "pending",
    Stage.FIX_RECORDED: "pending",
    Stage.ATTEMPT_FAILED: "failure",
    Stage.DRAFT: "pending",
    Stage.READY: "pending",
    Stage.CI_FAILED: "failure",
    Stage.HANDED_OVER: "pending",
    Stage.MERGED: "success",
    Stage.CLOSED_BY_PERSON: "failure",
    Stage.OPTED_OUT: "failure",
    Stage.GIVEN_UP: "failure",
    Stage.VERIFIED: "success",
    Stage.REGRESSED: "failure",
}
