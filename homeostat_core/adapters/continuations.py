"""Continuations on EventBridge Scheduler: a one-time schedule that puts a repo-run message back on
the FIFO work queue, in its lane, at a given time. SQS FIFO queues take no per-message delay, hence
the scheduler. The schedule deletes itself after it fires; the queue's content-based
deduplication covers the missing deduplication id (each body names its run and continuation).
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import boto3


class SchedulerContinuations:
    def __init__(
        self,
        *,
        group_name: str,
        queue_arn: str,
        role_arn: str,
        region: str | None = None,
        endpoint_url: str | None = None,
    ):
        self.group_name = group_name
        self.queue_arn = queue_arn
        self.role_arn = role_arn
        self._region = region
        self._endpoint_url = endpoint_url

    @cached_property
    def _client(self):
        return boto3.client("scheduler", region_name=self._region, endpoint_url=self._endpoint_url)

    def continue_later(self, message: dict[str, Any], *, group_id: str, at: datetime, name: str) -> None:
        when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        # A ConflictException: a retried worker scheduled this continuation already.
        with contextlib.suppress(self._client.exceptions.ConflictException):
            self._client.create_schedule(
                Name=name,
                GroupName=self.group_name,
                ScheduleExpression=f"at({when})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Description="Homeostat: continue a repo run that stopped early",
                Target={
                    "Arn": self.queue_arn,
                    "RoleArn": self.role_arn,
                    "Input": json.dumps(message, separators=(",", ":")),
                    "SqsParameters": {"MessageGroupId": group_id},
                    "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 86400},
                },
            )
