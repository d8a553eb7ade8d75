"""Faults: GitHub 5xx / 429 / secondary rate limits, model 5xx / 429 / timeouts / garbage,
DynamoDB throttling. Each run either completes (after the adapters' backoff) or leaves every
eligible issue visibly unfinished (an outcome or a deferral in the run record, or the run's error
when even the issue list failed); the next delivery, with the fault gone, converges to one PR per
fingerprint and one comment per issue. A message that keeps failing reaches the DLQ after three
receives.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import GetError, PutError, QueryError, UpdateError

from homeostat_core.adapters import github_limits
from homeostat_core.adapters.dynamo import make_models
from homeostat_core.adapters.github_forge import GitHubForge, default_retry
from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.fingerprint import fingerprint
from homeostat_core.intake import parse_issue
from homeostat_core.report.markers import issue_comment_marker
from tests.fakes.fake_github import FakeGitHub
from tests.reliability.harness import (
    EXAMPLES,
    REDELIVERY_DELAY,
    ManualClock,
    example_issues,
    example_repo,
    figure,
    make_world,
    no_delayed_ack_stalls,
)

CMF = "convert-my-file"
CMF_ISSUES = ("01-unknown-format.md", "02-unknown-format-firefox.md", "04-history-empty.md")
TOKEN = "ghp_reliability_token_0123456789abcdef0123"


def _eligible_seen(record, numbers) -> bool:
    """Every eligible issue has an outcome or a deferral, or the run says why it saw none (its
    error, or a stop for a rate limit, with the continuation to take it up)."""
    seen = {n for o in record.outcomes for n in o.get("issues", [])} | set(record.deferred_issues)
    return set(numbers) <= seen or record.error is not None or record.stopped_early


def _fingerprints(issues) -> dict[int, str]:
    return {i: fingerprint(parse_issue(x["title"], x["body"], x["labels"])).id for i, x in enumerate(issues)}


# --- GitHub -------------------------------------------------------------------------------------

FAULTS = {
    "500": {"status": 500},
    "429_retry_after": {"status": 429, "headers": {"Retry-After": "1"}},
    "403_secondary_rate_limit": {"status": 403},
}
ENDPOINTS = {
    "list_issues": {"method": "GET", "path_contains": "/issues"},
    "read_file": {"method": "GET", "path_contains": "/contents/"},
    "create_tree": {"method": "POST", "path_contains": "/git/trees"},
    "create_ref": {"method": "POST", "path_contains": "/git/refs"},
    "open_pr": {"method": "POST", "path_contains": "/pulls"},
    "comment": {"method": "POST", "path_contains": "/comments"},
}
RETRY_TOTAL = 3


@pytest.fixture(scope="module")
def fake_github():
    with FakeGitHub(tokens=[TOKEN]) as fake:
        no_delayed_ack_stalls(fake._server)
        yield fake


def _repo_files() -> dict[str, str]:
    root = EXAMPLES / "repos" / CMF
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def _github_forge(fake: FakeGitHub) -> GitHubForge:
    retry = default_retry(
        total=RETRY_TOTAL,
        backoff_factor=0.001,
        backoff_max=0.01,
        secondary_rate_wait=0.01,
    )
    return GitHubForge.from_token(
        TOKEN, fake.base_url, retry=retry, seconds_between_requests=None, seconds_between_writes=None
    )


def _cases(fault: str) -> list[tuple[str, str]]:
    """Every endpoint with a transient fault; a third of them (rotating) with a persistent one."""
    offset = list(FAULTS).index(fault)
    persistent = [e for i, e in enumerate(ENDPOINTS) if i % len(FAULTS) == offset]
    return [(e, "transient") for e in ENDPOINTS] + [(e, "persistent") for e in persistent]


class _RecordedWaits:
    """The retry's clock with its waits recorded instead of slept: a `Retry-After: 1` per retry
    would add half a minute of sleeping to this test, and the waits asked for are what it checks."""

    def __init__(self):
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_github_faults_back_off_or_defer_and_then_converge(
    tmp_path, settings, example_llm, fake_github, fault, monkeypatch
):
    recorded = _RecordedWaits()
    monkeypatch.setattr(github_limits, "time", recorded)
    issues = example_issues(CMF, *CMF_ISSUES)
    fps = _fingerprints(issues)
    failures: list[str] = []
    cases = _cases(fault)
    for index, (endpoint, duration) in enumerate(cases):
        slug = f"acme/cmf-{fault[:3]}-{index}"
        repo = example_repo(CMF, slug=slug, max_prs_per_run=5, daily_budget_usd=20.0)
        fake_github.add_repo(slug, "main", _repo_files())
        numbers = [
            fake_github.add_issue(slug, i["title"], i["body"], i["labels"], i["author"]) for i in issues
        ]
        world = make_world(tmp_path / slug, settings, example_llm, repo, seed_forge=False)
        forge = _github_forge(fake_github)
        ports = world.ports(forge=forge)
        count = RETRY_TOTAL if duration == "transient" else 1000
        spec = {**FAULTS[fault], **ENDPOINTS[endpoint]}
        fake_github.inject(
            spec["status"],
            count,
            spec.get("headers"),
            method=spec["method"],
            path_contains=f"{slug}{spec['path_contains']}"
            if endpoint == "list_issues"
            else spec["path_contains"],
        )
        hit_before = fake_github.count()

        # Given the fault, when the repo runs
        record = world.run(ports)
        faulted = [c for c in fake_github.calls[hit_before:] if c.status == spec["status"]]
        with fake_github._lock:  # the fault ends
            fake_github._injections.clear()
        if not faulted:
            failures.append(f"{fault}/{endpoint}: the fault was never hit")
        if not _eligible_seen(record, numbers):
            failures.append(f"{fault}/{endpoint}/{duration}: an issue was dropped: {record.outcomes}")
        if duration == "transient" and (record.deferred_issues or record.error):
            failures.append(
                f"{fault}/{endpoint}: a transient fault was not absorbed: {record.deferred_issues} {record.error}"
            )

        # Then, with the fault gone, the redelivered message converges
        world.clock.advance(REDELIVERY_DELAY)
        world.run(ports)
        prs = fake_github.prs(slug)
        branches = [pr["head"]["ref"] for pr in prs]
        if sorted(branches) != sorted({f"homeostat/fix-{fp}" for fp in fps.values()}):
            failures.append(f"{fault}/{endpoint}/{duration}: PR branches {branches}")
        for i, number in enumerate(numbers):
            mine = [
                c for c in fake_github.comments(slug, number) if issue_comment_marker(fps[i]) in c["body"]
            ]
            if len(mine) != 1:
                failures.append(f"{fault}/{endpoint}/{duration}: issue #{number} has {len(mine)} comments")
        for fp in set(fps.values()):
            state = world.state.attempts.get(slug, fp)
            if state is None or state.attempts != 1 or state.pr_number is None:
                failures.append(f"{fault}/{endpoint}/{duration}: attempt {state}")
    figure(f"faults_github[{fault}]", cases=len(cases), failures=len(failures), endpoints=len(ENDPOINTS))
    assert failures == []
    assert recorded.waits, "the faults were never waited out"
    if "Retry-After" in FAULTS[fault].get("headers", {}):
        # GitHub's Retry-After (what is left of its second when the retry is planned), never the
        # test's millisecond backoff
        assert all(0.5 < wait <= 1.0 for wait in recorded.waits), recorded.waits
    else:
        assert max(recorded.waits) <= 0.1  # the test's shrunk backoff and secondary waits, doubling


# --- the model ----------------------------------------------------------------------------------

GOOD = {
    "name": "good",
    "contains": "src/background/converter.js",
    "content": '{"summary": "Guard unknown formats.", "edits": [{"path": "src/background/converter.js", '
    '"search": "  return FORMATS[ext].mime;\\n", "replace": "  return FORMATS[ext]?.mime;\\n"}]}',
}
MODEL_FAULTS = {
    # rules placed before GOOD; transient ones answer once, the openai client retries
    "5xx_transient": ([{"status": 503, "times": 1}], "pr"),
    "429_transient": ([{"status": 429, "times": 1, "retry_after_ms": 5}], "pr"),
    "timeout_transient": ([{"delay_s": 1.0, "content": "late", "times": 1}], "pr"),
    "malformed_transient": ([{"malformed": True, "times": 1}], "pr"),
    # no model ever answers: deferred, and the attempt is given back (an outage burns nothing)
    "5xx_persistent": ([{"status": 500}], "llm_server"),
    "timeout_persistent": ([{"delay_s": 1.0, "content": "late"}], "llm_timeout"),
}


@pytest.mark.parametrize("case", list(MODEL_FAULTS))
def test_model_faults_retry_or_fail_visibly_and_refund(tmp_path, settings, case):
    rules, expected = MODEL_FAULTS[case]
    with ScriptedLlmServer({"rules": [*rules, GOOD]}) as server:
        repo = example_repo(CMF, daily_budget_usd=20.0)
        world = make_world(tmp_path, settings, server, repo, example_issues(CMF, *CMF_ISSUES[:2]))
        settings_one_try = dataclasses.replace(world.model_settings, tries_per_tier=1)
        ports = world.ports(llm=world.llm(timeout_s=0.3, max_retries=1))
        record = world.run(ports, model_settings=settings_one_try)
    outcome = record.outcomes[0]
    ok = _eligible_seen(record, world.issue_numbers)
    if expected == "pr":
        ok = ok and outcome["result"] == "pr_created"
    else:
        ok = ok and outcome["result"] == "deferred" and expected in outcome["reason"]
        ok = ok and record.deferred_issues == world.issue_numbers
        # no call succeeded, so nothing was spent: the reservation was refunded in full
        ok = ok and world.spent_today() == 0
        # and the attempt was given back: the next run may try again at once
        state = world.state.attempts.get(record.repo, outcome["fingerprint"])
        ok = ok and (state is None or (state.attempts == 0 and state.backoff_until is None))
    figure(f"faults_model[{case}]", cases=1, failures=int(not ok), result=outcome["result"])
    assert ok, outcome


# --- DynamoDB -----------------------------------------------------------------------------------


def _throttle(operation: str):
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}, operation
    )


class Throttle:
    """Patches one PynamoDB Model method to raise a throttling error `times` times."""

    def __init__(self, monkeypatch, model, name: str, error_class, times: int, skip: int = 0):
        self.left = times
        self.skip = skip
        original = getattr(model, name)
        throttle = self

        def raising(*args, **kwargs):
            if throttle.skip > 0:
                throttle.skip -= 1
            elif throttle.left > 0:
                throttle.left -= 1
                raise error_class("throttled", cause=_throttle(name))
            return original(*args, **kwargs)

        is_class_method = isinstance(model.__dict__.get(name), classmethod) or name in ("get", "query")
        monkeypatch.setattr(
            model, name, classmethod(lambda cls, *a, **k: raising(*a, **k)) if is_class_method else raising
        )


DYNAMO_POINTS = {
    # (model attribute, method, error, how many times, calls let through first)
    "attempts_get": ("attempt", "get", GetError, 1, 0),
    "attempts_claim": ("attempt", "save", PutError, 1, 0),
    "attempts_fix_record": ("attempt", "save", PutError, 1, 1),
    "attempts_finish": ("attempt", "save", PutError, 1, 2),
    "budget_reserve": ("budget", "update", UpdateError, 1, 0),
    "budget_settle": ("budget", "update", UpdateError, 1, 1),
    "patterns_lookup": ("pattern", "get", GetError, 1, 0),
    "patterns_index_query": ("pattern", "query", QueryError, 1, 0),
    "runs_save": ("run", "save", PutError, 1, 0),
}


@pytest.mark.parametrize("point", list(DYNAMO_POINTS))
def test_dynamodb_throttling_defers_then_converges(tmp_path, settings, example_llm, monkeypatch, point):
    repo = example_repo(CMF, daily_budget_usd=20.0)
    issues = example_issues(CMF, *CMF_ISSUES[:2])
    world = make_world(tmp_path, settings, example_llm, repo, issues)
    fp = _fingerprints(issues)[0]
    model_name, method, error, times, skip = DYNAMO_POINTS[point]
    model = getattr(make_models(settings), model_name)
    throttle = Throttle(monkeypatch, model, method, error, times, skip)

    # Given DynamoDB throttling at `point`, when the repo runs
    from homeostat_core.adapters.dynamo import StateStoreError

    crashed = None
    try:
        record = world.run()
    except StateStoreError as exc:  # only the run record's own save may escape: the message retries
        crashed, record = exc, None
    assert throttle.left == 0, "the throttle was reached"
    assert crashed is None or point == "runs_save", crashed
    if record is not None:
        assert _eligible_seen(record, world.issue_numbers)

    # Then the next delivery converges
    world.clock.advance(REDELIVERY_DELAY)
    world.run()
    prs = world.prs_for(fp)
    state = world.state.attempts.get(repo.slug, fp)
    ok = (
        len(prs) == 1
        and all(len(world.fix_comments(n, fp)) == 1 for n in world.issue_numbers)
        and state.attempts == 1
        and state.pr_number == prs[0].number
    )
    figure(f"faults_dynamodb[{point}]", cases=2, failures=int(not ok), message_retried=crashed is not None)
    assert ok, (prs, state)


def test_a_message_that_keeps_failing_reaches_the_dlq_and_a_transient_one_completes(tmp_path, monkeypatch):
    import boto3

    import functions.worker.handler as worker
    from homeostat_core.adapters.sqs import SqsJobQueue
    from homeostat_core.config import HomeostatConfig, default_config_path, load_config
    from homeostat_core.jobs import schedule_runs
    from homeostat_core.local.runner import LocalStack
    from homeostat_core.settings import get_settings

    repo = example_repo(CMF)
    with LocalStack(tmp_path / "state", env="test", echo=lambda _: None) as stack:
        stack.seed_examples(load_config(default_config_path()))
        clock = ManualClock(datetime.now(UTC))
        real_build = worker.build_ports
        monkeypatch.setattr(worker, "build_ports", lambda s: dataclasses.replace(real_build(s), clock=clock))
        run_model = make_models(get_settings()).run
        queue = SqsJobQueue(stack.queue_url)

        # Given run records that cannot be saved (throttled beyond every retry)
        Throttle(monkeypatch, run_model, "save", PutError, 10**6)
        schedule_runs(HomeostatConfig(version=1, repositories=(repo,)), "dlq-run", queue)
        results = stack.drain(on_result=lambda _: clock.advance(REDELIVERY_DELAY))
        dlq = (
            boto3.client("sqs")
            .receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=10)
            .get("Messages", [])
        )
        monkeypatch.undo()

        # Then the message was received three times and now waits in the DLQ
        assert [r["failed"] for r in results] == [True, True, True]
        assert len(dlq) == 1 and '"dlq-run"' in dlq[0]["Body"]
        # ... and the three deliveries made at most one PR per fingerprint (each delivery is a
        # run of its own, so the third fingerprint, deferred by max_prs_per_run, got its PR too)
        forge = stack.forge()
        branches = [pr.branch for pr in forge.list_prs(repo)]
        assert len(branches) == len(set(branches)) >= repo.max_prs_per_run

        # Given a throttle that clears after one receive, the redelivery completes the run
        monkeypatch.setattr(worker, "build_ports", lambda s: dataclasses.replace(real_build(s), clock=clock))
        Throttle(monkeypatch, run_model, "save", PutError, 1)
        schedule_runs(HomeostatConfig(version=1, repositories=(repo,)), "transient-run", queue)
        retried = stack.drain(on_result=lambda _: clock.advance(REDELIVERY_DELAY))
        assert [r["failed"] for r in retried] == [True, False]
        branches = [pr.branch for pr in forge.list_prs(repo)]
        assert len(branches) == len(set(branches))
    figure("faults_queue_dlq", cases=len(results) + len(retried), failures=0, dlq=len(dlq))
