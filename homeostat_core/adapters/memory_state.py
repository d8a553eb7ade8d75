"""The four state ports in memory, with the DynamoDB adapter's semantics, for fast unit tests.

Same conditional writes (start_attempt on the attempt count, save on `version`), same index
rules (retired patterns never match), same atomic budget counters in decimal arithmetic, and the
same value normalization a DynamoDB round trip applies (UTC datetimes, money rounded to 6
decimals, "" stored as absent). tests/contract/test_state_contract.py runs one suite against
both adapters to keep it that way. Each store holds one lock, so threads see DynamoDB's
per-item atomicity. Nothing is persisted.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from homeostat_core.adapters.state_values import (
    check_pr_cap,
    check_usd_reservation,
    exact,
    money,
    pr_cap_reached,
    run_record_from_json,
    run_record_to_json,
    type_file_key,
    usd_cap_passed,
    usd_headroom,
    usd_settle_delta,
    within,
)
from homeostat_core.attempts import as_utc, to_utc_iso
from homeostat_core.models import AttemptState, Pattern, RunRecord
from homeostat_core.patterns.extractor import pattern_id_for
from homeostat_core.ports import ConflictError


def _utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


# --- attempts -------------------------------------------------------------------------------


class MemoryAttemptStore:
    """AttemptStore keyed by (repo, fingerprint id)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], AttemptState] = {}

    def get(self, repo: str, fingerprint_id: str) -> AttemptState | None:
        with self._lock:
            return self._items.get((repo, fingerprint_id))

    def start_attempt(self, state: AttemptState, expected_attempts: int) -> AttemptState:
        key = (state.repo, state.fingerprint_id)
        with self._lock:
            current = self._items.get(key)
            # no item counts as 0 attempts, as DynamoDB's attribute_not_exists(attempts) OR attempts = 0
            if (current.attempts if current is not None else 0) != expected_attempts:
                raise ConflictError(
                    f"attempt {expected_attempts + 1} of {state.repo} {state.fingerprint_id} already started"
                )
            # The attempt count is the lock here; the version still moves on from the caller's.
            self._items[key] = _stored_attempt(state, state.version + 1)
        return dataclasses.replace(state, version=state.version + 1)

    def save(self, state: AttemptState) -> AttemptState:
        key = (state.repo, state.fingerprint_id)
        with self._lock:
            current = self._items.get(key)
            # version 0 = "never stored": it writes only when there is no item (PynamoDB's rule)
            if (current.version if current is not None else 0) != state.version:
                raise ConflictError(
                    f"attempt state of {state.repo} {state.fingerprint_id} changed since version {state.version}"
                )
            self._items[key] = _stored_attempt(state, state.version + 1)
        return dataclasses.replace(state, version=state.version + 1)

    def list(self, repo: str) -> list[AttemptState]:
        with self._lock:
            # a DynamoDB query returns the repo's items in range-key (fingerprint id) order
            return [state for (r, _), state in sorted(self._items.items()) if r == repo]

    def find_by_pr(self, repo: str, pr_number: int) -> AttemptState | None:
        return next((state for state in self.list(repo) if state.pr_number == pr_number), None)


def _stored_attempt(state: AttemptState, version: int) -> AttemptState:
    """`state` as it reads back from DynamoDB after being written with `version`."""
    return dataclasses.replace(
        state,
        last_attempt_at=_utc(state.last_attempt_at),
        backoff_until=_utc(state.backoff_until),
        pr_number=int(state.pr_number) if state.pr_number is not None else None,
        tier=int(state.tier) if state.tier is not None else None,
        cost_usd=money(state.cost_usd),
        version=version,
        failure_summary=state.failure_summary or None,
        error_type=state.error_type or "",
        file_path=state.file_path or "",
        stage=state.stage or "",
        head_sha=state.head_sha or None,
        branch=state.branch or None,
        pr_opened_at=_utc(state.pr_opened_at),
        closed_at=_utc(state.closed_at),
        ci_summary=state.ci_summary or None,
        fingerprint_version=state.fingerprint_version or "",
        occurrence_after=_utc(state.occurrence_after),
        version_at_merge=state.version_at_merge or None,
        release_seen_at=_utc(state.release_seen_at),
        verified_at=_utc(state.verified_at),
        regressed_at=_utc(state.regressed_at),
        merge_sha=state.merge_sha or None,
        released_in=state.released_in or None,
        release_rule=state.release_rule or None,
        decided_by=state.decided_by or None,
        closed_at_version=state.closed_at_version or None,
        reopened_at=_utc(state.reopened_at),
        opted_out_at=_utc(state.opted_out_at),
        opt_out_issue=int(state.opt_out_issue) if state.opt_out_issue is not None else None,
        spent_usd=money(state.spent_usd),
    )


# --- patterns -------------------------------------------------------------------------------


class MemoryPatternStore:
    """PatternStore keyed by pattern id; the two indexes are scans (a test library is small)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, Pattern] = {}

    def get(self, pattern_id: str) -> Pattern | None:
        with self._lock:
            return self._items.get(pattern_id)

    def active_for_fingerprint(self, fingerprint_id: str) -> Pattern | None:
        direct = self.get(pattern_id_for(fingerprint_id))
        if direct is not None and direct.status == "active" and direct.fingerprint_id == fingerprint_id:
            return direct
        with self._lock:
            active = [
                p for p in self._items.values() if p.fingerprint_id == fingerprint_id and p.status == "active"
            ]
        if not active:
            return None
        # the same tie-break as DynamoPatternStore when imports broke "one active per fingerprint"
        return max(active, key=lambda p: (p.success_rate, p.use_count, p.pattern_id))

    def active_for_type_and_file(self, error_type: str, file_path: str) -> list[Pattern]:
        key = type_file_key(error_type, file_path)
        with self._lock:
            return [
                p
                for _, p in sorted(self._items.items())
                if p.status == "active" and type_file_key(p.error_type, p.file_path) == key
            ]

    def put(self, pattern: Pattern) -> None:
        with self._lock:
            self._items[pattern.pattern_id] = _stored_pattern(pattern)

    def put_many(self, patterns: list[Pattern]) -> None:
        with self._lock:
            for pattern in patterns:
                self._items[pattern.pattern_id] = _stored_pattern(pattern)

    def all(self) -> list[Pattern]:
        with self._lock:
            return [p for _, p in sorted(self._items.items())]


def _stored_pattern(pattern: Pattern) -> Pattern:
    """`pattern` as it reads back from DynamoDB."""
    return dataclasses.replace(
        pattern,
        error_type=pattern.error_type or "",
        file_path=pattern.file_path or "",
        edits=tuple(pattern.edits),
        diff=pattern.diff or "",
        success_rate=money(pattern.success_rate),
        use_count=int(pattern.use_count),
        created_at=_utc(pattern.created_at),
        last_used_at=_utc(pattern.last_used_at),
        status=pattern.status or "active",
        repo=pattern.repo or "",
        fingerprint_version=pattern.fingerprint_version or "",
        merges=int(pattern.merges),
        verified_at=_utc(pattern.verified_at),
    )


# --- budgets --------------------------------------------------------------------------------


@dataclass
class _DayCounters:
    # None = attribute never written, which the DynamoDB conditions treat as "room left"
    spent_usd: Decimal | None = None
    prs_opened: int | None = None


class MemoryBudgetStore:
    """BudgetStore with per-(repo, UTC day) counters, in decimals as DynamoDB adds numbers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._days: dict[tuple[str, date], _DayCounters] = {}

    def _day(self, repo: str, day: date) -> _DayCounters:
        return self._days.setdefault((repo, day), _DayCounters())

    def reserve_usd(self, repo: str, day: date, amount: float, cap: float) -> None:
        check_usd_reservation(repo, day, amount, cap)
        amount = money(amount)
        headroom = exact(usd_headroom(amount, cap))
        with self._lock:
            counters = self._day(repo, day)
            if counters.spent_usd is not None and counters.spent_usd > headroom:
                raise usd_cap_passed(repo, day, amount, cap)
            counters.spent_usd = (counters.spent_usd or Decimal(0)) + exact(amount)

    def settle_usd(self, repo: str, day: date, reserved: float, actual: float) -> None:
        delta = usd_settle_delta(reserved, actual)
        if delta == 0:
            return
        with self._lock:
            counters = self._day(repo, day)
            counters.spent_usd = (counters.spent_usd or Decimal(0)) + exact(delta)

    def spent_usd(self, repo: str, day: date) -> float:
        with self._lock:
            counters = self._days.get((repo, day))
            return float(counters.spent_usd or 0) if counters else 0.0

    def reserve_pr(self, repo: str, day: date, cap: int) -> None:
        check_pr_cap(repo, day, cap)
        with self._lock:
            counters = self._day(repo, day)
            if counters.prs_opened is not None and counters.prs_opened > cap - 1:
                raise pr_cap_reached(repo, day, cap)
            counters.prs_opened = (counters.prs_opened or 0) + 1

    def prs_opened(self, repo: str, day: date) -> int:
        with self._lock:
            counters = self._days.get((repo, day))
            return int(counters.prs_opened or 0) if counters else 0


# --- runs -----------------------------------------------------------------------------------


class MemoryRunStore:
    """RunStore keyed like the runs table (repo, timestamp#run id); records kept as their JSON."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], dict[str, Any]] = {}

    def save(self, record: RunRecord) -> None:
        key = (record.repo, f"{to_utc_iso(record.timestamp)}#{record.run_id}")
        data = run_record_to_json(record)
        with self._lock:
            self._items[key] = data

    def list(
        self, repo: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[RunRecord]:
        with self._lock:
            stored = [data for (r, _), data in self._items.items() if repo is None or r == repo]
        # a fresh RunRecord per call: callers may mutate what they get without touching the store
        records = [run_record_from_json(copy.deepcopy(data)) for data in stored]
        records = [r for r in records if within(r.timestamp, since, until)]
        return sorted(records, key=lambda r: (as_utc(r.timestamp), r.repo, r.run_id))


# --- bundle ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryState:
    """The four state ports in memory; the same attribute names as DynamoState."""

    attempts: MemoryAttemptStore = field(default_factory=MemoryAttemptStore)
    patterns: MemoryPatternStore = field(default_factory=MemoryPatternStore)
    budgets: MemoryBudgetStore = field(default_factory=MemoryBudgetStore)
    runs: MemoryRunStore = field(default_factory=MemoryRunStore)


__all__ = [
    "MemoryAttemptStore",
    "MemoryBudgetStore",
    "MemoryPatternStore",
    "MemoryRunStore",
    "MemoryState",
]
