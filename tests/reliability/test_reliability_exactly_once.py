"""Exactly-once effects: redelivered messages, concurrent deliveries and crashes at every side effect.

Given two logger issues that are one bug (Chrome and Firefox phrasings, one fingerprint), a worker
that dies at each point of a repo run, and SQS delivering the message again (at once, and after
the visibility timeout), the end state is always: one PR for the fingerprint, one Homeostat
comment per issue, and one attempt on record (the crash did not cost an attempt).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from homeostat_core.fingerprint import fingerprint
from homeostat_core.intake import parse_issue
from homeostat_core.report.markers import issue_comment_marker
from tests.reliability.harness import (
    REDELIVERY_DELAY,
    CrashAfterRefPush,
    CrashOnce,
    ManualClock,
    SimulatedCrash,
    example_issues,
    example_repo,
    figure,
    make_world,
)

CMF = "convert-my-file"
SAME_BUG = ("01-unknown-format.md", "02-unknown-format-firefox.md")


def _fingerprint_id(issue: dict) -> str:
    return fingerprint(parse_issue(issue["title"], issue["body"], issue["labels"])).id


def _is_fix_comment(repo, number, body, marker) -> bool:
    return marker.startswith("<!-- homeostat:issue-comment=")


# crash point → how to build the run's ports from the world (each proxy fires once)
CRASH_POINTS = {
    "none": lambda w: {},
    "before_claim_write": lambda w: {"attempts": CrashOnce(w.state.attempts, "start_attempt")},
    "during_model_call": lambda w: {"llm": CrashOnce(w.llm(), "complete")},
    "before_fix_record": lambda w: {"attempts": CrashOnce(w.state.attempts, "save")},
    "after_branch_ref_push": None,  # a LocalForge subclass, see _world
    "after_pr_created": lambda w: {"forge": CrashOnce(w.forge, "upsert_pr", after=True)},
    "after_first_issue_comment": lambda w: {
        "forge": CrashOnce(w.forge, "comment_on_issue", after=True, when=_is_fix_comment)
    },
    "after_last_issue_comment": lambda w: {
        "forge": CrashOnce(w.forge, "comment_on_issue", after=True, when=_is_fix_comment, skip=1)
    },
    "before_attempt_write": lambda w: {"attempts": CrashOnce(w.state.attempts, "save", skip=1)},
}


def _world(tmp_path, settings, llm, point: str):
    repo = example_repo(CMF, daily_budget_usd=20.0)
    forge_class = CrashAfterRefPush if point == "after_branch_ref_push" else None
    kwargs = {"forge_class": forge_class} if forge_class else {}
    return make_world(tmp_path, settings, llm, repo, example_issues(CMF, *SAME_BUG), **kwargs)


def _duplicates(world, fp_id: str) -> int:
    """PRs beyond one for the fingerprint plus Homeostat comments beyond one per issue."""
    extra = max(len(world.prs_for(fp_id)) - 1, 0)
    for number in world.issue_numbers:
        extra += max(len(world.fix_comments(number, fp_id)) - 1, 0)
    return extra


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_crash_at_each_side_effect_then_redelivery_converges(tmp_path, settings, example_llm, point):
    world = _world(tmp_path, settings, example_llm, point)
    fp_id = _fingerprint_id(example_issues(CMF, SAME_BUG[0])[0])
    assert fp_id == _fingerprint_id(example_issues(CMF, SAME_BUG[1])[0])  # one bug, two reports
    build = CRASH_POINTS[point]
    first_ports = world.ports(**build(world)) if build else world.ports()
    duplicates = 0
    deliveries = 0

    # Given a worker that dies at `point` during the first delivery
    if point == "none":
        world.run(first_ports)
    else:
        with pytest.raises(SimulatedCrash):
            world.run(first_ports)
    deliveries += 1
    duplicates += _duplicates(world, fp_id)
    if isinstance(world.forge, CrashAfterRefPush):
        assert world.forge.branch_sha(world.repo, f"homeostat/fix-{fp_id}"), "the ref was pushed"

    # When the message is delivered again at once (a concurrent or early redelivery) ...
    world.clock.advance(timedelta(minutes=1))
    early = world.run()
    deliveries += 1
    duplicates += _duplicates(world, fp_id)
    # ... nothing is dropped: each issue has an outcome or is deferred
    seen = {n for o in early.outcomes for n in o.get("issues", [])} | set(early.deferred_issues)
    assert set(world.issue_numbers) <= seen

    # ... and again after the visibility timeout, then once more
    for _ in range(2):
        world.clock.advance(REDELIVERY_DELAY)
        world.run()
        deliveries += 1
        duplicates += _duplicates(world, fp_id)

    # Then: one PR, one comment per issue, and one attempt on record that names the PR
    prs = world.prs_for(fp_id)
    assert len(prs) == 1
    for number in world.issue_numbers:
        comments = world.fix_comments(number, fp_id)
        assert len(comments) == 1, (number, comments)
        assert f"#{prs[0].number}" in comments[0]["body"]
    state = world.state.attempts.get(world.repo.slug, fp_id)
    assert state.attempts == 1, state
    assert state.last_result == "pending" and state.pr_number == prs[0].number
    assert state.edits, "the attempt keeps the edits learning needs"
    assert duplicates == 0
    figure(f"exactly_once[{point}]", cases=deliveries, failures=duplicates, duplicates=duplicates)


def test_a_crashed_attempt_is_not_resumed_while_its_claim_may_still_be_running(
    tmp_path, settings, example_llm
):
    world = _world(tmp_path, settings, example_llm, "during_model_call")
    fp_id = _fingerprint_id(example_issues(CMF, SAME_BUG[0])[0])
    with pytest.raises(SimulatedCrash):
        world.run(world.ports(**CRASH_POINTS["during_model_call"](world)))
    calls = len(world.llm_server.requests)

    # When another delivery comes within the lease, the claim is left alone and the issues deferred
    world.clock.advance(timedelta(minutes=5))
    record = world.run()
    assert sorted(record.deferred_issues) == sorted(world.issue_numbers)
    assert "still running" in record.outcomes[-1]["reason"]
    assert len(world.llm_server.requests) == calls, "no second model call for a live claim"
    assert world.prs_for(fp_id) == []


def test_two_concurrent_runs_of_the_same_repo_open_one_pr(tmp_path, settings, example_llm):
    rounds, duplicates = 4, 0
    for round_number in range(rounds):
        world = _world(
            tmp_path / f"r{round_number}", fresh_tables(settings, round_number), example_llm, "none"
        )
        fp_id = _fingerprint_id(example_issues(CMF, SAME_BUG[0])[0])
        # Given two workers that both read "no attempt yet" before either writes (forced race in
        # even rounds, a natural one in odd rounds)
        racing = (
            ReadThenWait(world.state.attempts, parties=2) if round_number % 2 == 0 else world.state.attempts
        )
        results: list = [None, None]

        def work(i: int, racing=racing, world=world, results=results) -> None:
            try:
                results[i] = world.run(world.ports(attempts=racing))
            except Exception as exc:  # asserted below
                results[i] = exc

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(isinstance(r, Exception) for r in results), results
        duplicates += _duplicates(world, fp_id)
        assert len(world.prs_for(fp_id)) == 1
        assert world.state.attempts.get(world.repo.slug, fp_id).attempts == 1
        outcomes = [o for r in results for o in r.outcomes if o.get("fingerprint") == fp_id]
        assert sorted(o["result"] for o in outcomes) in (
            ["pr_created", "skipped"],
            ["deferred", "pr_created"],
            ["cooldown", "pr_created"],
        ), outcomes
    assert duplicates == 0
    figure("exactly_once[concurrent_runs]", cases=rounds * 2, failures=duplicates, duplicates=duplicates)


class ReadThenWait:
    """AttemptStore whose first reads wait for every worker: all read the same state first."""

    def __init__(self, store, parties: int):
        self._store = store
        self._barrier = threading.Barrier(parties, timeout=20)
        self._waits = 2 * parties  # the pipeline's read and begin_attempt's read, per worker
        self._lock = threading.Lock()

    def get(self, repo, fingerprint_id):
        state = self._store.get(repo, fingerprint_id)
        with self._lock:
            wait = self._waits > 0
            self._waits -= 1
        if wait:
            self._barrier.wait()
        return state

    def __getattr__(self, name):
        return getattr(self._store, name)


def fresh_tables(settings, _round: int):
    from tests.support.moto_server import fresh_tables as fresh_settings

    return fresh_settings(settings.endpoint_url)


# --- through the real worker handler (SQS event, Powertools idempotency, moto server) --------


@pytest.fixture
def local_stack(tmp_path):
    from homeostat_core.config import default_config_path, load_config
    from homeostat_core.local.runner import LocalStack
    from tests.support.moto_server import one_request_at_a_time

    with LocalStack(tmp_path / "state", env="test", echo=lambda _: None) as stack:
        stack._moto._server.app = one_request_at_a_time(stack._moto._server.app)
        stack.seed_examples(load_config(default_config_path()))
        yield stack


def _send_repo_run(stack, repo, run_id: str) -> dict:
    """Schedule one repo and receive its message as the worker's event source would."""
    from homeostat_core.adapters.sqs import SqsJobQueue
    from homeostat_core.config import HomeostatConfig
    from homeostat_core.jobs import schedule_runs
    from homeostat_core.local.runner import sqs_record

    schedule_runs(HomeostatConfig(version=1, repositories=(repo,)), run_id, SqsJobQueue(stack.queue_url))
    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    message = sqs.receive_message(QueueUrl=stack.queue_url, AttributeNames=["All"], MaxNumberOfMessages=1)[
        "Messages"
    ][0]
    return sqs_record(message, arn)


def _forge_totals(stack, repo) -> tuple[dict[str, int], dict[int, int]]:
    forge = stack.forge()
    prs: dict[str, int] = {}
    for pr in forge.list_prs(repo):
        prs[pr.branch] = prs.get(pr.branch, 0) + 1
    comments = {}
    for number in range(1, 6):
        bodies = [c["body"] for c in forge.issue_comments(repo, number)]
        comments[number] = len(bodies) - len({b.rsplit("<!--", 1)[-1] for b in bodies})
    return prs, comments


def _no_duplicates(stack, repo) -> int:
    prs, comment_dupes = _forge_totals(stack, repo)
    return sum(n - 1 for n in prs.values()) + sum(comment_dupes.values())


def test_worker_same_message_twice_sequentially_and_concurrently(local_stack):
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from functions.worker.handler import handler, record_handler
    from homeostat_core.local.runner import FakeLambdaContext

    repo = example_repo(CMF)
    record = _send_repo_run(local_stack, repo, "run-seq")

    # Given one SQS message delivered twice in a row to the worker
    first = handler({"Records": [record]}, FakeLambdaContext("homeostat-worker"))
    second = handler({"Records": [record]}, FakeLambdaContext("homeostat-worker"))
    assert first == second == {"batchItemFailures": []}
    prs_after_sequential, _ = _forge_totals(local_stack, repo)
    duplicates = _no_duplicates(local_stack, repo)

    # And another message delivered to two workers at the same moment
    record = _send_repo_run(local_stack, repo, "run-concurrent")
    barrier = threading.Barrier(2, timeout=20)
    results: list = [None, None]

    def deliver(i: int) -> None:
        barrier.wait()
        try:
            results[i] = record_handler(SQSRecord(dict(record)))
        except Exception as exc:  # the loser's in-progress error is what SQS would retry
            results[i] = exc

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    ran = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Exception)]
    # one ran; the other either saw it in progress (and is retried by SQS) or got its stored result
    assert ran, results
    assert all(isinstance(r, IdempotencyAlreadyInProgressError) for r in refused), refused
    duplicates += _no_duplicates(local_stack, repo)
    prs_after_concurrent, _ = _forge_totals(local_stack, repo)
    # the second scheduled run found every attempted fingerprint in cooldown: no new PR branch
    # beyond the one the PR budget had deferred
    assert set(prs_after_sequential) <= set(prs_after_concurrent)
    assert duplicates == 0
    figure("exactly_once[worker_redelivery]", cases=4, failures=duplicates, duplicates=duplicates)


def test_worker_crash_returns_the_message_and_the_redelivery_finishes_the_attempt(local_stack, monkeypatch):
    import functions.worker.handler as worker

    repo = example_repo(CMF)
    clock = ManualClock(datetime.now(UTC))
    forge = CrashOnce(local_stack.forge(), "upsert_pr", after=True)
    real_build = worker.build_ports
    monkeypatch.setattr(
        worker, "build_ports", lambda s: dataclasses.replace(real_build(s), forge=forge, clock=clock)
    )
    from homeostat_core.adapters.sqs import SqsJobQueue
    from homeostat_core.config import HomeostatConfig
    from homeostat_core.jobs import schedule_runs

    schedule_runs(
        HomeostatConfig(version=1, repositories=(repo,)), "run-crash", SqsJobQueue(local_stack.queue_url)
    )
    # A dying worker is an invocation error to Lambda: SQS makes the message visible again after
    # the visibility timeout, by which time the in-progress idempotency record (which expires at
    # the function's deadline) has expired too.
    import boto3
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    from homeostat_core.settings import get_settings

    real_handler = worker.handler

    def dying_handler(event, context):
        try:
            return real_handler(event, context)
        except SimulatedCrash as crash:
            table = boto3.resource("dynamodb").Table(get_settings().idempotency_table)
            for item in table.scan()["Items"]:
                table.delete_item(Key={"id": item["id"]})
            raise BatchProcessingError("the worker died", [(type(crash), crash, None)]) from None

    monkeypatch.setattr(worker, "handler", dying_handler)

    # Given a worker that dies right after opening the first PR; SQS redelivers after the
    # visibility timeout (the clock moves on between receives)
    results = local_stack.drain(on_result=lambda _: clock.advance(REDELIVERY_DELAY), max_messages=5)

    # Then the first receive failed, the second finished the run, and nothing is duplicated
    assert [r["failed"] for r in results] == [True, False]
    assert forge.fired
    from homeostat_core.adapters.dynamo import DynamoState

    attempts = DynamoState.from_settings(get_settings()).attempts.list(repo.slug)
    prs, comment_dupes = _forge_totals(local_stack, repo)
    assert all(n == 1 for n in prs.values()) and not any(comment_dupes.values())
    with_pr = [a for a in attempts if a.pr_number is not None]
    assert len(with_pr) == len(prs)  # every PR is on record, no PR without its attempt
    assert all(a.attempts == 1 for a in attempts)
    for a in with_pr:
        assert len(local_stack.forge().issue_comments(repo, 1)) >= 1
        issue_numbers = [
            n
            for n in range(1, 6)
            if any(
                issue_comment_marker(a.fingerprint_id) in c["body"]
                for c in local_stack.forge().issue_comments(repo, n)
            )
        ]
        assert issue_numbers, f"no issue comment for {a.fingerprint_id}"
    figure(
        "exactly_once[worker_crash]",
        cases=len(results),
        failures=0,
        duplicates=0,
        messages=json.dumps([r["failed"] for r in results]),
    )
