"""Matcher, extractor and learner over the real DynamoDB pattern store: the seed's acceptance
criteria (feature flag per environment, empty library, fuzzy never auto-applies, retirement)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeostat_core.models import ErrorFingerprint, FileEdit, Pattern
from homeostat_core.patterns import (
    added_code_chars,
    extract_pattern,
    match_pattern,
    pattern_id_for,
    record_outcome,
    should_auto_apply,
)
from homeostat_core.patterns.learner import updated_rate

from .conftest import NOW

FIX = (FileEdit("src/popup.js", "items.map(render)", "(Array.isArray(items) ? items : []).map(render)"),)


def fingerprint(fp_id: str = "fp1", error_type: str = "TypeError", file_path: str = "src/popup.js"):
    return ErrorFingerprint(
        id=fp_id,
        error_type=error_type,
        file_path=file_path,
        top_stack_frame="render",
        message_hash="h",
        full_signature="sig",
    )


def pattern(pattern_id: str, fp_id: str, rate: float, **kwargs) -> Pattern:
    values = {"error_type": "TypeError", "file_path": "src/popup.js", "edits": FIX, "success_rate": rate}
    values.update(kwargs)
    return Pattern(pattern_id=pattern_id, fingerprint_id=fp_id, **values)


def extract(store, env="production", merged=True, fp_id="fp1", edits=FIX, now=NOW):
    return extract_pattern(
        store,
        env=env,
        merged=merged,
        fingerprint_id=fp_id,
        error_type="TypeError",
        file_path="src/popup.js",
        edits=edits,
        diff="--- a\n+++ b\n",
        repo="acme/ext",
        now=now,
    )


def logged(caplog) -> list[dict]:
    """Each log record's message and structured fields (Powertools passes `extra` through)."""
    return [{"message": r.getMessage(), **vars(r)} for r in caplog.records]


# --- matcher --------------------------------------------------------------------------------


def test_empty_library_matches_nothing(state):
    assert match_pattern(state.patterns, fingerprint()) is None
    assert not should_auto_apply(None)


def test_exact_match_uses_success_rate_as_confidence_and_auto_applies(state):
    state.patterns.put(pattern("p1", "fp1", 0.9, merges=2))  # out of probation
    match = match_pattern(state.patterns, fingerprint())
    assert (match.pattern.pattern_id, match.strategy, match.confidence) == ("p1", "exact", 0.9)
    assert should_auto_apply(match)


def test_exact_match_at_exactly_threshold_is_a_hint_only(state):
    state.patterns.put(pattern("p1", "fp1", 0.8))
    match = match_pattern(state.patterns, fingerprint())
    assert match.strategy == "exact" and match.confidence == 0.8
    assert not should_auto_apply(match)


def test_fuzzy_match_picks_best_same_type_and_file_and_never_auto_applies(state):
    state.patterns.put(pattern("weak", "other1", 0.85))
    state.patterns.put(pattern("strong", "other2", 1.0))
    state.patterns.put(pattern("other-file", "other3", 1.0, file_path="src/options.js"))
    state.patterns.put(pattern("other-type", "other4", 1.0, error_type="RangeError"))
    match = match_pattern(state.patterns, fingerprint("fp-new"))
    assert match.strategy == "fuzzy"
    assert match.pattern.pattern_id == "strong"
    assert match.confidence == pytest.approx(0.8)
    assert not should_auto_apply(match)


def test_patterns_below_rate_or_retired_do_not_match(state):
    state.patterns.put(pattern("low", "fp1", 0.79))
    state.patterns.put(pattern("retired", "other", 1.0, status="retired"))
    assert match_pattern(state.patterns, fingerprint()) is None


def test_low_rate_exact_falls_back_to_a_good_fuzzy_pattern(state):
    state.patterns.put(pattern("low", "fp1", 0.5))
    state.patterns.put(pattern("good", "fp2", 0.95))
    match = match_pattern(state.patterns, fingerprint("fp1"))
    assert (match.pattern.pattern_id, match.strategy) == ("good", "fuzzy")
    assert match.confidence == pytest.approx(0.95 * 0.8)


# --- extractor ------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "test"])
def test_extractor_outside_production_logs_and_writes_nothing(state, env, caplog):
    assert extract(state.patterns, env=env) is None
    assert state.patterns.all() == []
    assert any(
        line["message"] == "learning disabled outside production: pattern not stored"
        and line.get("pattern_id") == "pat-fp1"
        and line.get("action") == "created"
        for line in logged(caplog)
    )


def test_extractor_in_production_stores_one_active_pattern(state):
    stored = extract(state.patterns)
    assert stored.pattern_id == pattern_id_for("fp1") == "pat-fp1"
    assert (stored.success_rate, stored.use_count, stored.status, stored.created_at) == (
        1.0,
        0,
        "active",
        NOW,
    )
    assert state.patterns.get("pat-fp1") == stored
    assert match_pattern(state.patterns, fingerprint()).pattern == stored


def test_extractor_skips_unmerged_prs(state):
    assert extract(state.patterns, merged=False) is None
    assert state.patterns.all() == []


def test_extractor_skips_fixes_adding_under_ten_characters(state):
    tiny = (FileEdit("src/popup.js", "a.b.c", "a?.b?.c"),)
    assert added_code_chars(tiny) == 2
    assert extract(state.patterns, edits=tiny) is None
    assert state.patterns.all() == []


def test_later_fix_replaces_edits_and_keeps_the_learned_numbers(state):
    extract(state.patterns)
    record_outcome(state.patterns, "pat-fp1", env="production", merged=False, tests_passed=False, now=NOW)
    learned = state.patterns.get("pat-fp1")
    new_fix = (FileEdit("src/popup.js", "render(x)", "if (x != null) { render(x); }"),)
    replaced = extract(state.patterns, edits=new_fix, now=NOW + timedelta(days=1))
    assert len(state.patterns.all()) == 1
    assert replaced.edits == new_fix
    assert (replaced.success_rate, replaced.use_count, replaced.created_at) == (
        learned.success_rate,
        learned.use_count,
        NOW,
    )


def test_extractor_updates_an_imported_active_pattern_instead_of_duplicating(state):
    state.patterns.put(pattern("imported-uuid", "fp1", 0.9, use_count=4))
    stored = extract(state.patterns)
    assert stored.pattern_id == "imported-uuid"
    assert [p.pattern_id for p in state.patterns.all()] == ["imported-uuid"]
    assert (stored.success_rate, stored.use_count) == (0.9, 4)


def test_extractor_leaves_a_retired_pattern_retired(state):
    state.patterns.put(pattern("pat-fp1", "fp1", 0.3, status="retired", use_count=12))
    assert extract(state.patterns) is None
    assert state.patterns.get("pat-fp1").status == "retired"


# --- learner --------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "test"])
def test_learner_outside_production_changes_nothing(state, env, caplog):
    state.patterns.put(pattern("p1", "fp1", 0.9))
    assert record_outcome(state.patterns, "p1", env=env, merged=True, tests_passed=False, now=NOW) is None
    assert state.patterns.get("p1") == pattern("p1", "fp1", 0.9)
    assert any(
        line.get("old_success_rate") == 0.9 and line.get("new_success_rate") == pytest.approx(0.81)
        for line in logged(caplog)
    )


def test_learner_ema_success_needs_merge_and_passing_tests(state):
    state.patterns.put(pattern("p1", "fp1", 0.5))
    results = []
    for merged, passed in ((True, True), (True, False), (False, True)):
        updated = record_outcome(
            state.patterns, "p1", env="production", merged=merged, tests_passed=passed, now=NOW
        )
        results.append(updated.success_rate)
    assert results == pytest.approx([0.55, 0.495, 0.4455])
    stored = state.patterns.get("p1")
    assert stored.use_count == 3
    assert stored.last_used_at == NOW
    assert stored.success_rate == pytest.approx(0.4455)


def test_retired_after_ten_uses_below_half_and_kept_in_table(state, caplog):
    state.patterns.put(pattern("p1", "fp1", 0.9))
    statuses = []
    for _ in range(10):
        updated = record_outcome(
            state.patterns, "p1", env="production", merged=False, tests_passed=False, now=NOW
        )
        statuses.append(updated.status)
    # 0.9 * 0.9^n drops below 0.5 at n = 6, but retirement waits for 10 uses
    assert statuses == ["active"] * 9 + ["retired"]
    stored = state.patterns.get("p1")
    assert stored.status == "retired" and stored.use_count == 10 and stored.success_rate < 0.5
    assert match_pattern(state.patterns, fingerprint()) is None
    assert [p.pattern_id for p in state.patterns.all()] == ["p1"]
    assert any(line["message"] == "pattern retired" for line in logged(caplog))


def test_not_retired_at_ten_uses_when_rate_is_high(state):
    state.patterns.put(pattern("p1", "fp1", 0.9, use_count=9))
    updated = record_outcome(state.patterns, "p1", env="production", merged=True, tests_passed=True, now=NOW)
    assert updated.status == "active" and updated.use_count == 10


def test_outcome_for_unknown_pattern_is_ignored(state):
    assert (
        record_outcome(state.patterns, "nope", env="production", merged=True, tests_passed=True, now=NOW)
        is None
    )


@given(start=st.floats(min_value=0.0, max_value=1.0), outcomes=st.lists(st.booleans(), max_size=200))
def test_ema_stays_between_zero_and_one_and_moves_toward_the_outcome(start, outcomes):
    rate = start
    for success in outcomes:
        new = updated_rate(rate, success)
        assert 0.0 <= new <= 1.0
        if success:
            assert new >= rate - 1e-6
        else:
            assert new <= rate + 1e-6
        rate = new


def test_pattern_round_trips_through_the_table(state):
    original = dataclasses.replace(
        pattern("p1", "fp1", 0.8125, use_count=3, repo="acme/ext", diff="@@ x"),
        created_at=NOW,
        last_used_at=NOW + timedelta(hours=1),
    )
    state.patterns.put(original)
    assert state.patterns.get("p1") == original
    assert state.patterns.active_for_fingerprint("fp1") == original
    assert state.patterns.active_for_type_and_file("TypeError", "src/popup.js") == [original]
