"""attempt_fix and apply_pattern over an in-memory forge and a fake ChatModel."""

from __future__ import annotations

import json

import pytest

from homeostat_core.fixing.engine import apply_pattern, attempt_fix, cost_of, max_attempt_cost_usd
from homeostat_core.fixing.model_settings import ModelSettings, Price
from homeostat_core.models import FileEdit, FixFailure, Pattern, PatternMatch, ProposedFix, TokenUsage
from homeostat_core.ports import LlmError
from tests.unit.fixing.fakes import (
    POPUP_JS,
    FakeChatModel,
    MemoryForge,
    error_report,
    fingerprint,
    frame,
    repo_config,
)

SETTINGS = ModelSettings()
CHEAP, STRONG = SETTINGS.cheap.model, SETTINGS.strong.model
GOOD = json.dumps(
    {
        "summary": "Treat a missing list as empty.",
        "edits": [
            {
                "path": "src/popup.js",
                "search": "for (const item of list.items) {",
                "replace": "for (const item of list?.items ?? []) {",
            }
        ],
    }
)
NOT_FOUND = json.dumps(
    {"summary": "x", "edits": [{"path": "src/popup.js", "search": "nope", "replace": "x"}]}
)


def run(answer, *, error=None, files=None, settings=SETTINGS, **kwargs):
    llm = FakeChatModel(answer)
    forge = MemoryForge(files or {"src/popup.js": POPUP_JS, "src/auth/session.js": POPUP_JS})
    error = error or error_report((frame("src/popup.js", 5),))
    result = attempt_fix(error, fingerprint(), repo_config(), forge, llm, model_settings=settings, **kwargs)
    return result, llm


def test_cost_of_prices_uncached_cached_and_output():
    price = Price(input=1.0, cached_input=0.1, output=10.0)
    assert cost_of(TokenUsage(prompt=1_000_000, completion=0, cached=0), price) == pytest.approx(1.0)
    assert cost_of(TokenUsage(prompt=1_000_000, completion=0, cached=400_000), price) == pytest.approx(0.64)
    assert cost_of(TokenUsage(prompt=0, completion=500_000), price) == pytest.approx(5.0)


def test_tier1_success_records_model_cost_and_diff():
    result, llm = run(lambda model, messages: GOOD)
    assert isinstance(result, ProposedFix)
    assert (result.source, result.tier, result.model) == ("ai", 1, CHEAP)
    assert [c["model"] for c in llm.calls] == [CHEAP]
    assert llm.calls[0]["key"] == "DEEPSEEK_API_KEY"
    assert result.usage == llm.usage
    assert result.cost_usd == pytest.approx(cost_of(llm.usage, SETTINGS.cheap.price))
    assert "+  for (const item of list?.items ?? []) {" in result.diff
    assert result.changes[0].content == POPUP_JS.replace("of list.items", "of list?.items ?? []")


def test_escalates_through_tiers_and_sums_cost():
    # cheap model always misses; the strong model's review corrects it on tier 2
    result, llm = run(lambda model, messages: NOT_FOUND if model == CHEAP else GOOD)
    assert isinstance(result, ProposedFix)
    assert result.tier == 2
    assert result.model == f"{CHEAP}+{STRONG}"
    assert [c["model"] for c in llm.calls] == [CHEAP, CHEAP, CHEAP, STRONG]
    review = llm.calls[-1]["messages"][1]["content"]
    assert "edit_not_found" in review and "<<<DATA draft" in review
    expected = 3 * cost_of(llm.usage, SETTINGS.cheap.price) + cost_of(llm.usage, SETTINGS.strong.price)
    assert result.cost_usd == pytest.approx(expected)
    assert result.usage == TokenUsage(4000, 800, 400)


def test_second_try_is_told_why_the_first_failed():
    answers = iter(["not json at all", GOOD])
    result, llm = run(lambda model, messages: next(answers))
    assert isinstance(result, ProposedFix) and result.tier == 1
    second = llm.calls[1]["messages"][1]["content"]
    assert "parse_error: the reply must be a JSON object" in second
    assert "previous_failure" not in llm.calls[0]["messages"][1]["content"]


def test_all_tiers_fail_gives_last_reason_and_total_cost():
    result, llm = run(lambda model, messages: NOT_FOUND)
    assert isinstance(result, FixFailure)
    assert result.reason == "edit_not_found"
    assert result.tier == 3
    # tier 1: 2 calls, tier 2: 2 × (writer + reviewer), tier 3: 2 calls
    assert [c["model"] for c in llm.calls] == [CHEAP, CHEAP, CHEAP, STRONG, CHEAP, STRONG, STRONG, STRONG]
    assert "tier 3 try 2: edit_not_found" in result.detail
    assert result.cost_usd == pytest.approx(
        4 * cost_of(llm.usage, SETTINGS.cheap.price) + 4 * cost_of(llm.usage, SETTINGS.strong.price)
    )
    assert result.cost_usd <= max_attempt_cost_usd(SETTINGS)


def test_sensitive_frame_never_reaches_the_cheap_model():
    error = error_report((frame("src/auth/session.js", 5),))
    result, llm = run(lambda model, messages: NOT_FOUND, error=error)
    assert isinstance(result, FixFailure)
    assert {c["model"] for c in llm.calls} == {STRONG}
    assert len(llm.calls) == 2


def test_cheap_edit_touching_a_sensitive_file_moves_to_the_strong_model():
    sensitive = json.dumps(
        {
            "summary": "x",
            "edits": [
                {"path": "src/auth/session.js", "search": "let total = 0;", "replace": "let total = 1;"}
            ],
        }
    )
    result, llm = run(lambda model, messages: sensitive if model == CHEAP else GOOD)
    assert isinstance(result, ProposedFix)
    assert result.tier == 3
    assert [c["model"] for c in llm.calls] == [CHEAP, STRONG]
    assert "sensitive_path" in llm.calls[1]["messages"][1]["content"]
    # and the PR body's reviewer is told why the strong model made it
    assert result.route == "the cheaper model's edits touched sensitive files: strong model only"


def test_a_fix_says_why_its_tier_and_what_the_model_was_shown():
    result, _ = run(lambda model, messages: GOOD)
    assert isinstance(result, ProposedFix)
    assert result.route.startswith("complexity score ") and result.route.endswith(f"tier {result.tier} first")
    assert result.windows and all(":" in window for window in result.windows)


def test_missing_cheap_key_skips_to_the_strong_model():
    def answer(model, messages):
        return LlmError("auth", "no API key in DEEPSEEK_API_KEY") if model == CHEAP else GOOD

    result, llm = run(answer)
    assert isinstance(result, ProposedFix) and result.tier == 3
    assert [c["model"] for c in llm.calls] == [CHEAP, STRONG]
    assert result.cost_usd == pytest.approx(cost_of(llm.usage, SETTINGS.strong.price))


def test_timeouts_are_failed_tries_with_their_kind():
    result, llm = run(lambda model, messages: LlmError("timeout", "slow"))
    assert isinstance(result, FixFailure)
    assert result.reason == "llm_timeout"
    assert result.cost_usd == 0.0


def test_no_source_fails_without_calling_a_model():
    error = error_report((frame("lib/outside.js", 5),))
    result, llm = run(lambda model, messages: GOOD, error=error)
    assert isinstance(result, FixFailure) and result.reason == "no_source"
    assert llm.calls == []


def test_prompt_too_large_stops_without_calling_a_model():
    result, llm = run(lambda model, messages: GOOD, settings=ModelSettings(max_prompt_tokens=100))
    assert isinstance(result, FixFailure) and result.reason == "prompt_too_large"
    assert llm.calls == []


def test_model_declining_is_recorded():
    result, _ = run(lambda model, messages: '{"summary": "needs the settings module", "edits": []}')
    assert isinstance(result, FixFailure)
    assert result.reason == "model_declined"


def test_tries_per_tier_comes_from_settings():
    _, llm = run(lambda model, messages: NOT_FOUND, settings=ModelSettings(tries_per_tier=1))
    assert [c["model"] for c in llm.calls] == [CHEAP, CHEAP, STRONG, STRONG]


def test_max_attempt_cost_bounds_the_worst_case():
    worst = TokenUsage(prompt=SETTINGS.max_prompt_tokens, completion=SETTINGS.cheap.max_output_tokens)
    strong_worst = TokenUsage(
        prompt=SETTINGS.max_prompt_tokens + SETTINGS.cheap.max_output_tokens,
        completion=SETTINGS.strong.max_output_tokens,
    )
    floor = 4 * cost_of(worst, SETTINGS.cheap.price) + 4 * cost_of(strong_worst, SETTINGS.strong.price)
    assert max_attempt_cost_usd(SETTINGS) >= floor
    assert max_attempt_cost_usd(ModelSettings(tries_per_tier=1)) == pytest.approx(
        max_attempt_cost_usd(SETTINGS) / 2
    )


def _match(*edits: FileEdit) -> PatternMatch:
    pattern = Pattern(
        pattern_id="pat-7", fingerprint_id="fp", error_type="TypeError", file_path="src/popup.js", edits=edits
    )
    return PatternMatch(pattern=pattern, confidence=0.9, strategy="exact")


def test_apply_pattern_validates_against_the_current_file():
    forge = MemoryForge({"src/popup.js": POPUP_JS})
    fix = apply_pattern(
        _match(FileEdit("src/popup.js", "list.items", "(list?.items ?? [])")), repo_config(), forge
    )
    assert isinstance(fix, ProposedFix)
    assert (fix.source, fix.cost_usd, fix.pattern_id, fix.confidence, fix.pattern_strategy) == (
        "pattern",
        0.0,
        "pat-7",
        0.9,
        "exact",
    )
    assert fix.lines_changed == 2


def test_apply_pattern_rejects_a_stale_or_forbidden_pattern():
    forge = MemoryForge({"src/popup.js": POPUP_JS.replace("list.items", "list.entries")})
    stale = apply_pattern(
        _match(FileEdit("src/popup.js", "list.items", "(list?.items ?? [])")), repo_config(), forge
    )
    assert isinstance(stale, FixFailure) and stale.reason == "edit_not_found"
    forbidden = apply_pattern(_match(FileEdit(".github/workflows/ci.yml", "a", "b")), repo_config(), forge)
    assert isinstance(forbidden, FixFailure) and forbidden.reason == "forbidden_path"
