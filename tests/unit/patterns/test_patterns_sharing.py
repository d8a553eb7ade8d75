"""Patterns across repositories: auto-applied at $0 only where repos.yml shares them (a pattern
verified in production; probation is tests/unit/patterns/test_patterns_probation.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from homeostat_core.adapters.memory_state import MemoryPatternStore
from homeostat_core.models import ErrorFingerprint, FileEdit, Pattern
from homeostat_core.patterns.matcher import match_pattern, should_auto_apply

FP = ErrorFingerprint("fp1", "TypeError", "src/lib/storage.js", "load@src/lib/storage.js", "m", "sig")


def library(learned_in: str) -> MemoryPatternStore:
    store = MemoryPatternStore()
    store.put(
        Pattern(
            pattern_id="pat-fp1",
            fingerprint_id="fp1",
            error_type="TypeError",
            file_path="src/lib/storage.js",
            edits=(FileEdit("src/lib/storage.js", "a", "b"),),
            success_rate=1.0,
            created_at=datetime(2026, 11, 1, tzinfo=UTC),
            repo=learned_in,
            verified_at=datetime(2026, 11, 20, tzinfo=UTC),
        )
    )
    return store


@pytest.mark.parametrize(
    "repo,share,applied,offered",
    [
        ("acme/notes", "owner", True, True),  # the repository it was learned in
        ("acme/palette", "owner", True, True),  # same owner: default sharing
        ("stranger/ext", "owner", False, True),  # another owner: an example for the model only
        ("stranger/ext", "all", True, True),
        ("acme/palette", "none", False, False),  # not shared at all
        ("acme/notes", "none", True, True),  # its own repository always
    ],
)
def test_a_pattern_is_applied_at_zero_cost_only_where_it_is_shared(repo, share, applied, offered):
    # Given a perfect pattern learned in acme/notes
    store = library("acme/notes")
    # When another repository meets the same fingerprint
    match = match_pattern(store, FP, repo=repo, share=share)
    # Then it is applied, offered as an example, or not used, as share_patterns says
    assert (match is not None) is offered
    assert should_auto_apply(match) is applied


def test_owner_comparison_ignores_case_and_never_matches_a_prefix():
    store = library("Acme/notes")
    assert should_auto_apply(match_pattern(store, FP, repo="acme/palette", share="owner"))
    assert not should_auto_apply(match_pattern(store, FP, repo="acme-evil/palette", share="owner"))
