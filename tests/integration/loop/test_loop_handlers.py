"""The three handlers with real event shapes against moto (server mode, via the local stack)."""

from __future__ import annotations

import copy
import json

import boto3
import pytest

from homeostat_core.local.runner import FakeLambdaContext, LocalStack, function_url_event
from homeostat_core.webhook import sign


@pytest.fixture
def stack(tmp_path):
    with LocalStack(tmp_path / "state", env="test", echo=lambda _: None) as running:
        yield running


def _queue_depth(stack) -> int:
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"])


def _homeostat_merge_payload(shared_data) -> dict:
    payload = json.loads(
        (shared_data / "webhooks" / "create-issue-branch.pull_request.closed.json").read_text()
    )
    payload = copy.deepcopy(payload)
    payload["pull_request"]["head"]["ref"] = "homeostat/fix-0123456789ab"
    return payload


def test_scheduler_puts_one_fifo_message_per_repo(stack):
    # Given the bundled repos.yml (three repositories), when the scheduled event arrives
    result = stack.schedule()
    # Then three messages wait in the FIFO queue, one per repo, in the token's lane (no installation_id)
    assert result["scheduled"] == 3
    messages = boto3.client("sqs").receive_message(
        QueueUrl=stack.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    slugs = [json.loads(m["Body"])["repo"] for m in messages]
    assert len(slugs) >= 1  # FIFO returns a group in order; the rest stays in flight
    assert all(m["Attributes"]["MessageGroupId"] == "token" for m in messages)


def test_scheduler_rejects_a_non_eventbridge_event(stack):
    from functions.scheduler.handler import handler

    with pytest.raises(ValueError, match="not an EventBridge event"):
        handler({"Records": []}, FakeLambdaContext("homeostat-scheduler"))


def test_webhook_real_payload_replayed_ten_times_queues_one_job(stack, shared_data):
    payload = _homeostat_merge_payload(shared_data)
    statuses = [
        stack.deliver_webhook("pull_request", payload, delivery_id="72d3162e-cc78-11e3-81ab-4c9367dc0958")[
            "status"
        ]
        for _ in range(10)
    ]
    assert statuses == [202] * 10
    assert _queue_depth(stack) == 1


def test_webhook_handler_refuses_bad_signature_with_401_and_no_stack_trace(stack, shared_data):
    from functions.webhook.handler import handler

    body = json.dumps(_homeostat_merge_payload(shared_data))
    headers = {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": "d-2",
        "x-hub-signature-256": sign("not-the-secret", body.encode()),
    }
    response = handler(function_url_event(headers, body), FakeLambdaContext("homeostat-webhook"))
    assert response["statusCode"] == 401
    assert "Traceback" not in response["body"]
    assert _queue_depth(stack) == 0


def test_webhook_handler_accepts_base64_bodies(stack, shared_data):
    import base64

    from functions.webhook.handler import handler

    body = json.dumps(_homeostat_merge_payload(shared_data))
    headers = {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": "d-3",
        "x-hub-signature-256": sign(stack._webhook_secret(), body.encode()),
    }
    event = function_url_event(headers, base64.b64encode(body.encode()).decode(), base64=True)
    response = handler(event, FakeLambdaContext("homeostat-webhook"))
    assert response["statusCode"] == 202


def test_worker_fails_a_bad_message_so_it_returns_to_the_queue(stack):
    from functions.worker.handler import handler

    # Given an SQS batch whose message is not a Homeostat job
    event = {
        "Records": [
            {
                "messageId": "5f0c8a1e-0000-4000-8000-000000000001",
                "receiptHandle": "rh",
                "body": json.dumps({"kind": "mystery"}),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1700000000000",
                    "SequenceNumber": "1",
                    "MessageGroupId": "homeostat",
                    "SenderId": "AIDAEXAMPLE",
                    "MessageDeduplicationId": "x",
                    "ApproximateFirstReceiveTimestamp": "1700000000001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:homeostat-jobs.fifo",
                "awsRegion": "us-east-1",
            }
        ]
    }
    # When the worker handles it, then the invocation fails (the whole batch failed), so SQS
    # returns the message to the queue, and the log names the reason
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError) as failure:
        handler(event, FakeLambdaContext("homeostat-worker"))
    assert "unknown message kind 'mystery'" in str(failure.value.child_exceptions)


def test_failing_message_reaches_the_dlq_after_three_receives(stack):
    # Given a poison message on the queue
    boto3.client("sqs").send_message(
        QueueUrl=stack.queue_url,
        MessageBody='{"kind": "mystery"}',
        MessageGroupId="homeostat",
        MessageDeduplicationId="p1",
    )
    # When the worker keeps failing it
    results = stack.drain(max_messages=10)
    # Then it was tried three times and now sits in the DLQ
    assert [r["failed"] for r in results] == [True, True, True]
    dlq = boto3.client("sqs").receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=1)["Messages"]
    assert json.loads(dlq[0]["Body"]) == {"kind": "mystery"}
