"""The repository keys table: one row per RepoConfig field, defaults from one place, every key's
bad value reported with the file and the key."""

from __future__ import annotations

from dataclasses import MISSING, fields

import pytest

from homeostat_core.config import (
    REPO_KEYS,
    ConfigError,
    RepoConfig,
    parse_config,
    repo_from_json,
)

MINIMAL = {
    "slug": "acme/notes",
    "branch": "main",
    "max_prs_per_run": 2,
    "labels": ["homeostat-fix"],
    "path_filters": {"include": ["src/"]},
}


def _parse(repo: dict) -> RepoConfig:
    return parse_config({"version": 1, "repositories": [repo]}, "repos.yml").repositories[0]


def test_every_repo_config_field_is_a_key_and_every_key_a_field():
    assert [spec.name for spec in REPO_KEYS] == [f.name for f in fields(RepoConfig)]


def test_required_keys_are_the_fields_without_a_default():
    required = {spec.name for spec in REPO_KEYS if spec.required}
    assert required == {f.name for f in fields(RepoConfig) if f.default is MISSING}
    assert required == set(MINIMAL)


@pytest.mark.parametrize("spec", [s for s in REPO_KEYS if not s.required], ids=lambda s: s.name)
def test_an_omitted_key_takes_the_field_default(spec):
    assert getattr(_parse(MINIMAL), spec.name) == spec.default


@pytest.mark.parametrize("spec", [s for s in REPO_KEYS if not s.required], ids=lambda s: s.name)
def test_every_default_is_a_value_its_own_reader_accepts(spec):
    # Given the default spelled as YAML would (a list, not a tuple)
    value = list(spec.default) if isinstance(spec.default, tuple) else spec.default
    # When a repository sets the key to it explicitly, Then it loads and means the same
    assert getattr(_parse({**MINIMAL, spec.name: value}), spec.name) == spec.default


@pytest.mark.parametrize("spec", REPO_KEYS, ids=lambda s: s.name)
@pytest.mark.parametrize("bad", [{"nested": [1]}, [[]], "", -3, -1.5], ids=repr)
def test_a_bad_value_names_the_file_the_key_and_the_reason(spec, bad):
    with pytest.raises(ConfigError) as caught:
        _parse({**MINIMAL, spec.name: bad})
    for problem in caught.value.problems:
        where, _, reason = problem.partition(": ")[2].partition(": ")
        assert problem.startswith("repos.yml: ") and where.startswith(f"repositories[0].{spec.name}")
        assert reason.startswith("must ") or reason in ("unknown key", "required key is missing"), problem


def test_every_key_set_to_a_non_default_value_survives_the_queue_message():
    repo = _parse(
        {
            **MINIMAL,
            "path_filters": {"include": ["src/", "lib/"], "exclude": ["src/vendor/"]},
            "trigger_label": "bug",
            "allowed_authors": ["logger-bot"],
            "opt_out_label": "hands-off",
            "daily_budget_usd": 2.5,
            "sensitive_paths": ["**/vault/**"],
            "max_files_changed": 4,
            "max_lines_changed": 120,
            "max_open_prs": 2,
            "max_prs_per_day": 3,
            "max_issue_comments_per_run": 5,
            "reviewers": ["octocat"],
            "ready_after_hours": 0,
            "share_patterns": "none",
            "version_file": "src/manifest.json",
            "close_fixed_pending_release": False,
            "verify_after_days": 30,
            "fix_file_types": [".js", "manifest.json"],
            "installation_id": 51234567,
            "source_roots": {"chrome": ["platform/chromium"], "all": ["src"]},
            "path_map": {"js/": "src/scripts/"},
            "vendor_paths": ["src/lib/openpgp.js"],
            "ci_ignore": ["codecov/*"],
            "ci_start_grace_minutes": 30,
            "wake_debounce_seconds": 30,
            "min_minutes_between_runs": 20,
        }
    )
    changed = {
        spec.name for spec in REPO_KEYS if not spec.required and getattr(repo, spec.name) != spec.default
    }
    assert changed == {spec.name for spec in REPO_KEYS if not spec.required}
    assert repo_from_json(repo.to_json()) == repo
