"""Continuations: a run that stops early (deadline near, rate-limit budget low) is put back on its
own lane by an EventBridge Scheduler one-time schedule (moto), instead of waiting 6 hours."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from homeostat_core.adapters.continuations import SchedulerContinuations
from homeostat_core.adapters.dynamo import DynamoState
from homeostat_core.adapters.github_auth import ForgeRouter
from homeostat_core.jobs import parse_message, repo_run_message
from homeostat_core.ports import Deadline, Ports, SystemClock
from homeostat_core.worker import MAX_CONTINUATIONS, run_message
from tests.contract.conftest import fast_retry
from tests.fakes.fake_github import FakeGitHub
from tests.integration.scale.conftest import repo
from tests.reliability.harness import EXAMPLES, read_issue
from tests.support.moto_server import fresh_tables, serialized_moto_server

TOKEN = "github_pat_fake"
ROLE = "arn:aws:iam::123456789012:role/continuations"
ISSUES = ("01-unknown-format.md", "03-toolbar-missing.md")


@pytest.fixture(scope="module")
def endpoint():
    with serialized_moto_server() as url:
        yield url


@pytest.fixture
def world(endpoint):
    settings = fresh_tables(endpoint)
    sqs = boto3.client("sqs", endpoint_url=endpoint)
    queue_url = sqs.create_queue(
        QueueName="jobs.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    scheduler = boto3.client("scheduler", endpoint_url=endpoint)
    group = f"continuations-{settings.runs_table}"
    scheduler.create_schedule_group(Name=group)
    with FakeGitHub(tokens=[TOKEN]) as fake:
        fake.add_repo("acme/web", "main", {"src/app.js": "x\n"})
        for name in ISSUES:
            issue = read_issue(EXAMPLES / "issues" / "convert-my-file" / name)
            fake.add_issue("acme/web", issue["title"], issue["body"], ["robot"], "cloakpipe-bot")
        state = DynamoState.from_settings(settings)
        forge = ForgeRouter(
            base_url=fake.base_url,
            read_token=lambda: TOKEN,
            read_app=lambda: None,
            forge_options={
                "retry": fast_retry(),
                "seconds_between_requests": None,
                "seconds_between_writes": None,
            },
        )
        ports = Ports(
            forge=forge,
            llm=None,  # never reached: the runs below stop before any model call
            attempts=state.attempts,
            patterns=state.patterns,
            budgets=state.budgets,
            runs=state.runs,
            clock=SystemClock(),
        )
        continuations = SchedulerContinuations(
            group_name=group, queue_arn=queue_arn, role_arn=ROLE, endpoint_url=endpoint
        )
        yield fake, ports, continuations, scheduler, group


def _schedules(scheduler, group):
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    return [scheduler.get_schedule(Name=n, GroupName=group) for n in names]


def test_a_run_stopped_by_its_deadline_continues_within_minutes_in_its_lane(world):
    fake, ports, continuations, scheduler, group = world
    web = repo("acme/web")
    # Given a run whose Lambda is about to time out (the deadline is near from the start)
    deadline = Deadline(remaining_s=lambda: 30.0, margin_s=60.0)
    before = datetime.now(UTC)
    # When the scheduled message runs
    result = run_message(
        repo_run_message(web, "run-1"),
        ports=ports,
        env="test",
        deadline=deadline,
        continuations=continuations,
        configured=repo,  # the deployment's repos.yml lists every acme/ repository
    )
    # Then it stopped early, deferring its issues, and scheduled its continuation in ~2 minutes
    assert result["deferred"] and result["error"] is None
    (schedule,) = _schedules(scheduler, group)
    at = datetime.fromisoformat(schedule["ScheduleExpression"][3:-1]).replace(tzinfo=UTC)
    assert timedelta(minutes=1) < at - before < timedelta(minutes=3)
    assert schedule["ActionAfterCompletion"] == "DELETE"
    # and the result says when, to the second (people read it in logs and the run's outcome)
    assert result["continuesAt"] == at.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Onto the same lane as the repo's scheduled runs (never beside another run of this repo)
    target = schedule["Target"]
    assert target["SqsParameters"] == {"MessageGroupId": "token"}
    assert target["RoleArn"] == ROLE
    continued = parse_message(json.loads(target["Input"]))
    assert (continued.run_id, continued.slug, continued.continuation) == ("run-1", "acme/web", 1)


def test_a_run_stopped_by_a_low_rate_limit_continues_after_the_reset(world):
    fake, ports, continuations, scheduler, group = world
    web = repo("acme/web")
    # Given the token's budget nearly spent (3 of 100 left; the floor is 10), resetting in 20 minutes
    fake.set_rate_limit(100)
    fake.drain_rate_limit(f"token:{TOKEN}", reset_in_s=1200, remaining=12)
    result = run_message(
        repo_run_message(web, "run-2"),
        ports=ports,
        env="test",
        deadline=Deadline.unlimited(),
        continuations=continuations,
        configured=repo,  # the deployment's repos.yml lists every acme/ repository
    )
    # Then the run deferred its work without spending below the floor or hitting GitHub's refusal
    assert result["deferred"]
    assert fake.rate_limit_errors() == 0
    # And it continues just after the reset, not at the next 6-hour tick
    (schedule,) = _schedules(scheduler, group)
    at = datetime.fromisoformat(schedule["ScheduleExpression"][3:-1]).replace(tzinfo=UTC)
    assert timedelta(minutes=19) < at - datetime.now(UTC) < timedelta(minutes=22)
    assert json.loads(schedule["Target"]["Input"])["continuation"] == 1


def test_continuations_stop_after_the_cap(world):
    fake, ports, continuations, scheduler, group = world
    message = repo_run_message(repo("acme/web"), "run-3", continuation=MAX_CONTINUATIONS)
    run_message(
        message,
        ports=ports,
        env="test",
        deadline=Deadline(remaining_s=lambda: 0.0, margin_s=60.0),
        continuations=continuations,
        configured=repo,  # the deployment's repos.yml lists every acme/ repository
    )
    assert _schedules(scheduler, group) == []


def test_a_finished_run_schedules_nothing(world):
    fake, ports, continuations, scheduler, group = world
    fake.reset_calls()
    empty = repo("acme/web")
    # no trigger-labelled issues left: an idle repo
    for number in (1, 2):
        fake.set_issue("acme/web", number, state="closed")
    run_message(
        repo_run_message(empty, "run-4"),
        ports=ports,
        env="test",
        deadline=Deadline.unlimited(),
        continuations=continuations,
        configured=repo,  # the deployment's repos.yml lists every acme/ repository
    )
    assert _schedules(scheduler, group) == []
