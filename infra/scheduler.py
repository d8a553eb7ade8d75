"""EventBridge rate(6 hours) → scheduler function → one FIFO message per repo in the bundled repos.yml.

A run that could not start is not lost silently: EventBridge's delivery failures (target dead-letter
queue) and the function's own failures after Lambda's async retries (on-failure destination) both
land in one standard SQS queue, which an alarm watches (infra/monitoring.py).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.context import DeploymentSettings
from infra.python_function import PythonFunction
from infra.work_queue import failures_queue

SCHEDULE = events.Schedule.rate(Duration.hours(6))
# Reads a local YAML file and sends a few messages: seconds of work, small memory.
TIMEOUT = Duration.seconds(60)
MEMORY_MB = 256
ASYNC_RETRIES = 2
MAX_EVENT_AGE = Duration.hours(1)


class Scheduler(Construct):
    """Permissions: send to the work queue and to its failure queue, nothing else (the repo list is
    bundled with the code)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        code: lambda_.Code,
        queue: sqs.IQueue,
    ):
        super().__init__(scope, construct_id)
        self.failures = failures_queue(
            self,
            "Failures",
            alarmed_because="This queue is itself the failure destination of the scheduler (EventBridge "
            "target DLQ and Lambda on-failure destination); an alarm fires on its first message.",
        )
        self.lambda_ = PythonFunction(
            self,
            "Scheduler",
            settings=settings,
            code=code,
            handler="functions.scheduler.handler.handler",
            description="Homeostat scheduler: enqueue one run per configured repository",
            timeout=TIMEOUT,
            memory_size=MEMORY_MB,
            environment={"HOMEOSTAT_QUEUE_URL": queue.queue_url},
        )
        self.function = self.lambda_.function
        queue.grant_send_messages(self.function)
        self.function.configure_async_invoke(
            retry_attempts=ASYNC_RETRIES,
            max_event_age=MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.failures),
        )
        self.rule = events.Rule(
            self,
            "Every6Hours",
            schedule=SCHEDULE,
            description="Homeostat: start a run over all repositories",
            targets=[
                targets.LambdaFunction(
                    self.function,
                    retry_attempts=ASYNC_RETRIES,
                    max_event_age=MAX_EVENT_AGE,
                    dead_letter_queue=self.failures,
                )
            ],
        )
