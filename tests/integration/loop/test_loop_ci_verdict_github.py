"""What the CI verdict does to Homeostat's PR over the GitHub adapter (fake GitHub, real shapes):
CI that has not started keeps the PR a draft until `ci_start_grace_minutes`; queued suites keep
it pending; required checks decide alone, so a failing optional check neither blocks the PR nor
spends an attempt, and only a required failure does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from homeostat_core.fixing.model_settings import load_model_settings
from homeostat_core.learning import LearningJob, handle_job
from homeostat_core.pipeline import run_repo
from tests.fakes.fake_github import FakeGitHub
from tests.reliability.harness import logger_issue
from tests.support.github_world import add_notebridge, notebridge_ports

TOKEN = "ghp_ci_verdict"
SLUG = "littlebearapps/notebridge"


@pytest.fixture
def world():
    with FakeGitHub(tokens=[TOKEN]) as fake:
        add_notebridge(fake)
        repo, ports, state, _ = notebridge_ports(fake, TOKEN, ready_after_hours=0.0)
        issue = logger_issue()
        fake.add_issue(SLUG, issue["title"], issue["body"], issue["labels"], issue["author"])
        yield fake, repo, ports, state


def run(repo, ports) -> list[str]:
    settings = load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    return [o["result"] for o in run_repo(repo, ports, model_settings=settings, env="test").outcomes]


def _opened(fake, repo, ports):
    assert run(repo, ports) == ["pr_created"]
    return fake.prs(SLUG)[0]


def test_ci_that_has_not_started_keeps_the_draft_until_the_grace(world):
    fake, repo, ports, state = world
    pr = _opened(fake, repo, ports)
    # Given a repository marking PRs without CI ready at once (ready_after_hours: 0), and no check
    # on Homeostat's commit yet: CI has not started
    ports.clock.advance(timedelta(minutes=10))
    assert run(repo, ports) == ["waiting"] and fake.pull(SLUG, pr["number"])["draft"] is True
    # When ci_start_grace_minutes (15) have passed with nothing reported: no CI, ready with a note
    ports.clock.advance(timedelta(minutes=6))
    assert run(repo, ports) == ["ready"] and fake.pull(SLUG, pr["number"])["draft"] is False
    assert any("No CI checks ran" in c["body"] for c in fake.comments(SLUG, pr["number"]))


def test_queued_suites_keep_the_pr_waiting(world):
    fake, repo, ports, state = world
    pr = _opened(fake, repo, ports)
    fake.add_check_run(SLUG, pr["head"]["sha"], "lint", "completed", "success", "ok")
    fake.add_check_suite(SLUG, pr["head"]["sha"], "circleci-checks")
    ports.clock.advance(timedelta(hours=3))
    assert run(repo, ports) == ["waiting"] and fake.pull(SLUG, pr["number"])["draft"] is True


def test_only_a_required_failure_spends_an_attempt(world):
    fake, repo, ports, state = world
    fake.protect_branch(SLUG, "main", ["tests"])
    pr = _opened(fake, repo, ports)
    sha = pr["head"]["sha"]
    # A failing optional check beside the passing required one: ready, no attempt spent
    fake.add_check_run(SLUG, sha, "tests", "completed", "success", "ok")
    fake.add_check_run(SLUG, sha, "lighthouse", "completed", "failure", "score 71")
    assert run(repo, ports) == ["ready"]
    (row,) = state.attempts.list(SLUG)
    assert (row.stage, row.attempts, row.tests_passed) == ("ready", 1, True)
    # The required check fails on a re-run (its check_run webhook's job): CI failed, the failure
    # kept for the next attempt
    fake.add_check_run(SLUG, sha, "tests", "completed", "failure", "storage.test.js: expected [] got null")
    job = LearningJob(kind="ci_completed", repo=SLUG, head_sha=sha)
    assert handle_job(job, ports=ports, repo=repo, env="test").result.value == "failed"
    (row,) = state.attempts.list(SLUG)
    assert row.stage == "ci_failed" and "expected [] got null" in row.ci_summary
