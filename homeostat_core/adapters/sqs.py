"""JobQueue on SQS FIFO (boto3, created lazily so moto's mock and server mode both apply).

`send_many` uses SendMessageBatch: 10 messages (and at most 256 KiB) per request, so the scheduler
queues 10,000 repositories in about 1,000 requests, from SENDERS threads at once. FIFO keeps order
per message group only, so each group (lane) is sent by one thread, in order; the lanes are dealt
out in the order given (busiest first), so each thread starts with a busy one. Entries SQS reports
as failed are sent again once; what still fails is raised, named, after the rest was sent."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import boto3

from homeostat_core.attempts import to_utc_iso
from homeostat_core.ports import QueueMessage

BATCH_SIZE = 10  # SQS's maximum entries per SendMessageBatch
BATCH_BYTES = 256 * 1024  # and its maximum total payload
SENDERS = 4  # SendMessageBatch requests in flight at once (boto3 clients are thread-safe)


class QueueSendFailed(RuntimeError):
    """Some messages of a batch send were refused by SQS (each named with SQS's reason)."""


class SqsJobQueue:
    def __init__(
        self, queue_url: str, *, region: str | None = None, endpoint_url: str | None = None, session=None
    ):
        self.queue_url = queue_url
        self._region = region
        self._endpoint_url = endpoint_url
        self._session = session  # a shared boto3 session (wiring.aws_session); default: boto3's own

    @cached_property
    def _client(self):
        return (self._session or boto3).client(
            "sqs", region_name=self._region, endpoint_url=self._endpoint_url
        )

    def send(self, body: dict, *, group_id: str, dedup_id: str) -> None:
        self._client.send_message(
            QueueUrl=self.queue_url,
            MessageBody=json.dumps(body, separators=(",", ":")),
            MessageGroupId=group_id,
            MessageDeduplicationId=dedup_id,
        )

    def send_many(self, messages: Sequence[QueueMessage]) -> None:
        shards: list[list[tuple[QueueMessage, str]]] = [[] for _ in range(SENDERS)]
        lanes: dict[str, int] = {}
        for message in messages:
            shard = lanes.setdefault(message.group_id, len(lanes) % SENDERS)
            shards[shard].append((message, json.dumps(message.body, separators=(",", ":"))))
        self._client  # noqa: B018  (created once, before the threads share it)
        with ThreadPoolExecutor(max_workers=SENDERS) as pool:
            refused = [r for shard in pool.map(self._send_in_order, shards) for r in shard]
        if refused:
            raise QueueSendFailed(
                f"{len(refused)} of {len(messages)} messages not queued: " + "; ".join(refused[:5])
            )

    def _send_in_order(self, items: list[tuple[QueueMessage, str]]) -> list[str]:
        return [r for batch in _batches(items) for r in self._send_batch(batch, retry=True)]

    def _send_batch(self, batch: list[tuple[QueueMessage, str]], *, retry: bool) -> list[str]:
        entries = [
            {
                "Id": str(i),
                "MessageBody": body,
                "MessageGroupId": message.group_id,
                "MessageDeduplicationId": message.dedup_id,
            }
            for i, (message, body) in enumerate(batch)
        ]
        failed = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries).get("Failed", [])
        again = [batch[int(f["Id"])] for f in failed if not f.get("SenderFault")]
        refused = [
            f"group {batch[int(f['Id'])][0].group_id}: {f.get('Code')} {f.get('Message', '')}".strip()
            for f in failed
            if f.get("SenderFault") or not retry
        ]
        if again and retry:
            refused += self._send_batch(again, retry=False)
        return refused


def _batches(items: list[tuple[QueueMessage, str]]) -> list[list[tuple[QueueMessage, str]]]:
    """Consecutive runs of at most BATCH_SIZE messages and BATCH_BYTES of bodies (order kept)."""
    batches: list[list[tuple[QueueMessage, str]]] = []
    size = 0
    for item in items:
        length = len(item[1].encode())
        if not batches or len(batches[-1]) == BATCH_SIZE or size + length > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += length
    return batches


# SQS's longest per-message delay; a wake due later is delayed again when it arrives early.
MAX_DELAY_S = 900


class SqsWakeSender:
    """WakeSender on a standard SQS queue (FIFO queues take no per-message delay): the message
    becomes visible when the wake is due, and the waker function queues the repository's run."""

    def __init__(self, queue: SqsJobQueue, clock, *, max_delay_s: int | None = None):
        self._queue = queue
        self._clock = clock
        self._max_delay_s = MAX_DELAY_S if max_delay_s is None else max_delay_s

    def send_wake(self, body: dict, due_at) -> None:
        delay = (due_at - self._clock.now()).total_seconds()
        self._queue._client.send_message(
            QueueUrl=self._queue.queue_url,
            # deliverAt: when it is due (SQS delays it there; local mode's clock reads it)
            MessageBody=json.dumps({**body, "deliverAt": to_utc_iso(due_at)}, separators=(",", ":")),
            DelaySeconds=max(0, min(self._max_delay_s, math.ceil(delay))),
        )
