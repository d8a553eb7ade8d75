"""Daily budgets under concurrency and failure: never over the cap, and spend = what calls cost.

Threads reserve against one day's cap on a real moto server (one request at a time, as DynamoDB
applies a conditional update atomically); a monitor reads the day's spend all along. Then repo
runs whose model fails (5xx) or whose forge fails after a paid model call settle the day's spend
to the real cost of the calls made, not to the reservation and not to zero.
"""

from __future__ import annotations

import random
import threading

import pytest

from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.budget import reserve, settle, spent_today
from homeostat_core.fixing.engine import cost_of
from homeostat_core.models import TokenUsage
from homeostat_core.ports import BudgetExceeded, ForgeError
from tests.reliability.harness import START, example_issues, example_repo, figure, make_world

THREADS = 20
ROUNDS = 3


def _round(state, repo: str, cap: float, rng: random.Random) -> tuple[int, int, float, float]:
    """THREADS threads reserve (random amounts) and settle (random actual ≤ reserved) at once.
    Returns (granted, refused, highest spend seen, final spend - expected)."""
    barrier = threading.Barrier(THREADS + 1, timeout=20)
    amounts = [round(rng.uniform(0.05, 0.4), 4) for _ in range(THREADS)]
    actuals = [round(a * rng.choice([0.0, 0.25, 0.5, 1.0]), 4) for a in amounts]
    granted: list[int] = []
    refused: list[int] = []
    errors: list[Exception] = []
    done = threading.Event()
    highest = [0.0]

    def worker(i: int) -> None:
        barrier.wait()
        try:
            reservation = reserve(state.budgets, repo, amounts[i], cap, START)
        except BudgetExceeded:
            refused.append(i)
            return
        except Exception as exc:  # asserted on below
            errors.append(exc)
            return
        granted.append(i)
        settle(state.budgets, reservation, actuals[i])

    def monitor() -> None:
        barrier.wait()
        while not done.wait(0.005):  # a read every few ms, leaving the server to the writers
            highest[0] = max(highest[0], spent_today(state.budgets, repo, START))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    watcher = threading.Thread(target=monitor)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done.set()
    watcher.join(timeout=10)
    assert errors == []
    final = spent_today(state.budgets, repo, START)
    return len(granted), len(refused), highest[0], final - sum(actuals[i] for i in granted)


def test_twenty_concurrent_reservations_never_overshoot_the_daily_cap(settings):
    from homeostat_core.adapters.dynamo import DynamoState

    state = DynamoState.from_settings(settings)
    rng = random.Random(42)
    cap = 1.0
    failures, granted_total, refused_total, highest_seen = 0, 0, 0, 0.0
    for round_number in range(ROUNDS):
        granted, refused, highest, drift = _round(state, f"acme/ext-{round_number}", cap, rng)
        granted_total += granted
        refused_total += refused
        highest_seen = max(highest_seen, highest)
        # never over the cap, and after settling the day holds exactly the actual costs
        if highest > cap + 1e-9 or abs(drift) > 1e-6 or refused == 0:
            failures += 1
    figure(
        "budgets_concurrent",
        cases=ROUNDS * THREADS,
        failures=failures,
        granted=granted_total,
        refused=refused_total,
        highest_spend=round(highest_seen, 4),
        cap=cap,
    )
    assert failures == 0


CHEAP_USAGE = {"prompt_tokens": 1000, "completion_tokens": 100, "cached_tokens": 0}
# The first answer is paid for but does not apply; every later call fails.
BAD_THEN_5XX = {
    "rules": [
        {
            "times": 1,
            "content": '{"summary": "x", "edits": [{"path": "src/background/converter.js", '
            '"search": "this line is not in the file", "replace": "y"}]}',
            "usage": CHEAP_USAGE,
        },
        {"status": 500},
    ]
}
# The first answer edits a second file, which the forge then fails to read.
EDITS_ANOTHER_FILE = {
    "rules": [
        {
            "content": '{"summary": "x", "edits": [{"path": "src/popup/history.js", '
            '"search": "function", "replace": "async function"}]}',
            "usage": CHEAP_USAGE,
        }
    ]
}


class FailingReads:
    """A forge whose read_file fails for one path (after the model already answered)."""

    def __init__(self, forge, path: str):
        self._forge, self._path = forge, path

    def read_file(self, repo, path, ref=None):
        if path == self._path:
            raise ForgeError("read file: HTTP 502")
        return self._forge.read_file(repo, path, ref)

    def __getattr__(self, name):
        return getattr(self._forge, name)

    @property
    def api_calls(self):
        return self._forge.api_calls


@pytest.mark.parametrize("case", ["model_5xx_after_a_paid_call", "forge_error_after_a_paid_call"])
def test_failed_attempts_settle_to_the_real_cost(tmp_path, settings, case):
    script = BAD_THEN_5XX if case == "model_5xx_after_a_paid_call" else EDITS_ANOTHER_FILE
    with ScriptedLlmServer(script) as server:
        repo = example_repo("convert-my-file", daily_budget_usd=20.0)
        world = make_world(
            tmp_path, settings, server, repo, example_issues("convert-my-file", "01-unknown-format.md")
        )
        ports = world.ports()
        if case == "forge_error_after_a_paid_call":
            ports = world.ports(forge=FailingReads(world.forge, "src/popup/history.js"))
        record = world.run(ports)
        calls = len(server.requests)
    expected = cost_of(TokenUsage(1000, 100, 0), world.model_settings.cheap.price)
    spent = world.spent_today()
    outcome = record.outcomes[0]
    ok = spent == pytest.approx(expected, abs=1e-6) and calls >= 1
    if case == "model_5xx_after_a_paid_call":
        ok = ok and outcome["result"] == "failed" and outcome["reason"] == "llm_server"
        ok = ok and record.cost_usd == pytest.approx(expected)
    else:
        # the forge error defers the issue, and the run record shows only that
        ok = ok and record.deferred_issues == world.issue_numbers
        ok = ok and [o["result"] for o in record.outcomes] == ["deferred"]
    figure(
        f"budgets_settle[{case}]",
        cases=1,
        failures=int(not ok),
        spent=round(spent, 6),
        expected=round(expected, 6),
    )
    assert ok, (spent, expected, outcome, calls)
