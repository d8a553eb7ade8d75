"""New patterns start on probation (issue 20, item 7): learned from one merge, a pattern is a hint
for the model; it is applied at $0 only once verified in production or merged twice, and in
another repository only once verified, within share_patterns. Counts are in docs/SECURITY.md."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from homeostat_core.adapters.memory_state import MemoryPatternStore
from homeostat_core.config import default_config_path, load_config
from homeostat_core.models import ErrorFingerprint, FileEdit
from homeostat_core.patterns.extractor import extract_pattern
from homeostat_core.patterns.learner import record_production
from homeostat_core.patterns.matcher import hint_reason, match_pattern, on_probation, should_auto_apply
from tests.reliability.harness import EXAMPLES, logger_issue
from tests.unit.lifecycle.test_lifecycle_outcomes import merged_fix

NOW = datetime(2026, 11, 1, tzinfo=UTC)
FP = ErrorFingerprint("fp1", "TypeError", "src/lib/storage.js", "load@src/lib/storage.js", "m", "sig")
EDITS = (
    FileEdit(
        "src/lib/storage.js", "return JSON.parse(raw);", "return raw === undefined ? [] : JSON.parse(raw);"
    ),
)


def learn(store, repo: str = "acme/notes", env: str = "production"):
    return extract_pattern(
        store,
        env=env,
        merged=True,
        fingerprint_id=FP.id,
        error_type=FP.error_type,
        file_path=FP.file_path,
        edits=EDITS,
        diff="",
        repo=repo,
        now=NOW,
    )


# Where a pattern learned in acme/notes may be used: (repo, share_patterns)
PLACES = [
    ("acme/notes", "owner"),
    ("acme/notes", "none"),
    ("acme/palette", "owner"),
    ("acme/palette", "all"),
    ("stranger/ext", "all"),
    ("stranger/ext", "owner"),
    ("acme/palette", "none"),
]


@pytest.mark.parametrize("repo,share", PLACES)
def test_a_pattern_learned_from_one_merge_is_never_applied_at_zero_cost(repo, share):
    store = MemoryPatternStore()
    pattern = learn(store)
    assert pattern.merges == 1 and on_probation(pattern) and pattern.success_rate == 1.0
    match = match_pattern(store, FP, repo=repo, share=share)
    assert not should_auto_apply(match)
    if match is not None:  # still shown to the model wherever it is shared
        assert "probation" in hint_reason(match, repo)


@pytest.mark.parametrize(
    "repo,share,applied",
    [(r, s, r == "acme/notes") for r, s in PLACES],  # a second merge proves it where it was learned only
)
def test_a_second_merged_fix_ends_probation_in_its_repository_only(repo, share, applied):
    store = MemoryPatternStore()
    learn(store)
    assert learn(store).merges == 2
    match = match_pattern(store, FP, repo=repo, share=share)
    assert should_auto_apply(match) is applied
    if match is not None and not applied and share != "none":
        assert hint_reason(match, repo) == "learned in acme/notes, not yet verified in production"


@pytest.mark.parametrize(
    "repo,share,applied",
    [
        ("acme/notes", "owner", True),
        ("acme/notes", "none", True),
        ("acme/palette", "owner", True),
        ("acme/palette", "all", True),
        ("stranger/ext", "all", True),
        ("stranger/ext", "owner", False),  # verified, but share_patterns still decides
        ("acme/palette", "none", False),
    ],
)
def test_a_verified_pattern_is_applied_wherever_share_patterns_allows(repo, share, applied):
    store = MemoryPatternStore()
    learn(store)
    record_production(store, "pat-fp1", env="production", held=True, now=NOW + timedelta(days=20))
    assert should_auto_apply(match_pattern(store, FP, repo=repo, share=share)) is applied


def test_verification_is_learning_production_only_and_a_regression_puts_it_back_on_probation():
    store = MemoryPatternStore()
    learn(store)
    assert record_production(store, "pat-fp1", env="dev", held=True, now=NOW) is None
    assert store.get("pat-fp1").verified_at is None
    record_production(store, "pat-fp1", env="production", held=True, now=NOW)
    assert not on_probation(store.get("pat-fp1"))
    record_production(store, "pat-fp1", env="production", held=False, now=NOW)
    assert on_probation(store.get("pat-fp1"))
    assert not should_auto_apply(match_pattern(store, FP, repo="acme/notes"))


def palette_kit(w):
    """palette-kit (same owner, the same src/lib/storage.js) in the world's forge."""
    repo = dataclasses.replace(
        load_config(default_config_path()).repo("littlebearapps/palette-kit"), daily_budget_usd=50.0
    )
    w.forge.seed_repo(repo, EXAMPLES / "repos" / "palette-kit")
    issue = logger_issue(product="PaletteKit")
    w.forge.add_issue(repo, issue["title"], issue["body"], issue["labels"], issue["author"])
    return repo


def run_in(w, repo):
    original = w.repo
    w.repo = repo
    try:
        return w.run()
    finally:
        w.repo = original


def test_one_merge_in_one_repository_is_a_hint_in_another_end_to_end(tmp_path):
    # Given notebridge's fix merged once (production): a pattern on probation
    w, _, _ = merged_fix(tmp_path)
    (pattern,) = w.state.patterns.all()
    assert on_probation(pattern)
    calls = len(w.model.calls)
    # When palette-kit (same owner, same file) meets the same error
    record = run_in(w, palette_kit(w))
    # Then the model is asked, shown the pattern as a hint; nothing is applied at $0
    (outcome,) = record.outcomes
    assert outcome["result"] == "pr_created" and outcome["source"] == "ai" and outcome["costUsd"] > 0
    assert outcome["patternHint"] == pattern.pattern_id and "probation" in outcome["hintWhy"]
    assert record.pattern_hits == 0 and len(w.model.calls) == calls + 1
    prompt = "\n".join(m["content"] for m in w.model.calls[-1]["messages"])
    assert pattern.edits[0].replace.strip().splitlines()[0] in prompt


def test_once_verified_in_production_the_pattern_fixes_the_other_repository_at_zero_cost(tmp_path):
    # Given notebridge's fix merged, released in 1.3.0 and not reported from it for 14 days
    w, _, _ = merged_fix(tmp_path, verify_after_days=14)
    w.forge.release(w.repo, "1.3.0")
    w.run()
    w.later(24 * 15)
    w.run()
    assert w.stage() == "verified" and not on_probation(w.state.patterns.all()[0])
    calls = len(w.model.calls)
    # When palette-kit meets the same error: the pattern is applied at $0, no model call
    record = run_in(w, palette_kit(w))
    (outcome,) = record.outcomes
    assert (outcome["result"], outcome["source"], outcome["costUsd"]) == ("pr_created", "pattern", 0)
    assert len(w.model.calls) == calls and record.pattern_hits == 1
