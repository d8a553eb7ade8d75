"""Deliveries Homeostat ignores are answered before anything touches DynamoDB: no idempotency
client is built and no DynamoDB call is made (counted by botocore's event hooks on the handler's
boto3 session, against moto); a delivery that carries a learning job still uses both."""

from __future__ import annotations

import pytest

from homeostat_core.local.runner import LocalStack

HOMEOSTAT_BRANCH = "homeostat/fix-0123456789ab"
REPO = {"full_name": "acme/notebridge"}


def _pull_request(action: str, branch: str, merged: bool = False) -> dict:
    return {
        "action": action,
        "repository": REPO,
        "pull_request": {
            "number": 7,
            "merged": merged,
            "user": {"login": "homeostat[bot]"},
            "head": {"ref": branch, "sha": "a" * 40, "repo": REPO},
        },
    }


def _check_run(action: str, branch: str | None) -> dict:
    return {
        "action": action,
        "repository": REPO,
        "check_run": {"head_sha": "b" * 40, "check_suite": {"head_branch": branch}},
    }


IGNORED = [
    ("star", {"action": "created", "repository": REPO}),
    ("installation", {"action": "created", "installation": {"id": 1}}),
    # a report in a repository repos.yml does not list, and one without the trigger label: no wake
    (
        "issues",
        {
            "action": "opened",
            "repository": REPO,
            "issue": {"number": 3, "user": {"login": "a"}, "labels": []},
        },
    ),
    (
        "issues",
        {
            "action": "opened",
            "repository": {"full_name": "littlebearapps/notebridge"},
            "issue": {"number": 3, "user": {"login": "cloakpipe-bot"}, "labels": [{"name": "bug"}]},
        },
    ),
    ("issues", {"action": "closed", "repository": REPO}),
    ("push", {"ref": "refs/heads/main", "repository": REPO}),
    ("pull_request", _pull_request("opened", HOMEOSTAT_BRANCH)),
    ("pull_request", _pull_request("closed", "feature/other", merged=True)),
    ("check_run", _check_run("created", HOMEOSTAT_BRANCH)),
    ("check_run", _check_run("completed", "main")),
    (
        "check_suite",
        {
            "action": "completed",
            "repository": REPO,
            "check_suite": {"head_sha": "c" * 40, "head_branch": None},
        },
    ),
    ("status", {"state": "pending", "sha": "d" * 40, "repository": REPO, "branches": []}),
    ("status", {"state": "success", "sha": "d" * 40, "repository": REPO, "branches": [{"name": "main"}]}),
    ("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}),
]


@pytest.fixture
def stack(tmp_path):
    with LocalStack(tmp_path / "state", env="test", echo=lambda _: None) as running:
        yield running


@pytest.fixture
def dynamodb_use():
    """{'clients': n, 'calls': [operation, ...]} for DynamoDB through the handler's boto3 session."""
    from functions.webhook import handler
    from homeostat_core.adapters.wiring import aws_session

    handler._once.cache_clear()  # built afresh in this test, from the session watched below
    seen: dict = {"clients": 0, "calls": []}

    def created(**_):
        seen["clients"] += 1

    def called(model, **_):
        seen["calls"].append(model.name)

    events = aws_session().events
    events.register("creating-client-class.dynamodb", created)
    events.register("before-call.dynamodb", called)
    yield seen
    events.unregister("creating-client-class.dynamodb", created)
    events.unregister("before-call.dynamodb", called)
    handler._once.cache_clear()


def test_ignored_deliveries_are_answered_without_a_dynamodb_client_or_call(stack, dynamodb_use):
    # When GitHub sends events and actions Homeostat does not use
    answers = [stack.deliver_webhook(event, payload) for event, payload in IGNORED]
    # Then each is answered at once (202 ignored, 200 pong) ...
    assert [a["status"] for a in answers] == [202] * (len(IGNORED) - 1) + [200]
    assert all(a["body"]["message"].startswith("ignored") for a in answers[:-1])
    # ... and DynamoDB was never touched: no client, no call
    assert dynamodb_use == {"clients": 0, "calls": []}


def test_a_delivery_with_a_learning_job_still_goes_through_idempotency(stack, dynamodb_use):
    # Given the counter sees nothing after ignored deliveries
    stack.deliver_webhook("star", {"action": "created", "repository": REPO})
    assert dynamodb_use["calls"] == []
    # When a Homeostat PR is merged
    answer = stack.deliver_webhook("pull_request", _pull_request("closed", HOMEOSTAT_BRANCH, merged=True))
    # Then it is queued once, through the idempotency table
    assert (answer["status"], answer["body"]["message"]) == (202, "queued")
    assert dynamodb_use["clients"] == 1 and "PutItem" in dynamodb_use["calls"]
