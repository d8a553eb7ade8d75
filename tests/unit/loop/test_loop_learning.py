"""Learning jobs against the DynamoDB state (moto): CI results, merges, closes, and HOMEOSTAT_ENV."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from moto import mock_aws

from homeostat_core.adapters.dynamo import DynamoState, create_tables
from homeostat_core.attempts import begin_attempt, finish_attempt
from homeostat_core.learning import LearningJob, handle_job, job_from_webhook
from homeostat_core.models import FileEdit, Pattern
from homeostat_core.settings import parse_settings

REPO = "acme/ext"
FP = "0123456789ab"
BRANCH = f"homeostat/fix-{FP}"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EDITS = (
    FileEdit(
        "src/lib/storage.js",
        "  return JSON.parse(raw);",
        "  if (!raw) {\n    return [];\n  }\n  return JSON.parse(raw);",
    ),
)


class FixedClock:
    def now(self):
        return NOW


@pytest.fixture
def state():
    with mock_aws():
        settings = parse_settings({"AWS_REGION": "us-east-1"})
        create_tables(settings)
        yield DynamoState.from_settings(settings)


def _pending_pr(state, *, pattern_id=None):
    started = begin_attempt(
        state.attempts, REPO, FP, NOW, error_type="SyntaxError", file_path="src/lib/storage.js"
    )
    return finish_attempt(
        state.attempts,
        started,
        result="pending",
        pr_number=7,
        tier=1,
        cost_usd=0.001,
        pattern_id=pattern_id,
        edits=EDITS,
    )


def _handle(state, job, env):
    return handle_job(job, attempts=state.attempts, patterns=state.patterns, clock=FixedClock(), env=env)


def test_failed_ci_sets_tests_passed_false_and_keeps_the_summary_for_the_next_prompt(state):
    # Given an open Homeostat PR
    _pending_pr(state)
    # When its CI fails
    job = LearningJob(
        kind="check_completed",
        repo=REPO,
        branch=BRANCH,
        pr_number=7,
        conclusion="failure",
        summary="test: 2 failed",
    )
    outcome = _handle(state, job, "dev")
    # Then the attempt records it (in every environment) and keeps the summary for the next try
    saved = state.attempts.get(REPO, FP)
    assert outcome["result"] == "tests_failed"
    assert saved.tests_passed is False and saved.last_result == "failure"
    assert saved.failure_summary == "test: 2 failed"


def test_passing_ci_sets_tests_passed(state):
    _pending_pr(state)
    _handle(state, LearningJob(kind="check_completed", repo=REPO, branch=BRANCH, conclusion="success"), "dev")
    assert state.attempts.get(REPO, FP).tests_passed is True


@pytest.mark.parametrize("env", ["dev", "test"])
def test_merge_outside_production_extracts_nothing(state, env):
    _pending_pr(state)
    outcome = _handle(
        state, LearningJob(kind="pull_request_closed", repo=REPO, branch=BRANCH, merged=True), env
    )
    assert outcome["extracted"] is None
    assert state.patterns.all() == []
    assert state.attempts.get(REPO, FP).last_result == "success"


def test_merge_in_production_stores_the_fix_as_a_pattern(state):
    _pending_pr(state)
    outcome = _handle(
        state, LearningJob(kind="pull_request_closed", repo=REPO, branch=BRANCH, merged=True), "production"
    )
    [pattern] = state.patterns.all()
    assert outcome["extracted"] == pattern.pattern_id
    assert pattern.fingerprint_id == FP and pattern.edits == EDITS and pattern.status == "active"
    assert pattern.error_type == "SyntaxError" and pattern.file_path == "src/lib/storage.js"


def test_closed_unmerged_pattern_pr_lowers_the_success_rate_by_ema(state):
    # Given a pattern at 0.9 that produced the PR
    state.patterns.put(
        Pattern(
            pattern_id="pat-x",
            fingerprint_id=FP,
            error_type="SyntaxError",
            file_path="src/lib/storage.js",
            edits=EDITS,
            success_rate=0.9,
            use_count=3,
            created_at=NOW,
            status="active",
        )
    )
    _pending_pr(state, pattern_id="pat-x")
    # When the PR is closed without merging, in production
    outcome = _handle(
        state, LearningJob(kind="pull_request_closed", repo=REPO, branch=BRANCH, merged=False), "production"
    )
    # Then rate = 0.9 + 0.1 * (0 - 0.9) and the use is counted
    learned = state.patterns.get("pat-x")
    assert learned.success_rate == pytest.approx(0.81)
    assert learned.use_count == 4
    assert outcome["learned"]["successRate"] == pytest.approx(0.81)
    assert state.attempts.get(REPO, FP).last_result == "failure"


def test_learning_for_an_unknown_fingerprint_changes_nothing(state):
    outcome = _handle(
        state, LearningJob(kind="pull_request_closed", repo=REPO, branch=BRANCH, merged=True), "production"
    )
    assert outcome["result"] == "unknown_fingerprint"
    assert state.patterns.all() == []


def test_real_merged_payload_on_a_homeostat_branch_becomes_a_job(shared_data):
    import json

    payload = json.loads(
        (shared_data / "webhooks" / "create-issue-branch.pull_request.closed.json").read_text()
    )
    payload["pull_request"]["head"]["ref"] = BRANCH
    job = job_from_webhook("pull_request", payload)
    assert job is not None and job.merged is True and job.fingerprint_id == FP
    assert job_from_webhook("pull_request", {**payload, "action": "opened"}) is None
