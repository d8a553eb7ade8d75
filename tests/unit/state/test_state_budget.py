"""Daily budgets by UTC day: reserve/settle/refund helpers and the context manager."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from homeostat_core.budget import (
    BudgetReservation,
    refund,
    reserve,
    reserve_pr,
    settle,
    spent_today,
    utc_day,
)
from homeostat_core.ports import BudgetExceeded

from .conftest import NOW

REPO = "acme/ext"


def test_reserve_settle_refund_by_utc_day(state):
    first = reserve(state.budgets, REPO, 0.25, cap=1.0, now=NOW)
    assert first.day == date(2025, 3, 1)
    settle(state.budgets, first, actual=0.1)
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.1)
    second = reserve(state.budgets, REPO, 0.5, cap=1.0, now=NOW)
    refund(state.budgets, second)
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.1)
    # the next UTC day starts from zero; the previous day is untouched
    tomorrow = NOW + timedelta(hours=12)
    assert utc_day(tomorrow) == date(2025, 3, 2)
    assert spent_today(state.budgets, REPO, tomorrow) == 0.0
    reserve(state.budgets, REPO, 1.0, cap=1.0, now=tomorrow)
    assert state.budgets.spent_usd(REPO, date(2025, 3, 1)) == pytest.approx(0.1)


def test_reservation_past_the_cap_is_refused_and_changes_nothing(state):
    reserve(state.budgets, REPO, 0.7, cap=1.0, now=NOW)
    with pytest.raises(BudgetExceeded):
        reserve(state.budgets, REPO, 0.31, cap=1.0, now=NOW)
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.7)
    reserve(state.budgets, REPO, 0.3, cap=1.0, now=NOW)  # exactly up to the cap is fine
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(1.0)
    with pytest.raises(BudgetExceeded):
        reserve(state.budgets, "other/repo", 1.01, cap=1.0, now=NOW)


def test_budgets_are_per_repo(state):
    reserve(state.budgets, REPO, 1.0, cap=1.0, now=NOW)
    reserve(state.budgets, "other/repo", 1.0, cap=1.0, now=NOW)
    assert spent_today(state.budgets, "other/repo", NOW) == pytest.approx(1.0)


def test_context_manager_settles_to_the_recorded_cost(state):
    with BudgetReservation(state.budgets, REPO, amount=0.5, cap=1.0, now=NOW) as held:
        assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.5)
        held.settle(0.125)
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.125)


def test_context_manager_refunds_when_the_block_fails(state):
    with pytest.raises(RuntimeError), BudgetReservation(state.budgets, REPO, amount=0.5, cap=1.0, now=NOW):
        raise RuntimeError("model timed out")
    assert spent_today(state.budgets, REPO, NOW) == 0.0


def test_context_manager_keeps_a_cost_recorded_before_a_failure(state):
    with (
        pytest.raises(ValueError),
        BudgetReservation(state.budgets, REPO, amount=0.5, cap=1.0, now=NOW) as held,
    ):
        held.settle(0.2)
        raise ValueError("unparseable answer")
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.2)


def test_context_manager_without_a_cost_keeps_the_reservation(state):
    with BudgetReservation(state.budgets, REPO, amount=0.5, cap=1.0, now=NOW):
        pass
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.5)


def test_context_manager_over_cap_raises_on_enter(state):
    reserve(state.budgets, REPO, 0.9, cap=1.0, now=NOW)
    ran = False
    with pytest.raises(BudgetExceeded), BudgetReservation(state.budgets, REPO, amount=0.2, cap=1.0, now=NOW):
        ran = True
    assert not ran
    assert spent_today(state.budgets, REPO, NOW) == pytest.approx(0.9)


def test_pr_counter_stops_at_its_cap(state):
    for _ in range(2):
        reserve_pr(state.budgets, REPO, cap=2, now=NOW)
    with pytest.raises(BudgetExceeded):
        reserve_pr(state.budgets, REPO, cap=2, now=NOW)
    assert state.budgets.prs_opened(REPO, utc_day(NOW)) == 2
    assert state.budgets.prs_opened(REPO, utc_day(NOW + timedelta(days=1))) == 0


def test_many_small_amounts_add_up_exactly(state):
    for _ in range(10):
        reserve(state.budgets, REPO, 0.1, cap=1.0, now=NOW)
    # decimal arithmetic in DynamoDB: ten 0.1s fill a 1.0 cap exactly, no float drift past it
    assert spent_today(state.budgets, REPO, NOW) == 1.0
    with pytest.raises(BudgetExceeded):
        reserve(state.budgets, REPO, 0.000001, cap=1.0, now=NOW)
