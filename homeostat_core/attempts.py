"""Cooldown rules for fix attempts, over the AttemptStore port (pure: no I/O of its own).

A fingerprint gets at most MAX_ATTEMPTS attempts. Each attempt, when it starts, pushes the next
one back: backoffUntil = start + 24h * 2^(attempts before this one), i.e. 24h after the first,
48h after the second, 96h after the third. That is the seed's rule (`attempt-store.ts` computes
`24h * 2^(newCount - 1)`, the same number) moved from "record after the attempt" to "claim at
the start", so a worker that dies mid-attempt still leaves the cooldown behind and two workers
cannot run the same attempt (the claim is a conditional write).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from homeostat_core.models import COOLDOWN_HOURS, MAX_ATTEMPTS, AttemptResult, AttemptState, FileEdit
from homeostat_core.ports import AttemptStore

__all__ = [
    "AttemptNotAllowed",
    "COOLDOWN_HOURS",
    "MAX_ATTEMPTS",
    "begin_attempt",
    "can_attempt",
    "claim_expired",
    "cooldown_reason",
    "finish_attempt",
    "is_unfinished",
    "next_backoff",
    "parse_utc_iso",
    "record_check",
    "resume_attempt",
    "to_utc_iso",
]

# Fixed width (microseconds, "Z") so ISO strings sort like the instants they name.
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_utc_iso(moment: datetime) -> str:
    """The ISO-8601 UTC form every state timestamp is stored in, e.g. 2025-01-02T03:04:05.000000Z."""
    return as_utc(moment).strftime(_ISO_FORMAT)


def parse_utc_iso(text: str) -> datetime:
    """Parse any ISO-8601 timestamp (with Z, an offset, or naive = UTC) into aware UTC."""
    return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


class AttemptNotAllowed(ValueError):
    """The cooldown rules forbid an attempt now; `reason` is what `cooldown_reason` said."""

    def __init__(self, repo: str, fingerprint_id: str, reason: str):
        self.reason = reason
        super().__init__(f"{repo} {fingerprint_id}: no attempt allowed: {reason}")


def next_backoff(attempts: int, now: datetime) -> datetime:
    """now + 24h * 2^attempts, where `attempts` is the count before the attempt being started."""
    if attempts < 0:
        raise ValueError(f"attempts must be >= 0, got {attempts}")
    return as_utc(now) + timedelta(hours=COOLDOWN_HOURS * 2**attempts)


def cooldown_reason(state: AttemptState | None, now: datetime) -> str | None:
    """Why a fingerprint may not be attempted now ("max_attempts" / "backoff until <iso>"), or None."""
    if state is None:
        return None
    if state.attempts >= MAX_ATTEMPTS:
        return "max_attempts"
    if state.backoff_until is not None and as_utc(now) < as_utc(state.backoff_until):
        return f"backoff until {to_utc_iso(state.backoff_until)}"
    return None


def can_attempt(state: AttemptState | None, now: datetime) -> bool:
    """No state: yes. attempts >= MAX_ATTEMPTS: no. now < backoffUntil: no. Otherwise yes."""
    return cooldown_reason(state, now) is None


def begin_attempt(
    store: AttemptStore,
    repo: str,
    fingerprint_id: str,
    now: datetime,
    *,
    error_type: str,
    file_path: str,
) -> AttemptState:
    """Claim attempt n+1 for a fingerprint with one conditional write.

    Raises AttemptNotAllowed when the stored state forbids an attempt now (e.g. another worker
    claimed it between the caller's check and this call) and ports.ConflictError when another
    worker claimed the same attempt between this call's read and its write.
    """
    current = store.get(repo, fingerprint_id)
    reason = cooldown_reason(current, now)
    if reason is not None:
        raise AttemptNotAllowed(repo, fingerprint_id, reason)
    previous = current or AttemptState(repo=repo, fingerprint_id=fingerprint_id)
    claimed = dataclasses.replace(
        previous,
        attempts=previous.attempts + 1,
        last_attempt_at=as_utc(now),
        backoff_until=next_backoff(previous.attempts, now),
        last_result="pending",
        error_type=error_type or previous.error_type,
        file_path=file_path or previous.file_path,
        # per-attempt outcome fields start empty; failure_summary of the last attempt is kept on
        # purpose: it is fed into this attempt's prompt
        tests_passed=None,
        # No PR yet for this attempt: "pending without a PR number" is how the next run tells an
        # unfinished (crashed) attempt from a finished one (pipeline.py, "Crash recovery").
        pr_number=None,
    )
    return store.start_attempt(claimed, expected_attempts=previous.attempts)


def is_unfinished(state: AttemptState | None) -> bool:
    """Claimed by begin_attempt and never finished: pending, with no PR recorded."""
    return state is not None and state.last_result == "pending" and state.pr_number is None


def claim_expired(state: AttemptState, now: datetime, lease: timedelta) -> bool:
    """The claim is older than `lease`, so no worker can still be running it."""
    return state.last_attempt_at is None or as_utc(now) >= as_utc(state.last_attempt_at) + lease


def resume_attempt(store: AttemptStore, state: AttemptState, now: datetime) -> AttemptState:
    """Take over an unfinished attempt that died before its PR: the same attempt number again.

    The crashed try does not count and does not burn a backoff: the claim is renewed from `now`
    with the backoff this attempt number gets. Optimistic locking (version) makes two workers
    resuming at once conflict (ConflictError) instead of both running it.
    """
    renewed = dataclasses.replace(
        state,
        last_attempt_at=as_utc(now),
        backoff_until=next_backoff(max(state.attempts - 1, 0), now),
        last_result="pending",
        pr_number=None,
        tests_passed=None,
    )
    return store.save(renewed)


def release_attempt(store: AttemptStore, claimed: AttemptState, before: AttemptState | None) -> AttemptState:
    """Give back an attempt that no model ever answered (outage, missing key): the stored state
    returns to what it was before the claim, so an outage costs neither an attempt nor a backoff.
    Optimistic locking (version) keeps a concurrent change from being overwritten."""
    restored = before or AttemptState(
        repo=claimed.repo,
        fingerprint_id=claimed.fingerprint_id,
        error_type=claimed.error_type,
        file_path=claimed.file_path,
    )
    return store.save(dataclasses.replace(restored, version=claimed.version))


def finish_attempt(
    store: AttemptStore,
    state: AttemptState,
    *,
    result: AttemptResult,
    pr_number: int | None = None,
    tier: int | None = None,
    cost_usd: float = 0.0,
    pattern_id: str | None = None,
    edits: Sequence[FileEdit] = (),
    failure_summary: str | None = None,
) -> AttemptState:
    """Record how an attempt went (optimistic locking: ConflictError if the item moved on).

    The attempt count and backoff are left as `begin_attempt` set them, also on success: a
    success is not a licence to retry at once (the seed resets its counter on success; here the
    cooldown still applies, so a regression gets its remaining attempts after the backoff).
    """
    finished = dataclasses.replace(
        state,
        last_result=result,
        pr_number=pr_number if pr_number is not None else state.pr_number,
        tier=tier if tier is not None else state.tier,
        cost_usd=float(cost_usd),
        pattern_id=pattern_id,
        edits=tuple(edits),
        failure_summary=failure_summary if failure_summary is not None else state.failure_summary,
    )
    return store.save(finished)


def record_check(
    store: AttemptStore, state: AttemptState, *, passed: bool, summary: str | None = None
) -> AttemptState:
    """Record CI's verdict on the attempt's PR: testsPassed, lastResult success/failure, and on a
    failure the summary the next attempt's prompt gets (optimistic locking as `save`)."""
    checked = dataclasses.replace(
        state,
        tests_passed=passed,
        last_result="success" if passed else "failure",
        failure_summary=None if passed else (summary or state.failure_summary),
    )
    return store.save(checked)
