"""Tier choice from the error's complexity, privacy routing and the model settings file."""

from __future__ import annotations

import pytest

from homeostat_core.fixing.model_settings import (
    ModelSettings,
    ModelSettingsError,
    load_model_settings,
    parse_model_settings,
)
from homeostat_core.fixing.tiers import plan_route, score_complexity, tier_for_score
from tests.unit.fixing.fakes import error_report, frame, repo_config

SETTINGS = ModelSettings()


def _frames(spec: list[tuple[str, int]]):
    return tuple(frame(path, line) for path, line in spec)


# (case, frames, error type, breadcrumbs, expected tier)
TIER_CASES = [
    ("one frame one file TypeError", [("src/a.js", 10)], "TypeError", 0, 1),
    ("three frames one file", [("src/a.js", 10), ("src/a.js", 20), ("src/a.js", 30)], "TypeError", 0, 1),
    ("generic Error in one file", [("src/a.js", 10)], "Error", 0, 1),
    ("one file but busy breadcrumbs and generic Error", [("src/a.js", 10)], "Error", 12, 2),
    ("two files", [("src/a.js", 10), ("src/b.js", 5)], "TypeError", 0, 2),
    ("three files, few frames", [("src/a.js", 1), ("src/b.js", 2), ("src/c.js", 3)], "TypeError", 0, 2),
    ("environment error in one file", [("src/a.js", 1)], "QuotaExceededError", 0, 2),
    ("four files", [("src/a.js", 1), ("src/b.js", 2), ("src/c.js", 3), ("src/d.js", 4)], "TypeError", 0, 3),
    ("three files, many frames", [(f"src/{c}.js", i) for i, c in enumerate("aabbccc", 1)], "TypeError", 0, 3),
    ("no located frame", [], "TypeError", 0, 3),
]


@pytest.mark.parametrize(
    ("case", "frames", "error_type", "crumbs", "tier"), TIER_CASES, ids=[c[0] for c in TIER_CASES]
)
def test_starting_tier_follows_the_complexity_table(case, frames, error_type, crumbs, tier):
    # Given an error of the described shape
    error = error_report(
        _frames(frames), error_type=error_type, breadcrumbs=tuple(f"click {i}" for i in range(crumbs))
    )
    # When it is routed
    plan = plan_route(error, repo_config(), SETTINGS)
    # Then it starts at the expected tier and will climb to tier 3
    assert plan.start_tier == tier
    assert plan.tiers == tuple(range(tier, 4))


def test_frames_outside_the_app_do_not_count():
    inside = frame("src/a.js", 10)
    library = frame("node_modules/lib/index.js", 99, in_app=False)
    complexity = score_complexity(error_report((inside, library, library, library)))
    assert complexity.in_app_frames == 1
    assert complexity.distinct_files == 1
    assert complexity.stack_depth == 4


def test_thresholds_come_from_settings():
    strict = ModelSettings(tier1_max_score=0, tier2_max_score=0)
    assert tier_for_score(0, strict) == 1
    assert tier_for_score(1, strict) == 3
    assert tier_for_score(1, SETTINGS) == 1


@pytest.mark.parametrize(
    "path", ["src/auth/session.js", "src/login.js", "src/billing/stripe-client.js", "src/tokenStore.js"]
)
def test_sensitive_frame_starts_at_tier_3(path):
    error = error_report((frame(path, 3),))
    plan = plan_route(error, repo_config(), SETTINGS)
    assert plan.sensitive
    assert plan.start_tier == 3
    assert plan.sensitive_paths == (path,)


def test_sensitive_path_in_pattern_hint_starts_at_tier_3():
    error = error_report((frame("src/a.js", 3),))
    assert plan_route(error, repo_config(), SETTINGS).start_tier == 1
    assert plan_route(error, repo_config(), SETTINGS, ["src/auth/x.js"]).start_tier == 3


def test_sensitive_globs_come_from_repo_config():
    error = error_report((frame("src/auth/x.js", 3),))
    assert plan_route(error, repo_config(sensitive_paths=()), SETTINGS).start_tier == 1


def test_models_file_overrides_defaults(tmp_path):
    path = tmp_path / "models.yml"
    path.write_text(
        "version: 1\ncheap:\n  model: deepseek-reasoner\n  price: {output: 2.19}\nmax_prompt_tokens: 9000\n"
    )
    settings = load_model_settings(path, environ={})
    assert settings.cheap.model == "deepseek-reasoner"
    assert settings.cheap.price.output == 2.19
    assert settings.cheap.price.input == ModelSettings().cheap.price.input
    assert settings.cheap.base_url == "https://api.deepseek.com"
    assert settings.max_prompt_tokens == 9000
    assert settings.strong == ModelSettings().strong


def test_base_url_env_overrides_every_provider():
    settings = load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    assert settings.cheap.base_url == settings.strong.base_url == "http://127.0.0.1:9/v1"
    assert settings.cheap.api_key_env == "DEEPSEEK_API_KEY"
    assert settings.strong.api_key_env == "OPENAI_API_KEY"


def test_models_file_errors_name_file_key_and_reason(tmp_path):
    path = tmp_path / "models.yml"
    path.write_text("cheap:\n  modle: x\n  price: {input: -1}\ntries_per_tier: 0\ncolour: blue\n")
    with pytest.raises(ModelSettingsError) as caught:
        load_model_settings(path, environ={})
    problems = caught.value.problems
    assert f"{path}: cheap.modle: unknown key" in problems
    assert any(p.startswith(f"{path}: cheap.price.input: must be a number >= 0") for p in problems)
    assert any(p.startswith(f"{path}: tries_per_tier: must be a positive integer") for p in problems)
    assert f"{path}: colour: unknown key" in problems


def test_models_file_missing_or_broken(tmp_path):
    with pytest.raises(ModelSettingsError, match="not found"):
        load_model_settings(tmp_path / "nope.yml", environ={})
    broken = tmp_path / "broken.yml"
    broken.write_text("cheap: [unclosed\n")
    with pytest.raises(ModelSettingsError, match=r"line \d+, column \d+: invalid YAML"):
        load_model_settings(broken, environ={})


def test_tier_thresholds_must_be_ordered():
    with pytest.raises(ModelSettingsError, match="tier1_max_score"):
        parse_model_settings({"tier1_max_score": 9, "tier2_max_score": 3})
