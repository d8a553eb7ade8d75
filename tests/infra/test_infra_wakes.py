"""Event-driven runs in the stack: the wakes queue, its dead-letter queue and alarm, the waker's and
the webhook's narrow permissions, and the webhook's reserved concurrency."""

from __future__ import annotations

import pytest

from infra.context import DeploymentContextError

from .conftest import synthesize
from .test_infra_security import _actions, _refs, _statements

pytestmark = pytest.mark.xdist_group("infra")


def _wake_queues(synth) -> tuple[str, str]:
    queues = synth.of_type("AWS::SQS::Queue")
    (queue_id,) = [k for k in queues if k.startswith("WakesQueue")]
    (dlq_id,) = [k for k in queues if k.startswith("WakesDeadLetters")]
    return queue_id, dlq_id


def _work_queue(synth) -> str:
    (queue_id,) = [
        k
        for k, v in synth.of_type("AWS::SQS::Queue").items()
        if v["Properties"].get("FifoQueue") and "RedrivePolicy" in v["Properties"]
    ]
    return queue_id


def test_wakes_queue_is_a_standard_queue_with_a_dead_letter_queue_and_an_alarm(dev_synth):
    queue_id, dlq_id = _wake_queues(dev_synth)
    queue = dev_synth.resources[queue_id]["Properties"]
    # Standard (per-message delays), failures to the DLQ after 3 receives
    assert "FifoQueue" not in queue
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    # And an alarm on the first dead-lettered wake
    alarms = [
        a["Properties"]
        for a in dev_synth.of_type("AWS::CloudWatch::Alarm").values()
        if dlq_id in _refs(a["Properties"].get("Dimensions", []))
    ]
    assert len(alarms) == 1 and alarms[0]["Threshold"] == 1 and alarms[0]["AlarmActions"]


def test_waker_consumes_wakes_and_may_send_only_to_the_two_queues_and_touch_only_wake_items(dev_synth):
    queue_id, _ = _wake_queues(dev_synth)
    waker_id, waker = dev_synth.function("waker")
    (mapping,) = [
        m["Properties"]
        for m in dev_synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if _refs(m["Properties"]["FunctionName"]) == {waker_id}
    ]
    assert _refs(mapping["EventSourceArn"]) == {queue_id}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    statements = _statements(dev_synth, "waker")
    senders = {ref for s in statements if "sqs:SendMessage" in _actions(s) for ref in _refs(s["Resource"])}
    assert senders == {queue_id, _work_queue(dev_synth)}
    tables = set(dev_synth.of_type("AWS::DynamoDB::Table"))
    on_tables = [s for s in statements if _refs(s["Resource"]) & tables]
    assert len(on_tables) == 1
    assert _actions(on_tables[0]) == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert on_tables[0]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["wake#*"]}}
    assert not any({"secretsmanager:GetSecretValue"} & _actions(s) for s in statements)


def test_webhook_may_send_only_to_the_work_queue_and_the_wakes_queue(dev_synth):
    queue_id, dlq_id = _wake_queues(dev_synth)
    statements = _statements(dev_synth, "webhook")
    queues = set(dev_synth.of_type("AWS::SQS::Queue"))
    senders = {ref for s in statements for ref in _refs(s["Resource"])} & queues
    assert senders == {queue_id, _work_queue(dev_synth)}
    assert all(
        _actions(s) <= {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
        for s in statements
        if _refs(s["Resource"]) & queues
    )


def test_the_worker_knows_the_webhook_roles_id_to_refuse_its_repo_runs(dev_synth):
    # the webhook may send to the work queue (learning and steering jobs); SQS stamps each message
    # with its sender's role id, which the worker compares with this one
    _, webhook = dev_synth.function("webhook")
    _, worker = dev_synth.function("worker")
    role_id = webhook["Properties"]["Role"]["Fn::GetAtt"][0]
    variables = worker["Properties"]["Environment"]["Variables"]
    assert variables["HOMEOSTAT_WEBHOOK_SENDER_ID"] == {"Fn::GetAtt": [role_id, "RoleId"]}


def test_webhook_has_reserved_concurrency_10_by_default_and_from_context(dev_synth, tmp_path):
    _, webhook = dev_synth.function("webhook")
    assert webhook["Properties"]["ReservedConcurrentExecutions"] == 10
    _, worker = dev_synth.function("worker")
    assert "ReservedConcurrentExecutions" not in worker["Properties"]
    _, tuned = synthesize(tmp_path, webhookConcurrency="3").function("webhook")
    assert tuned["Properties"]["ReservedConcurrentExecutions"] == 3


@pytest.mark.parametrize("bad", ["0", "-1", "lots", "1001"])
def test_a_bad_webhook_concurrency_is_a_named_error(tmp_path, bad):
    with pytest.raises(DeploymentContextError, match="webhookConcurrency"):
        synthesize(tmp_path, webhookConcurrency=bad)
