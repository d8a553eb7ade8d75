"""HomeostatStack: composes the constructs, nothing else."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from infra import worker as worker_module
from infra.context import DeploymentSettings
from infra.continuations import Continuations
from infra.monitoring import Monitoring
from infra.packaging import lambda_code
from infra.scheduler import Scheduler
from infra.secrets import HomeostatSecrets
from infra.sourcemaps import SourceMaps
from infra.state_tables import StateTables
from infra.wakes import Wakes
from infra.webhook import WebhookEndpoint
from infra.work_queue import WorkQueue, redelivery_window

# cx-api BUNDLING_STACKS (not exported to Python): the stacks whose assets CDK bundles.
BUNDLING_STACKS = "aws:cdk:bundling-stacks"


class HomeostatStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        if settings.skip_bundling:
            # Read by CDK's asset staging for this stack: no pip run, the asset points at the sources.
            self.node.set_context(BUNDLING_STACKS, [])
        Tags.of(self).add("project", "homeostat")
        Tags.of(self).add("environment", settings.env)

        code = lambda_code()
        tables = StateTables(self, "State", settings=settings)
        secrets = HomeostatSecrets(self, "Secrets", settings=settings)
        work = WorkQueue(self, "Queue", consumer_timeout=worker_module.TIMEOUT)
        scheduler = Scheduler(self, "Schedule", settings=settings, code=code, queue=work.queue)
        continuations = Continuations(self, "Continuations", queue=work.queue)
        worker = worker_module.Worker(
            self,
            "Work",
            settings=settings,
            code=code,
            queue=work.queue,
            tables=tables,
            secrets=secrets,
            continuations=continuations,
            redelivery_window=redelivery_window(worker_module.TIMEOUT),
        )
        wakes = Wakes(
            self, "Wakes", settings=settings, code=code, work_queue=work.queue, runs_table=tables.runs
        )
        source_maps = SourceMaps(self, "SourceMaps", settings=settings, reader=worker.function)
        webhook = WebhookEndpoint(
            self,
            "GithubWebhook",
            settings=settings,
            code=code,
            queue=work.queue,
            wake_queue=wakes.queue,
            runs_table=tables.runs,
            idempotency_table=tables.idempotency,
            webhook_secret=secrets.webhook_secret,
            webhook_secret_arn=secrets.webhook_secret_arn,
        )
        # SQS stamps each message with its sender: the worker refuses repo runs the webhook sent
        worker.function.add_environment("HOMEOSTAT_WEBHOOK_SENDER_ID", webhook.lambda_.role.role_id)
        monitoring = Monitoring(
            self,
            "Monitoring",
            settings=settings,
            queue=work.queue,
            dead_letter_queue=work.dead_letter_queue,
            worker=worker.function,
            worker_logs=worker.lambda_.log_group,
            webhook=webhook.function,
            scheduler=scheduler.function,
            scheduler_failures=scheduler.failures,
            waker=wakes.function,
            wake_dead_letters=wakes.dead_letter_queue,
            worker_timeout=worker_module.TIMEOUT,
        )

        CfnOutput(self, "WebhookUrl", value=webhook.url.url, description="GitHub webhook payload URL")
        CfnOutput(self, "DashboardUrl", value=monitoring.dashboard_url, description="CloudWatch dashboard")
        CfnOutput(
            self, "AlarmTopicArn", value=monitoring.topic.topic_arn, description="Subscribe to get alarms"
        )
        CfnOutput(self, "QueueUrl", value=work.queue.queue_url)
        CfnOutput(
            self, "SourceMapsBucket", value=source_maps.bucket.bucket_name, description="sourcemaps upload"
        )
        # Secret names are generated (no collision on redeploy): put values by ARN (docs/DEPLOY.md).
        CfnOutput(self, "GithubTokenSecretArn", value=secrets.github_token_arn)
        CfnOutput(self, "GithubAppSecretArn", value=secrets.github_app_arn)
        CfnOutput(self, "WebhookSecretArn", value=secrets.webhook_secret_arn)
        CfnOutput(self, "LlmKeysSecretArn", value=secrets.llm_keys_arn)
