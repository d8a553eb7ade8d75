"""JobQueue on SQS FIFO (boto3, created lazily so moto's mock and server mode both apply)."""

from __future__ import annotations

import json
from functools import cached_property

import boto3


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
