"""Production outcomes and the PR lifecycle over the GitHub adapter (fake GitHub, real REST shapes):
draft → CI green → ready → merged (merge commit recorded) → a report from an old version is
answered "awaiting release" while no release contains the fix; once a GitHub release does, the
trusted logger's report from it is a regression."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from homeostat_core.fixing.model_settings import load_model_settings
from homeostat_core.learning import LearningJob, handle_job
from homeostat_core.pipeline import run_repo
from tests.fakes.fake_github import FakeGitHub
from tests.reliability.harness import logger_issue
from tests.support.github_world import add_notebridge, notebridge_ports

TOKEN = "ghp_outcomes"
SLUG = "littlebearapps/notebridge"


@pytest.fixture
def world():
    with FakeGitHub(tokens=[TOKEN]) as fake:
        add_notebridge(fake)
        repo, ports, state, model = notebridge_ports(
            fake,
            TOKEN,
            allowed_authors=("cloakpipe-bot",),  # the trusted logger
        )
        yield fake, repo, ports, state, model


def run(repo, ports):
    settings = load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"})
    return run_repo(repo, ports, model_settings=settings, env="production")


def file_issue(fake, version: str) -> int:
    issue = logger_issue()
    body = issue["body"].replace("NoteBridge v1.2.0", f"NoteBridge v{version}")
    return fake.add_issue(SLUG, issue["title"], body, issue["labels"], issue["author"])


def test_the_lifecycle_and_production_outcomes_over_github(world):
    fake, repo, ports, state, model = world
    file_issue(fake, "1.2.0")
    # a draft PR
    record = run(repo, ports)
    (outcome,) = record.outcomes
    assert outcome["result"] == "pr_created" and outcome["draft"] is True
    pr = ports.forge.get_pr(repo, outcome["pr"])
    # green CI on Homeostat's head: ready for review
    fake.add_check_run(SLUG, pr.head_sha, "tests", "completed", "success", "ok")
    assert [o["result"] for o in run(repo, ports).outcomes] == ["ready"]
    assert ports.forge.get_pr(repo, pr.number).draft is False
    # merged; the pull_request webhook's job: merged, the version at the merge commit recorded
    fake.merge_pr(SLUG, pr.number)
    job = LearningJob(
        kind="pull_request_closed",
        repo=SLUG,
        head_sha=pr.head_sha,
        pr_number=pr.number,
        head_repo=SLUG,
        author=ports.forge.whoami(repo),
    )
    assert handle_job(job, ports=ports, repo=repo, env="production").result == "merged"
    (row,) = state.attempts.list(SLUG)
    assert row.stage == "merged" and row.version_at_merge == "1.2.0"
    assert row.merge_sha == fake.pull(SLUG, pr.number)["merge_commit_sha"]
    (pattern,) = state.patterns.all()
    # a report from 1.1.0 (without the fix): awaiting release, closed, $0, no model call
    calls = len(model.calls)
    old = file_issue(fake, "1.1.0")
    record = run(repo, ports)
    outcome = next(o for o in record.outcomes if old in o["issues"])
    assert outcome["result"] == "awaiting_release" and record.cost_usd == 0 and len(model.calls) == calls
    assert "homeostat-fixed-pending-release" in fake.issue_labels(SLUG, old)
    assert fake._repos[SLUG].issues[old]["state"] == "closed"
    assert any(f"#{pr.number}" in c["body"] for c in fake.comments(SLUG, old))
    # a report from 1.3.0 (with the fix): a regression, attempted again, the pattern records a failure
    merged_line = "  return raw === undefined ? [] : JSON.parse(raw);\n"
    edit = {
        "path": "src/lib/storage.js",
        "search": merged_line,
        "replace": "  return Array.isArray(raw) ? raw : [];\n",
    }
    model.answer = lambda model_name, messages: json.dumps({"summary": "Guard.", "edits": [edit]})
    # 1.3.0 is published as a GitHub release whose tag's commit contains the merge
    fake.push_commit(SLUG, "main", {"manifest.json": '{"version": "1.3.0"}\n'}, message="Release 1.3.0")
    fake.add_release(SLUG, "v1.3.0", name="NoteBridge 1.3.0")
    new = file_issue(fake, "1.3.0")
    ports.clock.advance(timedelta(hours=25))  # past the first attempt's backoff
    fake.reset_calls()
    record = run(repo, ports)
    # the releases were read once, the containment asked once (the only release is the newest)
    assert (fake.count("GET", "/tags"), fake.count("GET", "/releases"), fake.count("GET", "/compare/")) == (
        1,
        1,
        1,
    )
    outcome = next(o for o in record.outcomes if new in o["issues"])
    assert outcome["result"] == "pr_created" and outcome["regressedFrom"] == pr.number
    assert "homeostat-regressed" in fake.issue_labels(SLUG, new)
    assert state.patterns.get(pattern.pattern_id).success_rate == 0.9
    (row,) = state.attempts.list(SLUG)
    assert (row.released_in, row.release_rule, row.decided_by) == ("1.3.0", "tag", "regressed_trusted_logger")
