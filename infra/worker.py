"""The worker: consumes the FIFO queue, one message per invocation (a repo run or a learning job).

Each message group (lane) is delivered one message at a time; up to `max_worker_concurrency` lanes
run at once (the event source's maximum concurrency, `-c maxWorkerConcurrency=N`).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag
from infra.context import DeploymentSettings
from infra.continuations import Continuations
from infra.python_function import PythonFunction
from infra.secrets import HomeostatSecrets
from infra.state_tables import StateTables

# 900 s is Lambda's maximum: one repo run fetches issues and source files, may call a model a few
# times (tens of seconds each) and writes PRs through the Git Data API. The worker stops taking new
# issues when less than SAFETY_MARGIN_S remains and leaves them for the next run, so a run ends
# cleanly inside TIMEOUT - SAFETY_MARGIN_S.
TIMEOUT = Duration.seconds(900)
SAFETY_MARGIN_S = 60
# 1024 MB: tree-sitter parsing, PyGithub and the openai client in one process; Lambda's CPU share
# grows with memory, which shortens the CPU-bound parsing and hashing.
MEMORY_MB = 1024
BATCH_SIZE = 1
# Idempotency records (keyed by SQS message id) outlive every redelivery of the message: its
# redelivery window (visibility timeout x receives) plus a day of slack for duplicates.
IDEMPOTENCY_SLACK_S = 24 * 3600


class Worker(Construct):
    """Permissions: read-write the four tables, consume the queue, read the GitHub and model secrets."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        code: lambda_.Code,
        queue: sqs.IQueue,
        tables: StateTables,
        secrets: HomeostatSecrets,
        continuations: Continuations,
        redelivery_window: Duration,
    ):
        super().__init__(scope, construct_id)
        self.lambda_ = PythonFunction(
            self,
            "Worker",
            settings=settings,
            code=code,
            handler="functions.worker.handler.handler",
            description="Homeostat worker: one repository run or one learning job per message",
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            environment={
                "HOMEOSTAT_ATTEMPTS_TABLE": tables.attempts.table_name,
                "HOMEOSTAT_PATTERNS_TABLE": tables.patterns.table_name,
                "HOMEOSTAT_RUNS_TABLE": tables.runs.table_name,
                "HOMEOSTAT_IDEMPOTENCY_TABLE": tables.idempotency.table_name,
                "HOMEOSTAT_GITHUB_TOKEN_SECRET": secrets.github_token_arn,
                "HOMEOSTAT_GITHUB_APP_SECRET": secrets.github_app_arn,
                "HOMEOSTAT_LLM_KEYS_SECRET": secrets.llm_keys_arn,
                "HOMEOSTAT_SAFETY_MARGIN_S": str(SAFETY_MARGIN_S),
                "HOMEOSTAT_IDEMPOTENCY_EXPIRY_S": str(
                    int(redelivery_window.to_seconds()) + IDEMPOTENCY_SLACK_S
                ),
                "HOMEOSTAT_QUEUE_ARN": queue.queue_arn,
                "HOMEOSTAT_CONTINUATION_GROUP": continuations.group_name,
                "HOMEOSTAT_CONTINUATION_ROLE_ARN": continuations.delivery_role.role_arn,
            },
        )
        self.function = self.lambda_.function
        for table in tables.all:
            table.grant_read_write_data(self.function)
        nag.acknowledge(
            self.lambda_.role,
            f"AwsSolutions-IAM5[Resource::<{nag.logical_id(tables.patterns)}.Arn>/index/*]",
            "Queries the Patterns table's own GSIs (byFingerprint, byTypeAndFile); index ARNs are only "
            "expressible as <table-arn>/index/*, scoped to that one table.",
        )
        secrets.github_token.grant_read(self.function)
        secrets.github_app.grant_read(self.function)
        secrets.llm_keys.grant_read(self.function)
        continuations.grant_schedule(self.function)
        # Batch size 1: a failed message is reported alone (ReportBatchItemFailures), retried, then
        # dead-lettered. FIFO serializes each lane; the maximum concurrency caps the lanes at once.
        self.function.add_event_source(
            event_sources.SqsEventSource(
                queue,
                batch_size=BATCH_SIZE,
                report_batch_item_failures=True,
                max_concurrency=settings.max_worker_concurrency,
            )
        )
