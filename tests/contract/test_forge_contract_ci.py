"""The CI verdict as GitHub defines it, on both forges (and GitHub's required checks and check
suites on the GitHub adapter, through the fake's real response shapes)."""

from __future__ import annotations

import dataclasses

import pytest

from homeostat_core.models import FileChange
from tests.contract.conftest import SLUG, Harness

FID = "c1c1c1c1c1c1"


def _pr(h: Harness, repo=None):
    pr, _ = h.forge.upsert_pr(repo or h.repo, FID, [FileChange("src/app.js", "fixed\n")], "fix", "body")
    return pr


# --- both forges -------------------------------------------------------------------------------


@pytest.mark.parametrize("conclusion", ["failure", "timed_out", "cancelled", "startup_failure"])
def test_a_failing_conclusion_fails(forge_harness: Harness, conclusion):
    h = forge_harness
    pr = _pr(h)
    h.add_check(pr.head_sha, "build", "success", "ok")
    h.add_check(pr.head_sha, "tests", conclusion, "3 tests failed")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert result.state == "failure"
    assert "tests: 3 tests failed" in result.summary


@pytest.mark.parametrize("conclusion", ["stale", "action_required"])
def test_stale_and_action_required_wait_for_a_person_and_never_pass(forge_harness: Harness, conclusion):
    h = forge_harness
    pr = _pr(h)
    h.add_check(pr.head_sha, "build", "success", "ok")
    h.add_check(pr.head_sha, "deploy-approval", conclusion, "")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert result.state == "pending"
    assert "deploy-approval" in result.summary and conclusion.replace("_", " ") in result.summary


@pytest.mark.parametrize("conclusion", ["success", "neutral", "skipped"])
def test_success_neutral_and_skipped_pass(forge_harness: Harness, conclusion):
    h = forge_harness
    pr = _pr(h)
    h.add_check(pr.head_sha, "lint", conclusion, "")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert (result.state, result.checks) == ("success", 1)
    assert "lint" in result.summary


def test_ci_ignore_names_optional_checks_by_name_or_glob(forge_harness: Harness):
    h = forge_harness
    repo = dataclasses.replace(h.repo, ci_ignore=("codecov/*", "Lighthouse"))
    pr = _pr(h, repo)
    h.add_check(pr.head_sha, "tests", "success", "ok")
    h.add_check(pr.head_sha, "codecov/patch", "failure", "coverage dropped 0.3%")
    h.add_check(pr.head_sha, "lighthouse", "failure", "score 71")  # names match without case
    assert h.forge.get_check_results(repo, pr.head_sha).state == "success"
    # Without the list, either failure decides
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "failure"


def test_an_ignored_check_alone_leaves_no_ci(forge_harness: Harness):
    h = forge_harness
    repo = dataclasses.replace(h.repo, ci_ignore=("codecov/*",))
    pr = _pr(h, repo)
    h.add_check(pr.head_sha, "codecov/patch", "failure", "coverage dropped")
    assert h.forge.get_check_results(repo, pr.head_sha).state == "none"


# --- GitHub: check suites, required checks, conditional reads ---------------------------------


def test_queued_suites_without_runs_keep_the_verdict_pending_until_the_grace(github_harness: Harness):
    # Given one passing run while three of the commit's suites are still queued with no run
    h, fake = github_harness, github_harness.fake
    pr = _pr(h)
    fake.add_check_run(SLUG, pr.head_sha, "lint", "completed", "success", "ok")
    for app in ("circleci-checks", "codecov", "dependabot"):
        fake.add_check_suite(SLUG, pr.head_sha, app, created_s_ago=60)
    # Then CI has not finished starting: pending, naming the apps, not ready
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert result.state == "pending"
    assert "Codecov (has not started yet)" in result.summary
    # When the grace has passed (some apps' suites stay queued for ever), they are ignored
    late = dataclasses.replace(h.repo, ci_start_grace_minutes=0.5)
    assert h.forge.get_check_results(late, pr.head_sha).state == "success"


def test_a_suite_in_progress_with_only_passed_runs_is_pending(github_harness: Harness):
    # Given a workflow whose first job passed and whose later jobs have no run yet
    h, fake = github_harness, github_harness.fake
    pr = _pr(h)
    fake.add_check_run(SLUG, pr.head_sha, "build", "completed", "success", "ok")
    fake.add_check_suite(SLUG, pr.head_sha, "github-actions", status="in_progress")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert (result.state, result.summary) == ("pending", "pending: GitHub Actions (more checks to come)")


def test_ci_not_started_at_all_is_none_for_the_pipeline_to_time(github_harness: Harness):
    h = github_harness
    pr = _pr(h)
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "none"


@pytest.mark.parametrize("source", ["protection", "ruleset"])
def test_required_checks_decide_alone(github_harness: Harness, source):
    h, fake = github_harness, github_harness.fake
    required = ["tests", ("build", 15368)]  # build: from GitHub Actions only
    if source == "protection":
        fake.protect_branch(SLUG, "main", required)
    else:
        fake.add_required_checks_rule(SLUG, "ma*", required)
    pr = _pr(h)
    # A failing optional check and a queued optional suite change nothing; a missing required
    # check is pending
    fake.add_check_run(SLUG, pr.head_sha, "tests", "completed", "success", "ok")
    fake.add_check_run(SLUG, pr.head_sha, "codecov/patch", "completed", "failure", "coverage dropped")
    fake.add_check_suite(SLUG, pr.head_sha, "dependabot", created_s_ago=10)
    fake.add_check_run(SLUG, pr.head_sha, "build", "completed", "success", "ok", app="circleci")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert result.state == "pending"  # build from another app does not count
    assert "build (required, not reported yet)" in result.summary
    # When the required build passes: success, the optional failure named
    fake.add_check_run(SLUG, pr.head_sha, "build", "completed", "success", "ok")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert result.state == "success"
    assert result.summary == (
        "2 required checks passed: tests, build; optional checks failing (not required): codecov/patch"
    )
    # When a required check fails (a re-run replaces the earlier run): failure, naming it
    fake.add_check_run(SLUG, pr.head_sha, "tests", "completed", "failure", "2 failed")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert (result.state, result.summary) == ("failure", "failing: tests: 2 failed")


def test_a_required_commit_status_counts_like_a_check_run(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    fake.protect_branch(SLUG, "main", ["ci/jenkins"])
    pr = _pr(h)
    fake.set_status(SLUG, pr.head_sha, "pending", "ci/jenkins", "running")
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "pending"
    fake.set_status(SLUG, pr.head_sha, "error", "ci/jenkins", "agent lost")
    result = h.forge.get_check_results(h.repo, pr.head_sha)
    assert (result.state, result.summary) == ("failure", "failing: ci/jenkins: agent lost")


def test_unchanged_checks_are_read_again_for_free(github_harness: Harness):
    h, fake = github_harness, github_harness.fake
    pr = _pr(h)
    fake.add_check_run(SLUG, pr.head_sha, "tests", "in_progress", None)
    h.forge.list_trigger_issues(h.repo)  # a new run: its memo of the base branch is dropped
    h.forge.get_check_results(h.repo, pr.head_sha)
    fake.reset_calls()
    h.forge.list_trigger_issues(h.repo)
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "pending"
    # every read was conditional and nothing changed: GitHub charged none of them
    assert {c.status for c in fake.calls} == {304}
    # a change is seen at once
    fake.add_check_run(SLUG, pr.head_sha, "tests", "completed", "success", "ok")
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "success"


# Keys of a check suite in GitHub's answer (PyGithub's recorded exchange CheckSuite.setUp, and
# GitHub's REST reference for "List check suites for a Git reference").
CHECK_SUITE_KEYS = {
    "id", "node_id", "head_branch", "head_sha", "status", "conclusion", "url", "before", "after",
    "pull_requests", "app", "created_at", "updated_at", "latest_check_runs_count", "check_runs_url",
    "head_commit", "repository",
}  # fmt: skip
RULE_KEYS = {"type", "ruleset_source_type", "ruleset_source", "ruleset_id", "parameters"}


def test_the_fake_answers_suites_rules_and_protection_in_githubs_shapes(github_harness: Harness):
    import requests

    h, fake = github_harness, github_harness.fake
    fake.protect_branch(SLUG, "main", [("tests", 15368)])
    fake.add_required_checks_rule(SLUG, "main", ["e2e"])
    pr = _pr(h)
    fake.add_check_run(SLUG, pr.head_sha, "tests", "completed", "success", "ok")
    auth = {"Authorization": f"token {h.forge._t.requester.auth.token}"}
    base = f"{fake.base_url}/repos/{SLUG}"
    suites = requests.get(f"{base}/commits/{pr.head_sha}/check-suites", headers=auth, timeout=5).json()
    assert suites["total_count"] == 1
    [suite] = suites["check_suites"]
    assert set(suite) >= CHECK_SUITE_KEYS
    assert (suite["status"], suite["conclusion"], suite["latest_check_runs_count"]) == (
        "completed",
        "success",
        1,
    )
    assert set(suite["head_commit"]) == {"id", "tree_id", "message", "timestamp", "author", "committer"}
    [rule] = requests.get(f"{base}/rules/branches/main", headers=auth, timeout=5).json()
    assert set(rule) == RULE_KEYS and rule["type"] == "required_status_checks"
    assert rule["parameters"]["required_status_checks"] == [{"context": "e2e"}]
    branch = requests.get(f"{base}/branches/main", headers=auth, timeout=5).json()
    assert branch["protected"] is True
    assert branch["protection"]["required_status_checks"]["checks"] == [{"context": "tests", "app_id": 15368}]
