"""Conditional writes under real concurrency: threads against one moto server over HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from homeostat_core import lifecycle
from homeostat_core.budget import reserve, spent_today
from homeostat_core.models import AttemptState
from homeostat_core.ports import BudgetExceeded, ConflictError

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
REPO = "acme/ext"


class ReadThenWait:
    """An AttemptStore whose reads wait for every worker, so all of them have read the same
    attempt count before any of them writes: the race is forced, not hoped for."""

    def __init__(self, store, workers: int):
        self._store = store
        self._barrier = threading.Barrier(workers, timeout=10)

    def get(self, repo, fingerprint_id):
        state = self._store.get(repo, fingerprint_id)
        self._barrier.wait()
        return state

    def __getattr__(self, name):
        return getattr(self._store, name)


def run_in_threads(count: int, work) -> list[object]:
    results: list[object] = [None] * count

    def target(i: int) -> None:
        try:
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the caller
            results[i] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def claim(store, now, file_path: str) -> AttemptState:
    """What the pipeline's claim does: read, then a conditional write of attempt n+1."""
    before = store.get(REPO, "fp") or AttemptState(repo=REPO, fingerprint_id="fp")
    row = lifecycle.claimed(before, now, error_type="E", file_path=file_path)
    if before.version == 0:
        return store.start_attempt(row, expected_attempts=before.attempts)
    return store.save(row)


@pytest.mark.parametrize("prior_attempts", [0, 1])
def test_two_workers_claiming_the_same_attempt_exactly_one_wins(server_state, prior_attempts):
    now = NOW
    for _ in range(prior_attempts):
        claimed = claim(server_state.attempts, now, "f.js")
        finished = server_state.attempts.save(lifecycle.moved(claimed, lifecycle.Stage.ATTEMPT_FAILED))
        now = finished.backoff_until
    racing = ReadThenWait(server_state.attempts, workers=2)

    results = run_in_threads(
        2,
        lambda i: claim(racing, now, f"worker{i}.js"),
    )

    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], ConflictError), results
    stored = server_state.attempts.get(REPO, "fp")
    assert stored.attempts == prior_attempts + 1
    assert stored.file_path == winners[0].file_path
    assert stored.backoff_until == now + timedelta(hours=24 * 2**prior_attempts)


def test_twenty_concurrent_reservations_never_pass_the_cap(server_state):
    # one read first, so the threads share a ready client instead of each building one
    assert spent_today(server_state.budgets, REPO, NOW) == 0.0
    barrier = threading.Barrier(20, timeout=10)

    def reserve_after_all_are_ready(_i: int):
        barrier.wait()
        return reserve(server_state.budgets, REPO, 0.15, cap=1.0, now=NOW)

    results = run_in_threads(20, reserve_after_all_are_ready)

    granted = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, BudgetExceeded) for r in refused), refused
    # 6 × 0.15 = 0.90 fits under 1.00; a 7th would be 1.05
    assert len(granted) == 6
    assert spent_today(server_state.budgets, REPO, NOW) == pytest.approx(0.9)


def test_concurrent_pr_slots_never_pass_the_cap(server_state):
    assert server_state.budgets.prs_opened(REPO, NOW.date()) == 0
    barrier = threading.Barrier(10, timeout=10)

    def take_slot(_i: int):
        barrier.wait()
        return server_state.budgets.reserve_pr(REPO, NOW.date(), 3)

    results = run_in_threads(10, take_slot)
    assert sum(1 for r in results if not isinstance(r, Exception)) == 3
    assert server_state.budgets.prs_opened(REPO, NOW.date()) == 3
