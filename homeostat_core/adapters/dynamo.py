"""DynamoDB state through PynamoDB: attempts, patterns, runs + daily budgets, idempotency.

Table names, region and endpoint come from Settings at runtime, so the Model classes are built
per Settings by `make_models` (cached) and nothing connects at import time. The layouts are the
ones infra builds (docs/STATE.md); change both together.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import PutError, PynamoDBException, TableError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from homeostat_core.adapters.dynamo_items import (
    attempt_from_item,
    attempt_to_item,
    pattern_from_item,
    pattern_to_item,
)
from homeostat_core.adapters.state_values import (
    check_pr_cap,
    check_usd_reservation,
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
from homeostat_core.attempts import as_utc, parse_utc_iso, to_utc_iso
from homeostat_core.models import AttemptState, Pattern, RunRecord
from homeostat_core.patterns.extractor import pattern_id_for
from homeostat_core.ports import ConflictError, PortError
from homeostat_core.settings import Settings

RUN_TTL = timedelta(days=90)
BUDGET_TTL = timedelta(days=8)
BY_FINGERPRINT = "byFingerprint"
BY_TYPE_AND_FILE = "byTypeAndFile"
_CONDITION_FAILED = "ConditionalCheckFailedException"


class IsoUtcAttribute(UnicodeAttribute):
    """A datetime stored as a fixed-width ISO-8601 UTC string (sorts as it reads)."""

    def serialize(self, value: datetime) -> str:  # type: ignore[override]
        return to_utc_iso(value)

    def deserialize(self, value: str) -> datetime:  # type: ignore[override]
        return parse_utc_iso(value)


@dataclass(frozen=True)
class Models:
    """The PynamoDB Model classes bound to one Settings' tables."""

    attempt: type[Model]
    pattern: type[Model]
    run: type[Model]
    budget: type[Model]
    idempotency: type[Model]


def _meta(settings: Settings, table_name: str) -> type:
    attrs: dict[str, Any] = {
        "table_name": table_name,
        "region": settings.region,
        "billing_mode": "PAY_PER_REQUEST",
        "max_retry_attempts": 3,
    }
    if settings.endpoint_url:
        attrs["host"] = settings.endpoint_url
    return type("Meta", (), attrs)


def _index(name: str, hash_attr: str) -> GlobalSecondaryIndex:
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    attrs = {"Meta": meta, hash_attr: UnicodeAttribute(hash_key=True)}
    return type(f"{name}Index", (GlobalSecondaryIndex,), attrs)()


@lru_cache(maxsize=16)
def make_models(settings: Settings) -> Models:
    """Model classes for the tables named in `settings` (cached per Settings value)."""
    attempt = type(
        "AttemptModel",
        (Model,),
        {
            "Meta": _meta(settings, settings.attempts_table),
            "repo": UnicodeAttribute(hash_key=True),
            "fingerprintId": UnicodeAttribute(range_key=True),
            "attempts": NumberAttribute(default=0),
            "lastAttemptAt": IsoUtcAttribute(null=True),
            "backoffUntil": IsoUtcAttribute(null=True),
            "lastResult": UnicodeAttribute(null=True),
            "prNumber": NumberAttribute(null=True),
            "tier": NumberAttribute(null=True),
            "costUsd": NumberAttribute(default=0),
            "version": VersionAttribute(),
            "patternId": UnicodeAttribute(null=True),
            "testsPassed": BooleanAttribute(null=True),
            "failureSummary": UnicodeAttribute(null=True),
            "edits": JSONAttribute(null=True),
            "errorType": UnicodeAttribute(null=True),
            "filePath": UnicodeAttribute(null=True),
            # lifecycle (issue 12): absent on items written before, which load with the defaults
            "stage": UnicodeAttribute(null=True),
            "headSha": UnicodeAttribute(null=True),
            "branch": UnicodeAttribute(null=True),
            "prOpenedAt": IsoUtcAttribute(null=True),
            "closedAt": IsoUtcAttribute(null=True),
            "ciSummary": UnicodeAttribute(null=True),
            "appliedFacts": ListAttribute(of=UnicodeAttribute, null=True),
            "fingerprintVersion": UnicodeAttribute(null=True),
            "occurrenceAfter": IsoUtcAttribute(null=True),
            # the version_file at the merge commit, under the name it was first stored with
            "fixedInVersion": UnicodeAttribute(null=True),
            "releaseSeenAt": IsoUtcAttribute(null=True),
            "verifiedAt": IsoUtcAttribute(null=True),
            "regressedAt": IsoUtcAttribute(null=True),
            # issue 20: releases from the repository, people's decisions
            "mergeSha": UnicodeAttribute(null=True),
            "releasedIn": UnicodeAttribute(null=True),
            "releaseRule": UnicodeAttribute(null=True),
            "decidedBy": UnicodeAttribute(null=True),
            "closedAtVersion": UnicodeAttribute(null=True),
            "reopenedAt": IsoUtcAttribute(null=True),
            "optedOutAt": IsoUtcAttribute(null=True),
            "optOutIssue": NumberAttribute(null=True),
            # issue 25: true numbers across re-opened work
            "spentUsd": NumberAttribute(null=True),
            "prHistory": JSONAttribute(null=True),
        },
    )
    pattern = type(
        "PatternModel",
        (Model,),
        {
            "Meta": _meta(settings, settings.patterns_table),
            "patternId": UnicodeAttribute(hash_key=True),
            "fingerprintId": UnicodeAttribute(),
            "typeFile": UnicodeAttribute(),
            "errorType": UnicodeAttribute(null=True),
            "filePath": UnicodeAttribute(null=True),
            "edits": JSONAttribute(null=True),
            "diff": UnicodeAttribute(null=True),
            "successRate": NumberAttribute(default=1.0),
            "useCount": NumberAttribute(default=0),
            "createdAt": IsoUtcAttribute(null=True),
            "lastUsedAt": IsoUtcAttribute(null=True),
            "status": UnicodeAttribute(default="active"),
            "repo": UnicodeAttribute(null=True),
            "fingerprintVersion": UnicodeAttribute(null=True),
            "merges": NumberAttribute(null=True),  # absent on patterns stored before probation: 1
            "verifiedAt": IsoUtcAttribute(null=True),
            "by_fingerprint": _index(BY_FINGERPRINT, "fingerprintId"),
            "by_type_and_file": _index(BY_TYPE_AND_FILE, "typeFile"),
        },
    )
    run = type(
        "RunModel",
        (Model,),
        {
            "Meta": _meta(settings, settings.runs_table),
            "pk": UnicodeAttribute(hash_key=True),
            "sk": UnicodeAttribute(range_key=True),
            "record": JSONAttribute(null=True),
            "expiresAt": TTLAttribute(null=True),
        },
    )
    budget = type(
        "BudgetModel",
        (Model,),
        {
            "Meta": _meta(settings, settings.runs_table),
            "pk": UnicodeAttribute(hash_key=True),
            "sk": UnicodeAttribute(range_key=True),
            "spentUsd": NumberAttribute(null=True),
            "prsOpened": NumberAttribute(null=True),
            "expiresAt": TTLAttribute(null=True),
        },
    )
    idempotency = type(
        "IdempotencyModel",
        (Model,),
        {
            "Meta": _meta(settings, settings.idempotency_table),
            "id": UnicodeAttribute(hash_key=True),
            "expiration": TTLAttribute(null=True),
        },
    )
    return Models(attempt=attempt, pattern=pattern, run=run, budget=budget, idempotency=idempotency)


def create_tables(settings: Settings) -> None:
    """Create the four tables (with GSIs and TTL) unless they exist; safe to call repeatedly."""
    models = make_models(settings)
    for model in (models.attempt, models.pattern, models.run, models.idempotency):
        try:
            model.create_table(wait=True, ignore_update_ttl_errors=True)
        except TableError:
            # another process created it between exists() and create_table()
            if not model.exists():
                raise


class StateStoreError(PortError):
    """DynamoDB failed an operation after PynamoDB's and botocore's own retries (throttling,
    a 5xx, the network). A PortError, so a repo run defers the fingerprint it was working on
    instead of dying, as ports.py promises: only typed errors cross a port."""


def _typed_errors(cls: type) -> type:
    """Wrap every public method so a PynamoDB exception leaves as StateStoreError."""

    def wrap(name: str, method):
        @functools.wraps(method)
        def guarded(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except PynamoDBException as exc:
                code = exc.cause_response_code or type(exc).__name__
                raise StateStoreError(f"{cls.__name__}.{name}: {code}") from exc

        return guarded

    for name, method in list(vars(cls).items()):
        if callable(method) and not name.startswith("_"):
            setattr(cls, name, wrap(name, method))
    return cls


def _lost_race(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == _CONDITION_FAILED


# --- attempts -------------------------------------------------------------------------------


@_typed_errors
class DynamoAttemptStore:
    def __init__(self, models: Models):
        self._model = models.attempt

    def get(self, repo: str, fingerprint_id: str) -> AttemptState | None:
        try:
            item = self._model.get(repo, fingerprint_id, consistent_read=True)
        except self._model.DoesNotExist:
            return None
        return attempt_from_item(item)

    def start_attempt(self, state: AttemptState, expected_attempts: int) -> AttemptState:
        item = attempt_to_item(self._model, state)
        attempts = self._model.attempts
        if expected_attempts == 0:
            condition = attempts.does_not_exist() | (attempts == 0)
        else:
            condition = attempts == expected_attempts
        try:
            # The attempts condition is the lock here, not the version: the version still moves
            # on (+1), so a save() holding the old version cannot overwrite this claim.
            item.save(condition=condition, add_version_condition=False)
        except PutError as exc:
            if _lost_race(exc):
                raise ConflictError(
                    f"attempt {expected_attempts + 1} of {state.repo} {state.fingerprint_id} already started"
                ) from exc
            raise
        return dataclasses.replace(state, version=int(item.version))

    def save(self, state: AttemptState) -> AttemptState:
        item = attempt_to_item(self._model, state)
        try:
            item.save()
        except PutError as exc:
            if _lost_race(exc):
                raise ConflictError(
                    f"attempt state of {state.repo} {state.fingerprint_id} changed since version {state.version}"
                ) from exc
            raise
        return dataclasses.replace(state, version=int(item.version))

    def list(self, repo: str) -> list[AttemptState]:
        return [attempt_from_item(item) for item in self._model.query(repo)]

    def find_by_pr(self, repo: str, pr_number: int) -> AttemptState | None:
        # No GSI: a repo has few attempt items, and this runs once per webhook event.
        for item in self._model.query(repo, filter_condition=self._model.prNumber == pr_number):
            return attempt_from_item(item)
        return None


# --- patterns -------------------------------------------------------------------------------


@_typed_errors
class DynamoPatternStore:
    def __init__(self, models: Models):
        self._model = models.pattern

    def get(self, pattern_id: str) -> Pattern | None:
        try:
            return pattern_from_item(self._model.get(pattern_id, consistent_read=True))
        except self._model.DoesNotExist:
            return None

    def active_for_fingerprint(self, fingerprint_id: str) -> Pattern | None:
        # Fast path: patterns the extractor stores have the deterministic id pattern_id_for(fp),
        # a GetItem on the table key; imported patterns may carry other ids, hence the index.
        direct = self.get(pattern_id_for(fingerprint_id))
        if direct is not None and direct.status == "active" and direct.fingerprint_id == fingerprint_id:
            return direct
        active = [
            pattern_from_item(item)
            for item in self._model.by_fingerprint.query(
                fingerprint_id, filter_condition=self._model.status == "active"
            )
        ]
        if not active:
            return None
        # One active pattern per fingerprint is the rule; if imports broke it, prefer the best.
        return max(active, key=lambda p: (p.success_rate, p.use_count, p.pattern_id))

    def active_for_type_and_file(self, error_type: str, file_path: str) -> list[Pattern]:
        return [
            pattern_from_item(item)
            for item in self._model.by_type_and_file.query(
                type_file_key(error_type, file_path), filter_condition=self._model.status == "active"
            )
        ]

    def put(self, pattern: Pattern) -> None:
        pattern_to_item(self._model, pattern).save()

    def put_many(self, patterns: list[Pattern]) -> None:
        """Batch write (25 items a request); used by import and the benchmark."""
        with self._model.batch_write() as batch:
            for pattern in patterns:
                batch.save(pattern_to_item(self._model, pattern))

    def all(self) -> list[Pattern]:
        patterns = [pattern_from_item(item) for item in self._model.scan()]
        return sorted(patterns, key=lambda p: p.pattern_id)


# --- budgets --------------------------------------------------------------------------------


def _budget_pk(repo: str) -> str:
    return f"budget#{repo}"


@_typed_errors
class DynamoBudgetStore:
    """Per-repo, per-UTC-day counters in the runs table; every change is one UpdateItem."""

    def __init__(self, models: Models):
        self._model = models.budget

    def _item(self, repo: str, day: date) -> Model:
        return self._model(_budget_pk(repo), day.isoformat())

    def _expiry(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + BUDGET_TTL

    def reserve_usd(self, repo: str, day: date, amount: float, cap: float) -> None:
        check_usd_reservation(repo, day, amount, cap)
        spent = self._model.spentUsd
        amount = money(amount)
        headroom = usd_headroom(amount, cap)
        try:
            # Check and add in one UpdateItem, so concurrent reservations can never overshoot.
            self._item(repo, day).update(
                actions=[spent.add(amount), self._model.expiresAt.set(self._expiry(day))],
                condition=spent.does_not_exist() | (spent <= headroom),
            )
        except UpdateError as exc:
            if _lost_race(exc):
                raise usd_cap_passed(repo, day, amount, cap) from exc
            raise

    def settle_usd(self, repo: str, day: date, reserved: float, actual: float) -> None:
        delta = usd_settle_delta(reserved, actual)
        if delta == 0:
            return
        self._item(repo, day).update(
            actions=[self._model.spentUsd.add(delta), self._model.expiresAt.set(self._expiry(day))]
        )

    def spent_usd(self, repo: str, day: date) -> float:
        try:
            item = self._model.get(_budget_pk(repo), day.isoformat(), consistent_read=True)
        except self._model.DoesNotExist:
            return 0.0
        return float(item.spentUsd or 0)

    def reserve_pr(self, repo: str, day: date, cap: int) -> None:
        check_pr_cap(repo, day, cap)
        opened = self._model.prsOpened
        try:
            self._item(repo, day).update(
                actions=[opened.add(1), self._model.expiresAt.set(self._expiry(day))],
                condition=opened.does_not_exist() | (opened <= cap - 1),
            )
        except UpdateError as exc:
            if _lost_race(exc):
                raise pr_cap_reached(repo, day, cap) from exc
            raise

    def prs_opened(self, repo: str, day: date) -> int:
        try:
            item = self._model.get(_budget_pk(repo), day.isoformat(), consistent_read=True)
        except self._model.DoesNotExist:
            return 0
        return int(item.prsOpened or 0)


# --- runs -----------------------------------------------------------------------------------

_RUN_PREFIX = "run#"


def _run_pk(repo: str) -> str:
    return f"{_RUN_PREFIX}{repo}"


@_typed_errors
class DynamoRunStore:
    def __init__(self, models: Models):
        self._model = models.run

    def save(self, record: RunRecord) -> None:
        timestamp = as_utc(record.timestamp)
        self._model(
            _run_pk(record.repo),
            f"{to_utc_iso(timestamp)}#{record.run_id}",
            record=run_record_to_json(record),
            expiresAt=timestamp + RUN_TTL,
        ).save()

    def list(
        self, repo: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[RunRecord]:
        if repo is None:
            items = self._model.scan(filter_condition=self._model.pk.startswith(_RUN_PREFIX))
        else:
            items = self._model.query(_run_pk(repo), range_key_condition=self._sk_range(since, until))
        records = [run_record_from_json(item.record) for item in items]
        records = [r for r in records if within(r.timestamp, since, until)]
        return sorted(records, key=lambda r: (as_utc(r.timestamp), r.repo, r.run_id))

    def _sk_range(self, since: datetime | None, until: datetime | None):
        sk = self._model.sk
        # "~" sorts after "#", so every run id at `until` itself is included.
        if since and until:
            return sk.between(to_utc_iso(since), to_utc_iso(until) + "~")
        if since:
            return sk >= to_utc_iso(since)
        if until:
            return sk <= to_utc_iso(until) + "~"
        return None


# --- bundle ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DynamoState:
    """The four state ports over one Settings' tables."""

    attempts: DynamoAttemptStore
    patterns: DynamoPatternStore
    budgets: DynamoBudgetStore
    runs: DynamoRunStore

    @classmethod
    def from_settings(cls, settings: Settings) -> DynamoState:
        models = make_models(settings)
        return cls(
            attempts=DynamoAttemptStore(models),
            patterns=DynamoPatternStore(models),
            budgets=DynamoBudgetStore(models),
            runs=DynamoRunStore(models),
        )


__all__ = [
    "DynamoAttemptStore",
    "DynamoBudgetStore",
    "DynamoPatternStore",
    "DynamoRunStore",
    "DynamoState",
    "Models",
    "StateStoreError",
    "create_tables",
    "make_models",
    "type_file_key",
]
