"""The lifecycle table: legal moves, refused moves, and stages of rows written before stages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from homeostat_core.lifecycle import (
    ALLOWED,
    IllegalTransition,
    Stage,
    can_move,
    derive_stage,
    moved,
    stage_of,
)
from homeostat_core.models import AttemptState, FileEdit
from homeostat_core.pipeline.dispatch import HANDLERS
from homeostat_core.pipeline.review import handle_review

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
EDIT = (FileEdit("src/a.js", "x", "y"),)


def row(**fields) -> AttemptState:
    return AttemptState(repo="acme/ext", fingerprint_id="abc123", **fields)


def test_every_stage_has_a_row_in_the_table():
    assert set(ALLOWED) == set(Stage)


def test_a_merged_fix_can_only_be_verified_or_regress():
    assert ALLOWED[Stage.MERGED] == {Stage.VERIFIED, Stage.REGRESSED}
    assert ALLOWED[Stage.VERIFIED] == {Stage.REGRESSED}


@pytest.mark.parametrize("terminal", [Stage.GIVEN_UP])
def test_terminal_stages_allow_no_move(terminal):
    # Given a fingerprint that is merged or given up
    state = row(stage=terminal.value)
    # Then every move is refused with a named error
    for target in Stage:
        with pytest.raises(IllegalTransition) as refused:
            moved(state, target)
        assert terminal.value in str(refused.value) and target.value in str(refused.value)


def test_open_pr_stages_never_go_back_to_a_fresh_attempt_on_their_own():
    # A draft or ready PR waits for CI or people: "cooldown over" is not a reason to attempt again.
    # Only a maintainer's retry or review claims one (homeostat_core/steering); a run's handler
    # for them never claims, and a PR people committed on is theirs.
    assert not can_move(row(stage=Stage.HANDED_OVER.value), Stage.CLAIMED)
    for stage in (Stage.DRAFT, Stage.READY, Stage.HANDED_OVER):
        assert HANDLERS[stage] is handle_review


def test_only_ci_failure_a_failed_attempt_or_a_maintainer_leads_to_an_iteration():
    sources = {stage for stage, targets in ALLOWED.items() if Stage.CLAIMED in targets}
    assert sources == {
        Stage.DRAFT,  # a maintainer's /homeostat retry or review
        Stage.READY,
        Stage.NEW,
        Stage.CLAIMED,
        Stage.FIX_RECORDED,
        Stage.ATTEMPT_FAILED,
        Stage.CI_FAILED,
        Stage.CLOSED_BY_PERSON,
        Stage.OPTED_OUT,
        Stage.REGRESSED,
    }


def test_handed_over_can_only_end():
    assert ALLOWED[Stage.HANDED_OVER] == {Stage.MERGED, Stage.CLOSED_BY_PERSON, Stage.OPTED_OUT}


def test_moved_keeps_the_seeds_last_result_in_step():
    state = moved(row(stage="draft", pr_number=4), Stage.CI_FAILED, tests_passed=False)
    assert (state.stage, state.last_result, state.tests_passed) == ("ci_failed", "failure", False)
    assert moved(state, Stage.READY).last_result == "pending"


@pytest.mark.parametrize(
    "fields,expected",
    [
        ({}, Stage.NEW),
        ({"attempts": 1, "last_result": "pending"}, Stage.CLAIMED),
        ({"attempts": 1, "last_result": "pending", "edits": EDIT}, Stage.FIX_RECORDED),
        ({"attempts": 1, "last_result": "pending", "edits": EDIT, "pr_number": 3}, Stage.READY),
        ({"attempts": 1, "last_result": "pending", "pr_number": 3, "tests_passed": False}, Stage.CI_FAILED),
        ({"attempts": 1, "last_result": "failure", "pr_number": 3, "tests_passed": False}, Stage.CI_FAILED),
        ({"attempts": 1, "last_result": "failure", "pr_number": 3}, Stage.CLOSED_BY_PERSON),
        ({"attempts": 1, "last_result": "failure"}, Stage.ATTEMPT_FAILED),
        ({"attempts": 3, "last_result": "failure"}, Stage.GIVEN_UP),
        ({"attempts": 1, "last_result": "success", "pr_number": 3}, Stage.MERGED),
    ],
)
def test_rows_written_before_stages_get_a_derived_stage(fields, expected):
    state = row(**fields)
    assert derive_stage(state) is expected
    assert stage_of(state) is expected


def test_a_stored_stage_wins_over_the_legacy_fields_and_an_unknown_one_falls_back():
    assert stage_of(row(stage="ready", last_result="failure")) is Stage.READY
    assert stage_of(row(stage="from-the-future", last_result="success")) is Stage.MERGED
    assert stage_of(None) is Stage.NEW


def test_every_content_policy_code_labels_the_issue_rejected():
    from homeostat_core.fixing.engine import REJECTION_REASONS
    from homeostat_core.fixing.validation import CONTENT_POLICY_CODES

    assert set(CONTENT_POLICY_CODES) <= REJECTION_REASONS
    assert "edit_not_found" not in REJECTION_REASONS  # a model's bad edit is a failure, not a policy


# --- the policy ---------------------------------------------------------------------------------

from datetime import timedelta  # noqa: E402

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from homeostat_core.lifecycle import POLICY, claimed  # noqa: E402

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


@given(now=moments, attempts=st.integers(min_value=0, max_value=12))
def test_backoff_doubles_from_24_hours(now, attempts):
    assert POLICY.backoff(attempts, now) - now == timedelta(hours=24) * 2**attempts


def test_a_negative_attempt_count_is_refused():
    with pytest.raises(ValueError):
        POLICY.backoff(-1, NOW)


def test_three_claims_back_off_24_48_96_hours():
    state, now, waits = row(), NOW, []
    for number in (1, 2, 3):
        state = claimed(state, now)
        assert state.attempts == number and state.stage == "claimed"
        waits.append(state.backoff_until - now)
        state = moved(state, Stage.ATTEMPT_FAILED)
        now = state.backoff_until
    assert waits == [timedelta(hours=24), timedelta(hours=48), timedelta(hours=96)]
