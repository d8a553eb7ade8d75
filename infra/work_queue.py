"""The FIFO work queue (one repo run or learning job per message) and its FIFO dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVE_COUNT = 3
# AWS guidance for SQS event sources: visibility timeout >= 6 x the function timeout, so a
# message is not redelivered while Lambda still retries the batch internally.
VISIBILITY_FACTOR = 6


class WorkQueue(Construct):
    """Content-based deduplication is off: the scheduler and webhook set deduplication ids."""

    def __init__(self, scope: Construct, construct_id: str, *, consumer_timeout: Duration):
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetters",
            fifo=True,
            content_based_deduplication=False,
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.queue = sqs.Queue(
            self,
            "Jobs",
            fifo=True,
            content_based_deduplication=False,
            visibility_timeout=Duration.seconds(consumer_timeout.to_seconds() * VISIBILITY_FACTOR),
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVE_COUNT, queue=self.dead_letter_queue
            ),
        )
