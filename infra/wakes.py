"""Event-driven runs (docs/WAKES.md): the standard queue of delayed wakes and the waker function.

The webhook claims a repository's wake (`wake#<repo>` in the runs table) and sends one wake message
delayed until the wake is due (SQS per-message DelaySeconds: FIFO queues take none). The waker
function releases the claim and queues one repo run in the repository's FIFO lane; nothing runs
between reports (no always-on component). A wake that fails three receives goes to the wakes'
dead-letter queue, which an alarm watches (infra/monitoring.py): the 6-hour sweep still runs.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.context import DeploymentSettings
from infra.python_function import PythonFunction
from infra.work_queue import failures_queue

# One conditional write and one SQS send per wake: a second or two even on a cold start.
TIMEOUT = Duration.seconds(30)
MEMORY_MB = 256
BATCH_SIZE = 10
MAX_RECEIVE_COUNT = 3
# A wake's claim item in the runs table: its partition key starts with this (dynamo_wakes.py).
WAKE_KEY_PREFIX = "wake#"
WAKE_ITEM_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem")


def grant_wake_items(grantee: iam.IGrantable, runs_table: dynamodb.ITable) -> None:
    """Read and update the `wake#<repo>` items of the runs table, and nothing else in it."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=list(WAKE_ITEM_ACTIONS),
            resources=[runs_table.table_arn],
            conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{WAKE_KEY_PREFIX}*"]}},
        )
    )


class Wakes(Construct):
    """Permissions of the waker: consume and re-delay wakes, send to the work queue, the wake items."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        code: lambda_.Code,
        work_queue: sqs.IQueue,
        runs_table: dynamodb.ITable,
    ):
        super().__init__(scope, construct_id)
        self.dead_letter_queue = failures_queue(
            self,
            "DeadLetters",
            alarmed_because="This queue is itself the dead-letter queue of the wakes queue; an alarm "
            "fires on its first message.",
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            # six times the consumer's timeout, as AWS advises for a Lambda event source
            visibility_timeout=Duration.seconds(TIMEOUT.to_seconds() * 6),
            retention_period=Duration.days(1),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                max_receive_count=MAX_RECEIVE_COUNT, queue=self.dead_letter_queue
            ),
        )
        self.lambda_ = PythonFunction(
            self,
            "Waker",
            settings=settings,
            code=code,
            handler="functions.waker.handler.handler",
            description="Homeostat waker: a due wake queues one repository run in its lane",
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            environment={
                "HOMEOSTAT_QUEUE_URL": work_queue.queue_url,
                "HOMEOSTAT_WAKE_QUEUE_URL": self.queue.queue_url,
                "HOMEOSTAT_RUNS_TABLE": runs_table.table_name,
            },
        )
        self.function = self.lambda_.function
        work_queue.grant_send_messages(self.function)
        self.queue.grant_send_messages(self.function)  # a wake due after SQS's 15-minute delay
        grant_wake_items(self.function, runs_table)
        self.function.add_event_source(
            event_sources.SqsEventSource(self.queue, batch_size=BATCH_SIZE, report_batch_item_failures=True)
        )
