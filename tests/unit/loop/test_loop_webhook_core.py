"""Webhook core: signature first, then parsing; relevant deliveries become learning jobs."""

from __future__ import annotations

import copy
import json

import pytest

from homeostat_core.webhook import receive_delivery, sign

SECRET = "s3cret-for-tests"


class ListQueue:
    def __init__(self):
        self.sent: list[tuple[dict, str, str]] = []

    def send(self, body, *, group_id, dedup_id):
        self.sent.append((body, group_id, dedup_id))


def headers(body: bytes, event: str = "pull_request", *, signature: str | None = None, delivery: str = "d-1"):
    return {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-hub-signature-256": signature if signature is not None else sign(SECRET, body),
    }


@pytest.fixture
def merged_payload(shared_data) -> dict:
    payload = json.loads(
        (shared_data / "webhooks" / "create-issue-branch.pull_request.closed.json").read_text()
    )
    payload = payload.get("payload", payload)
    payload = copy.deepcopy(payload)
    payload["pull_request"]["head"]["ref"] = "homeostat/fix-0123456789ab"
    return payload


def test_valid_merged_homeostat_pr_is_queued_as_learning_job(merged_payload):
    # Given a real merged pull_request payload on a Homeostat branch, signed with the secret
    body = json.dumps(merged_payload).encode()
    queue = ListQueue()
    # When it is delivered
    response = receive_delivery(headers(body), body, secret=SECRET, queue=queue)
    # Then it is accepted at once and one learning job is on its PR's own learning lane
    assert response.status == 202
    assert len(queue.sent) == 1
    message, group, _ = queue.sent[0]
    pr = merged_payload["pull_request"]["number"]
    assert group == f"learning:{merged_payload['repository']['full_name']}#{pr}"
    assert message["job"]["kind"] == "pull_request_closed"
    assert message["job"]["merged"] is True
    assert message["job"]["repo"] == merged_payload["repository"]["full_name"]
    assert message["job"]["branch"] == "homeostat/fix-0123456789ab"


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abcdef", "sha256=", "SHA256=whatever"],
)
def test_bad_signatures_are_401_and_enqueue_nothing(merged_payload, signature):
    body = json.dumps(merged_payload).encode()
    queue = ListQueue()
    response = receive_delivery(headers(body, signature=signature), body, secret=SECRET, queue=queue)
    assert response.status == 401
    assert queue.sent == []


def test_signature_over_another_body_is_401(merged_payload):
    body = json.dumps(merged_payload).encode()
    other = body.replace(b'"merged": true', b'"merged": false')
    queue = ListQueue()
    response = receive_delivery(headers(other), body, secret=SECRET, queue=queue)
    assert response.status == 401 and queue.sent == []


def test_signed_but_malformed_json_is_400():
    body = b'{"action": "closed", "pull_request": '
    queue = ListQueue()
    response = receive_delivery(headers(body), body, secret=SECRET, queue=queue)
    assert response.status == 400 and queue.sent == []


def test_signed_relevant_event_missing_fields_is_400():
    body = json.dumps({"action": "closed", "pull_request": {"number": 3}}).encode()
    response = receive_delivery(headers(body), body, secret=SECRET, queue=ListQueue())
    assert response.status == 400
    assert "missing" in response.message


def test_ping_is_answered(shared_data):
    body = (shared_data / "webhooks" / "ping.payload.json").read_bytes()
    response = receive_delivery(headers(body, "ping"), body, secret=SECRET, queue=ListQueue())
    assert response.status == 200 and response.message == "pong"


@pytest.mark.parametrize(
    "name,event",
    [
        ("issues.opened.payload.json", "issues"),
        ("issue_comment.created.payload.json", "issue_comment"),
        ("pull_request.opened.payload.json", "pull_request"),
        ("pull_request.closed.payload.json", "pull_request"),  # not a Homeostat branch
        ("installation.created.payload.json", "installation"),
    ],
)
def test_irrelevant_real_deliveries_are_202_ignored(shared_data, name, event):
    body = (shared_data / "webhooks" / name).read_bytes()
    queue = ListQueue()
    response = receive_delivery(headers(body, event), body, secret=SECRET, queue=queue)
    assert response.status == 202
    assert response.message.startswith("ignored")
    assert queue.sent == []


def test_wrong_content_type_is_415(merged_payload):
    body = json.dumps(merged_payload).encode()
    h = headers(body)
    h["content-type"] = "application/x-www-form-urlencoded"
    assert receive_delivery(h, body, secret=SECRET, queue=ListQueue()).status == 415


def test_replayed_delivery_has_one_effect(merged_payload):
    # Given a once() that remembers delivery ids (the handler uses Powertools idempotency)
    seen: dict[str, dict] = {}

    def once(key, fn):
        if key not in seen:
            seen[key] = fn()
        return seen[key]

    body = json.dumps(merged_payload).encode()
    queue = ListQueue()
    # When the same delivery arrives 10 times
    statuses = [
        receive_delivery(headers(body), body, secret=SECRET, queue=queue, once=once).status for _ in range(10)
    ]
    # Then every answer is 202 and only one job was queued
    assert statuses == [202] * 10
    assert len(queue.sent) == 1


def test_check_run_failure_on_homeostat_branch_becomes_check_job():
    payload = {
        "action": "completed",
        "check_run": {
            "name": "test",
            "conclusion": "failure",
            "output": {"title": "2 tests failed", "summary": "storage.test.js: expected [] got undefined"},
            "check_suite": {"head_branch": "homeostat/fix-0123456789ab"},
            "pull_requests": [{"number": 7}],
        },
        "repository": {"full_name": "acme/ext"},
    }
    body = json.dumps(payload).encode()
    queue = ListQueue()
    response = receive_delivery(headers(body, "check_run"), body, secret=SECRET, queue=queue)
    assert response.status == 202
    job = queue.sent[0][0]["job"]
    assert job["kind"] == "check_completed" and job["conclusion"] == "failure" and job["pr_number"] == 7
    assert "2 tests failed" in job["summary"]
