"""The FIFO work queue (one repo run or learning job per message) and its FIFO dead-letter queue.

Message groups are lanes (homeostat_core/jobs.py): one per credential for repo runs, one per PR
for learning jobs. A message that fails stays invisible for VISIBILITY_TIMEOUT and blocks only its
own lane meanwhile; the other lanes keep flowing.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag

MAX_RECEIVE_COUNT = 3
# A received message stays hidden for the worker's timeout plus this slack: long enough that a
# run still going is never handed to a second worker, short enough that a run killed by its
# timeout holds its lane for ~16 minutes, not 90 (AWS's "6 x timeout" advice is for throttled
# event sources; the worker's event source has a maximum concurrency and is not throttled).
VISIBILITY_SLACK = Duration.seconds(60)


def visibility_timeout(consumer_timeout: Duration) -> Duration:
    return Duration.seconds(consumer_timeout.to_seconds() + VISIBILITY_SLACK.to_seconds())


def failures_queue(
    scope: Construct, construct_id: str, *, fifo: bool = False, alarmed_because: str | None = None
) -> sqs.Queue:
    """Where failed messages wait for people: kept 14 days (SQS's longest), encrypted, TLS only.
    `alarmed_because`: why this queue needs no dead-letter queue of its own (cdk-nag SQS3)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        fifo=fifo or None,
        content_based_deduplication=False if fifo else None,
        retention_period=Duration.days(14),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )
    if alarmed_because:
        nag.acknowledge(queue, "AwsSolutions-SQS3", alarmed_because)
    return queue


def redelivery_window(consumer_timeout: Duration) -> Duration:
    """How long after its first receive a message may still be delivered again (before the DLQ)."""
    return Duration.seconds(visibility_timeout(consumer_timeout).to_seconds() * MAX_RECEIVE_COUNT)


class WorkQueue(Construct):
    """Content-based deduplication is on for continuations, which EventBridge Scheduler sends without
    a deduplication id (each body names its run and continuation number); the scheduler and webhook
    set explicit deduplication ids, which take precedence."""

    def __init__(self, scope: Construct, construct_id: str, *, consumer_timeout: Duration):
        super().__init__(scope, construct_id)
        self.dead_letter_queue = failures_queue(self, "DeadLetters", fifo=True)
        self.queue = sqs.Queue(
            self,
            "Jobs",
            fifo=True,
            content_based_deduplication=True,
            visibility_timeout=visibility_timeout(consumer_timeout),
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVE_COUNT, queue=self.dead_letter_queue
            ),
        )
