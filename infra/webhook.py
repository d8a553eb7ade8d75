"""The GitHub webhook endpoint: a Lambda Function URL in front of the webhook function."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.context import DeploymentSettings
from infra.python_function import PythonFunction
from infra.wakes import grant_wake_items

# GitHub gives up after 10 s; the function only verifies, deduplicates and enqueues.
TIMEOUT = Duration.seconds(10)
# More memory = more CPU for a faster cold start (Powertools + boto3 imports) within that budget.
MEMORY_MB = 512


class WebhookEndpoint(Construct):
    """Auth NONE on the URL: GitHub cannot sign SigV4; the HMAC-SHA256 check in code is the gate.

    Permissions: send to the work queue (learning jobs) and the wakes queue, read the webhook
    secret, use the idempotency table and the runs table's `wake#<repo>` items only. Its reserved
    concurrency (`-c webhookConcurrency=N`) caps what a flood of requests to the public URL can
    take from the account's Lambda concurrency: the workers are never starved by it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        code: lambda_.Code,
        queue: sqs.IQueue,
        wake_queue: sqs.IQueue,
        runs_table: dynamodb.ITable,
        idempotency_table: dynamodb.ITable,
        webhook_secret: secretsmanager.ISecret,
        webhook_secret_arn: str,
    ):
        super().__init__(scope, construct_id)
        self.lambda_ = PythonFunction(
            self,
            "Webhook",
            settings=settings,
            code=code,
            handler="functions.webhook.handler.handler",
            description="Homeostat GitHub webhook: verify signature, dedupe delivery, enqueue learning job",
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            environment={
                "HOMEOSTAT_QUEUE_URL": queue.queue_url,
                "HOMEOSTAT_WAKE_QUEUE_URL": wake_queue.queue_url,
                "HOMEOSTAT_RUNS_TABLE": runs_table.table_name,
                "HOMEOSTAT_WEBHOOK_SECRET_NAME": webhook_secret_arn,
                "HOMEOSTAT_IDEMPOTENCY_TABLE": idempotency_table.table_name,
            },
            reserved_concurrency=settings.webhook_concurrency,
        )
        self.function = self.lambda_.function
        queue.grant_send_messages(self.function)
        wake_queue.grant_send_messages(self.function)
        grant_wake_items(self.function, runs_table)
        webhook_secret.grant_read(self.function)
        idempotency_table.grant_read_write_data(self.function)
        self.url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
