"""Cooldown rules (pure) and begin/finish over the real DynamoDB attempt store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeostat_core.attempts import (
    MAX_ATTEMPTS,
    AttemptNotAllowed,
    begin_attempt,
    can_attempt,
    cooldown_reason,
    finish_attempt,
    next_backoff,
    parse_utc_iso,
    record_check,
    to_utc_iso,
)
from homeostat_core.models import AttemptState, FileEdit
from homeostat_core.ports import ConflictError

from .conftest import NOW

REPO = "acme/ext"
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


def state_with(attempts: int, backoff_until: datetime | None) -> AttemptState:
    return AttemptState(repo=REPO, fingerprint_id="fp", attempts=attempts, backoff_until=backoff_until)


# --- pure rules -----------------------------------------------------------------------------


def test_no_state_may_be_attempted():
    assert can_attempt(None, NOW)
    assert cooldown_reason(None, NOW) is None


@given(now=moments, attempts=st.integers(min_value=0, max_value=12))
def test_backoff_doubles_from_24_hours(now, attempts):
    assert next_backoff(attempts, now) - now == timedelta(hours=24) * 2**attempts


@given(
    now=moments, attempts=st.integers(min_value=0, max_value=MAX_ATTEMPTS - 1), offset=st.integers(1, 10**6)
)
def test_backoff_blocks_until_its_instant_and_not_after(now, attempts, offset):
    until = next_backoff(attempts, now)
    state = state_with(attempts, until)
    assert not can_attempt(state, until - timedelta(seconds=offset))
    assert can_attempt(state, until)
    assert can_attempt(state, until + timedelta(seconds=offset))


@given(now=moments, attempts=st.integers(min_value=MAX_ATTEMPTS, max_value=50))
def test_max_attempts_blocks_forever(now, attempts):
    state = state_with(attempts, None)
    assert not can_attempt(state, now)
    assert cooldown_reason(state, now) == "max_attempts"


def test_cooldown_reason_names_the_backoff_instant():
    until = NOW + timedelta(hours=5)
    assert cooldown_reason(state_with(1, until), NOW) == f"backoff until {to_utc_iso(until)}"


def test_naive_datetimes_are_taken_as_utc():
    until = NOW + timedelta(hours=1)
    naive_now = NOW.replace(tzinfo=None)
    assert not can_attempt(state_with(1, until), naive_now)
    assert parse_utc_iso(to_utc_iso(naive_now)) == NOW


def test_negative_attempt_count_is_rejected():
    with pytest.raises(ValueError):
        next_backoff(-1, NOW)


# --- begin / finish over DynamoDB -----------------------------------------------------------


def test_three_failed_attempts_back_off_24_48_96_hours_then_stop(state):
    now = NOW
    waits = []
    for number in range(1, MAX_ATTEMPTS + 1):
        claimed = begin_attempt(state.attempts, REPO, "fp", now, error_type="TypeError", file_path="src/a.js")
        assert claimed.attempts == number
        assert claimed.last_result == "pending"
        finish_attempt(state.attempts, claimed, result="failure", tier=1, cost_usd=0.01)
        stored = state.attempts.get(REPO, "fp")
        assert stored.last_result == "failure"
        waits.append(stored.backoff_until - now)
        assert not can_attempt(stored, now + timedelta(hours=1))
        now = stored.backoff_until
    assert waits == [timedelta(hours=24), timedelta(hours=48), timedelta(hours=96)]
    final = state.attempts.get(REPO, "fp")
    assert not can_attempt(final, now + timedelta(days=365))
    with pytest.raises(AttemptNotAllowed) as info:
        begin_attempt(
            state.attempts, REPO, "fp", now + timedelta(days=365), error_type="TypeError", file_path="a"
        )
    assert info.value.reason == "max_attempts"


def test_begin_attempt_during_backoff_is_refused_and_writes_nothing(state):
    first = begin_attempt(state.attempts, REPO, "fp", NOW, error_type="TypeError", file_path="src/a.js")
    with pytest.raises(AttemptNotAllowed):
        begin_attempt(
            state.attempts, REPO, "fp", NOW + timedelta(hours=23), error_type="TypeError", file_path="x"
        )
    assert state.attempts.get(REPO, "fp") == first


def test_finish_attempt_keeps_learning_inputs(state):
    claimed = begin_attempt(state.attempts, REPO, "fp", NOW, error_type="TypeError", file_path="src/a.js")
    edits = (FileEdit("src/a.js", "a.b", "a?.b ?? fallback"),)
    done = finish_attempt(
        state.attempts,
        claimed,
        result="pending",
        pr_number=42,
        tier=2,
        cost_usd=0.0375,
        pattern_id="pat-fp",
        edits=edits,
    )
    stored = state.attempts.get(REPO, "fp")
    assert stored == done
    assert (stored.pr_number, stored.tier, stored.cost_usd, stored.pattern_id, stored.edits) == (
        42,
        2,
        0.0375,
        "pat-fp",
        edits,
    )
    assert (stored.error_type, stored.file_path) == ("TypeError", "src/a.js")
    assert state.attempts.find_by_pr(REPO, 42) == stored
    assert state.attempts.find_by_pr(REPO, 43) is None


def test_stale_claim_loses_to_the_first_one(state):
    # Given two workers that both read "no attempts yet"
    first = AttemptState(repo=REPO, fingerprint_id="fp", attempts=1, last_result="pending")
    state.attempts.start_attempt(first, expected_attempts=0)
    # When the second writes its claim for the same attempt
    # Then its conditional write fails and the first claim stays
    with pytest.raises(ConflictError):
        state.attempts.start_attempt(dataclasses.replace(first, tier=9), expected_attempts=0)
    assert state.attempts.get(REPO, "fp").tier is None


def test_save_with_an_old_version_conflicts(state):
    claimed = begin_attempt(state.attempts, REPO, "fp", NOW, error_type="E", file_path="f.js")
    finish_attempt(state.attempts, claimed, result="failure")
    with pytest.raises(ConflictError):
        finish_attempt(state.attempts, claimed, result="success")
    assert state.attempts.get(REPO, "fp").last_result == "failure"


def test_failure_summary_survives_into_the_next_attempt(state):
    claimed = begin_attempt(state.attempts, REPO, "fp", NOW, error_type="E", file_path="f.js")
    failed = finish_attempt(state.attempts, claimed, result="failure", failure_summary="test x failed")
    again = begin_attempt(state.attempts, REPO, "fp", failed.backoff_until, error_type="E", file_path="f.js")
    assert again.attempts == 2
    assert again.failure_summary == "test x failed"
    assert state.attempts.get(REPO, "fp").failure_summary == "test x failed"


def test_list_returns_only_the_repos_attempts(state):
    for fp in ("a", "b"):
        begin_attempt(state.attempts, REPO, fp, NOW, error_type="E", file_path="f.js")
    begin_attempt(state.attempts, "other/repo", "c", NOW, error_type="E", file_path="f.js")
    assert sorted(a.fingerprint_id for a in state.attempts.list(REPO)) == ["a", "b"]
    assert state.attempts.get(REPO, "c") is None


def test_record_check_sets_tests_passed_and_result(state):
    claimed = begin_attempt(state.attempts, REPO, "fp", NOW, error_type="E", file_path="f.js")
    opened = finish_attempt(state.attempts, claimed, result="pending", pr_number=7)
    failed = record_check(state.attempts, opened, passed=False, summary="2 tests failed: popup.spec.js")
    stored = state.attempts.get(REPO, "fp")
    assert stored == failed
    assert (stored.tests_passed, stored.last_result, stored.failure_summary) == (
        False,
        "failure",
        "2 tests failed: popup.spec.js",
    )
    passed = record_check(state.attempts, stored, passed=True)
    assert (passed.tests_passed, passed.last_result, passed.failure_summary) == (True, "success", None)
    assert state.attempts.get(REPO, "fp").tests_passed is True
