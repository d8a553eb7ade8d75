"""The ports of event-driven runs (homeostat_core/wakes.py): the `wake#<repo>` claims and the
delayed delivery of a wake. Adapters: adapters/dynamo_wakes.py and adapters/sqs.py (AWS),
adapters/memory_wakes.py (one process)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class WakeState:
    """A repository's wake: pending from its claim until it fires. `last_report_at`: the latest
    report heard while it was pending (the wake waits until the reports go quiet)."""

    pending: bool
    due_at: datetime | None = None
    last_run_at: datetime | None = None
    version: int = 0
    last_report_at: datetime | None = None


class WakeStore(Protocol):
    """One item per repository (DynamoDB: `wake#<repo>`), changed only by conditional writes."""

    def get(self, repo: str) -> WakeState | None: ...

    def claim(self, repo: str, due_at: datetime, seen: WakeState | None) -> bool:
        """Mark a wake pending, due at `due_at`, only while the item is still as `seen` (None: no
        item yet); False when another delivery changed it first."""
        ...

    def heard(self, repo: str, at: datetime) -> None:
        """A report joined the pending wake at `at` (nothing when no wake is pending)."""
        ...

    def fire(self, repo: str, due_at: datetime, now: datetime) -> bool:
        """Release the pending wake due at `due_at` (its run starts now). True also when this wake
        was already released (a retried message); False when the claim is another wake's."""
        ...


class WakeSender(Protocol):
    """Delivers a wake message once it is due (SQS: a delayed message)."""

    def send_wake(self, body: dict, due_at: datetime) -> None: ...
