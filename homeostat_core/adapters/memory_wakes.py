"""WakeStore in memory, with the DynamoDB adapter's conditional-write semantics (one lock: the
per-item atomicity threads would see), and a WakeSender that keeps what it was asked to deliver.
For tests, benches and anything that runs in one process."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import datetime

from homeostat_core.attempts import as_utc
from homeostat_core.wake_ports import WakeState


@dataclass
class _Item:
    state: WakeState
    fired_due: datetime | None = None


class MemoryWakeStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, _Item] = {}

    def get(self, repo: str) -> WakeState | None:
        with self._lock:
            item = self._items.get(repo.lower())
            return item.state if item else None

    def claim(self, repo: str, due_at: datetime, seen: WakeState | None) -> bool:
        with self._lock:
            item = self._items.get(repo.lower())
            if (item.state if item else None) != seen or (item and item.state.pending):
                return False
            version = item.state.version + 1 if item else 1
            last = item.state.last_run_at if item else None
            fired = item.fired_due if item else None
            self._items[repo.lower()] = _Item(WakeState(True, as_utc(due_at), last, version, None), fired)
            return True

    def heard(self, repo: str, at: datetime) -> None:
        with self._lock:
            item = self._items.get(repo.lower())
            if item is not None and item.state.pending:
                latest = max(filter(None, (item.state.last_report_at, as_utc(at))))
                item.state = replace(item.state, last_report_at=latest)

    def fire(self, repo: str, due_at: datetime, now: datetime) -> bool:
        due_at = as_utc(due_at)
        with self._lock:
            item = self._items.get(repo.lower())
            if item is None:
                return False
            if item.state.pending and item.state.due_at == due_at:
                state = replace(
                    item.state, pending=False, last_run_at=as_utc(now), version=item.state.version + 1
                )
                self._items[repo.lower()] = _Item(state, due_at)
                return True
            return item.fired_due == due_at


@dataclass
class ListWakeSender:
    """Keeps each wake message with the time it is due; `due(now)` hands out those due by then."""

    sent: list[tuple[dict, datetime]] = field(default_factory=list)

    def send_wake(self, body: dict, due_at: datetime) -> None:
        self.sent.append((body, as_utc(due_at)))

    def due(self, now: datetime) -> list[dict]:
        ready = [body for body, at in self.sent if at <= now]
        self.sent = [(body, at) for body, at in self.sent if at > now]
        return ready
