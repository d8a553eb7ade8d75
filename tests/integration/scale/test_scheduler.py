"""The scheduler's queue writes on SQS FIFO (moto): SendMessageBatch of at most 10 messages and
256 KiB, every message delivered, in order within its lane."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from homeostat_core.adapters.sqs import BATCH_BYTES, BATCH_SIZE, SqsJobQueue
from homeostat_core.config import HomeostatConfig
from homeostat_core.jobs import parse_message, schedule_runs
from homeostat_core.ports import QueueMessage
from tests.integration.scale.conftest import repo


@pytest.fixture
def queue(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(
            QueueName="jobs.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        )["QueueUrl"]
        jobs = SqsJobQueue(url, region="us-east-1")
        batches: list[int] = []
        jobs._client.meta.events.register(
            "provide-client-params.sqs.SendMessageBatch",
            lambda params, **_: batches.append(len(params["Entries"])),
        )
        yield jobs, sqs, url, batches


def _drain(sqs, url) -> list[dict]:
    """Every message, in the order FIFO hands them out (one group at a time until it is empty)."""
    received = []
    while True:
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"]
        ).get("Messages", [])
        if not answer:
            return received
        for message in answer:
            received.append({"group": message["Attributes"]["MessageGroupId"], **json.loads(message["Body"])})
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_every_message_is_sent_in_batches_of_ten_and_each_lane_keeps_its_order(queue):
    jobs, sqs, url, batches = queue
    sizes = {"installation:1": 23, "installation:2": 11, "token": 9, "installation:3": 4}
    messages = [
        QueueMessage({"lane": lane, "n": n}, lane, f"{lane}-{n}")
        for lane, size in sizes.items()
        for n in range(size)
    ]
    jobs.send_many(messages)
    assert all(size <= BATCH_SIZE for size in batches)
    assert len(batches) <= sum(-(-size // BATCH_SIZE) for size in sizes.values())  # each lane: ⌈n/10⌉
    received = _drain(sqs, url)
    assert len(received) == len(messages)
    for lane, size in sizes.items():
        assert [m["n"] for m in received if m["group"] == lane] == list(range(size))


def test_large_messages_are_batched_under_the_size_limit(queue):
    jobs, sqs, url, batches = queue
    big = "x" * (100 * 1024)
    jobs.send_many([QueueMessage({"n": n, "pad": big}, "token", f"big-{n}") for n in range(5)])
    assert batches == [2, 2, 1]  # 3 × 100 KiB would pass 256 KiB
    assert 2 * len(big) < BATCH_BYTES < 3 * len(big)
    assert [m["n"] for m in _drain(sqs, url)] == [0, 1, 2, 3, 4]


def test_schedule_runs_queues_one_run_per_repository_in_its_credentials_lane(queue):
    jobs, sqs, url, batches = queue
    repos = [repo(f"acme/ext-{i}", 1 + i % 3 if i % 4 else None) for i in range(57)]
    config = HomeostatConfig(version=1, repositories=tuple(repos))
    assert schedule_runs(config, "run-9", jobs) == 57
    # A second delivery of the same schedule (EventBridge retried the scheduler) is deduplicated
    schedule_runs(config, "run-9", jobs)
    runs = [parse_message(m) for m in _drain(sqs, url)]
    assert sorted(r.slug for r in runs) == sorted(r.slug for r in repos)
    assert {r.run_id for r in runs} == {"run-9"}
    assert len(batches) < 2 * 57 / 5
