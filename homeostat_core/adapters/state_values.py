"""Value rules both state adapters share (DynamoDB and in-memory), so they store, round and refuse
the same way: money with a short decimal form, the byTypeAndFile key, budget argument checks and
the JSON form of a run record."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from homeostat_core.attempts import as_utc, parse_utc_iso, to_utc_iso
from homeostat_core.models import RunRecord
from homeostat_core.ports import BudgetExceeded


def money(value: float) -> float:
    """A float with a short decimal form, so DynamoDB stores 0.3 and not 0.30000000000000004."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.000001")).normalize())


def exact(value: float) -> Decimal:
    """The decimal a float reads as (what DynamoDB computes with)."""
    return Decimal(repr(float(value)))


def usd_headroom(amount: float, cap: float) -> float:
    """The most a day may already have spent for `amount` (already `money`) still to fit under `cap`."""
    return float(exact(cap) - exact(amount))


def usd_settle_delta(reserved: float, actual: float) -> float:
    """What settling a reservation adds to the day's spend (negative: a refund)."""
    return money(float(exact(actual) - exact(reserved)))


def check_usd_reservation(repo: str, day: date, amount: float, cap: float) -> None:
    """Refuse what no day could grant, before anything is written."""
    if amount < 0:
        raise ValueError(f"a reservation must be >= 0, got {amount}")
    if amount > cap:
        raise BudgetExceeded(f"{repo} {day}: ${amount:.4f} is more than the daily cap ${cap:.4f}")


def usd_cap_passed(repo: str, day: date, amount: float, cap: float) -> BudgetExceeded:
    return BudgetExceeded(f"{repo} {day}: reserving ${amount:.4f} would pass the daily cap ${cap:.4f}")


def check_pr_cap(repo: str, day: date, cap: int) -> None:
    if cap < 1:
        raise BudgetExceeded(f"{repo} {day}: PR cap is {cap}")


def pr_cap_reached(repo: str, day: date, cap: int) -> BudgetExceeded:
    return BudgetExceeded(f"{repo} {day}: {cap} PRs already opened today")


def type_file_key(error_type: str, file_path: str) -> str:
    """The byTypeAndFile index key: errorType + "#" + filePath."""
    return f"{error_type}#{file_path}"


def within(moment: datetime, since: datetime | None, until: datetime | None) -> bool:
    """`since <= moment <= until`, either bound optional (what RunStore.list filters by)."""
    moment = as_utc(moment)
    return (since is None or moment >= as_utc(since)) and (until is None or moment <= as_utc(until))


def run_record_to_json(record: RunRecord) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    data["timestamp"] = to_utc_iso(record.timestamp)
    # outcomes are free-form dicts from the pipeline; make them JSON-safe without failing
    return json.loads(json.dumps(data, default=str))


def run_record_from_json(data: dict[str, Any]) -> RunRecord:
    known = {f.name for f in dataclasses.fields(RunRecord)}
    values = {key: value for key, value in data.items() if key in known}
    values["timestamp"] = parse_utc_iso(values["timestamp"])
    return RunRecord(**values)


__all__ = [
    "check_pr_cap",
    "check_usd_reservation",
    "exact",
    "money",
    "pr_cap_reached",
    "run_record_from_json",
    "run_record_to_json",
    "type_file_key",
    "usd_cap_passed",
    "usd_headroom",
    "usd_settle_delta",
    "within",
]
