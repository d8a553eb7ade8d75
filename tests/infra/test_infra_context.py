"""CDK context → deployment settings: HOMEOSTAT_ENV is dev by default, production on request, nothing else."""

from __future__ import annotations

import pytest

from infra.app import SKIP_BUNDLING, build_app
from infra.context import DeploymentContextError, parse_env, settings_from_context

pytestmark = pytest.mark.xdist_group("infra")

REPOS_YML = """\
version: 1
repositories:
  - slug: acme/one
    branch: main
    max_prs_per_run: 1
    labels: [fix]
    path_filters: {include: [src/]}
    daily_budget_usd: 0.25
  - slug: acme/two
    branch: main
    max_prs_per_run: 1
    labels: [fix]
    path_filters: {include: [src/]}
    daily_budget_usd: 2
"""


def _context(**values):
    return values.get


def test_env_defaults_to_dev_and_accepts_the_three_environments():
    assert parse_env(None) == "dev"
    assert [parse_env(v) for v in ("dev", "test", "production")] == ["dev", "test", "production"]


@pytest.mark.parametrize("value", ["staging", "prod", "Production", "", 1])
def test_any_other_env_fails_with_the_allowed_values(value):
    with pytest.raises(DeploymentContextError, match=r"use -c env=<dev\|test\|production>"):
        parse_env(value)


def test_a_bad_env_stops_the_app_before_any_construct_is_built():
    with pytest.raises(DeploymentContextError, match="'staging' is not allowed"):
        build_app({"env": "staging", **SKIP_BUNDLING})


def test_settings_read_repos_and_sum_their_daily_budgets(tmp_path):
    repos = tmp_path / "repos.yml"
    repos.write_text(REPOS_YML)
    settings = settings_from_context(_context(env="test"), repos_file=repos)
    assert settings.env == "test"
    assert settings.repo_slugs == ("acme/one", "acme/two")
    assert settings.total_daily_budget_usd == pytest.approx(2.25)
    assert settings.stack_name == "homeostat-test"
    assert settings.max_worker_concurrency == 10


@pytest.mark.parametrize(("value", "expected"), [("2", 2), (25, 25), ("1000", 1000)])
def test_max_worker_concurrency_comes_from_context(tmp_path, value, expected):
    repos = tmp_path / "repos.yml"
    repos.write_text(REPOS_YML)
    settings = settings_from_context(_context(maxWorkerConcurrency=value), repos_file=repos)
    assert settings.max_worker_concurrency == expected


@pytest.mark.parametrize("value", [1, 0, "1001", "ten", True, "2.5"])
def test_max_worker_concurrency_outside_the_event_source_limits_is_refused(tmp_path, value):
    # SQS event sources accept a maximum concurrency of 2..1000; 1 is the tempting mistake.
    repos = tmp_path / "repos.yml"
    repos.write_text(REPOS_YML)
    with pytest.raises(DeploymentContextError, match=r"maxWorkerConcurrency=.* from 2 to 1000"):
        settings_from_context(_context(maxWorkerConcurrency=value), repos_file=repos)


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("0", 0), (10, 10), ("100", 100)])
def test_top_n_repositories_comes_from_context_and_defaults_to_none(tmp_path, value, expected):
    repos = tmp_path / "repos.yml"
    repos.write_text(REPOS_YML)
    assert (
        settings_from_context(_context(repoMetricsTopN=value), repos_file=repos).repo_metrics_top_n
        == expected
    )


@pytest.mark.parametrize("value", [-1, "101", "4294967297", "ten", True, "2.5"])
def test_top_n_repositories_outside_0_to_100_is_refused(tmp_path, value):
    repos = tmp_path / "repos.yml"
    repos.write_text(REPOS_YML)
    with pytest.raises(DeploymentContextError, match=r"repoMetricsTopN=.* from 0 to 100"):
        settings_from_context(_context(repoMetricsTopN=value), repos_file=repos)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, False), ("false", False), ("true", True), (True, True)]
)
def test_skip_bundling_flag(tmp_path, value, expected):
    repos = tmp_path / "repos.yml"
    repos.write_text(REPOS_YML)
    assert settings_from_context(_context(skipBundling=value), repos_file=repos).skip_bundling is expected


@pytest.mark.parametrize(("key", "value"), [("skipBundling", "yes"), ("alarmEmail", "not-an-address")])
def test_malformed_flags_are_refused(tmp_path, key, value):
    repos = tmp_path / "repos.yml"
    repos.write_text(REPOS_YML)
    with pytest.raises(DeploymentContextError, match=key):
        settings_from_context(_context(**{key: value}), repos_file=repos)


def test_skip_bundling_turns_bundling_off_for_the_stack_only():
    app, stack = build_app(SKIP_BUNDLING)
    assert stack.bundling_required is False
