"""Daily spend caps per repo, by UTC day, over the BudgetStore port (pure: no I/O of its own).

Money is reserved before a model call (the worst-case cost), then settled to what the call
really cost, or refunded when it failed. The store does check-and-add atomically, so workers
running at the same time can never take a day's spend past its cap.

    with BudgetReservation(budgets, repo, amount=0.05, cap=1.0, now=now) as reservation:
        response = call_model(...)
        reservation.settle(response_cost)      # otherwise the reserved amount counts as spent
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType

from homeostat_core.attempts import as_utc
from homeostat_core.ports import BudgetExceeded, BudgetStore

__all__ = [
    "BudgetExceeded",
    "BudgetReservation",
    "Reservation",
    "refund",
    "reserve",
    "reserve_pr",
    "settle",
    "spent_today",
    "utc_day",
]


def utc_day(now: datetime) -> date:
    return as_utc(now).date()


@dataclass(frozen=True, slots=True)
class Reservation:
    """Money held against one repo's budget on one UTC day (settled on that same day)."""

    repo: str
    day: date
    amount: float


def reserve(budgets: BudgetStore, repo: str, amount: float, cap: float, now: datetime) -> Reservation:
    """Hold `amount` of today's budget; BudgetExceeded when that would pass `cap`."""
    day = utc_day(now)
    budgets.reserve_usd(repo, day, amount, cap)
    return Reservation(repo=repo, day=day, amount=amount)


def settle(budgets: BudgetStore, reservation: Reservation, actual: float) -> None:
    """Replace the reservation by the real cost (which may be more or less than reserved)."""
    budgets.settle_usd(reservation.repo, reservation.day, reservation.amount, actual)


def refund(budgets: BudgetStore, reservation: Reservation) -> None:
    """Give the whole reservation back (the call it was for cost nothing)."""
    settle(budgets, reservation, 0.0)


def spent_today(budgets: BudgetStore, repo: str, now: datetime) -> float:
    return budgets.spent_usd(repo, utc_day(now))


def reserve_pr(budgets: BudgetStore, repo: str, cap: int, now: datetime) -> None:
    """Count one more PR opened today; BudgetExceeded when `cap` PRs were already opened."""
    budgets.reserve_pr(repo, utc_day(now), cap)


class BudgetReservation:
    """Reserve on enter; on exit settle to the recorded cost, or refund if the block raised
    before any cost was recorded (a cost recorded before an error was still spent).

    A block that ends normally without `settle()` keeps the reserved amount as spent (the safe
    side: an unknown cost is assumed to be the worst case).
    """

    def __init__(self, budgets: BudgetStore, repo: str, amount: float, cap: float, now: datetime):
        self.budgets = budgets
        self.repo = repo
        self.amount = amount
        self.cap = cap
        self.now = now
        self.reservation: Reservation | None = None
        self.actual: float | None = None

    def __enter__(self) -> BudgetReservation:
        self.reservation = reserve(self.budgets, self.repo, self.amount, self.cap, self.now)
        return self

    def settle(self, actual: float) -> None:
        """Record what the guarded call really cost; applied when the block exits."""
        self.actual = actual

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.reservation is None:
            return
        if exc_type is not None and self.actual is None:
            refund(self.budgets, self.reservation)
        elif self.actual is not None:
            settle(self.budgets, self.reservation, self.actual)
        self.reservation = None
