"""Dashboard (per-repo EMF metrics, queue and function health) and alarms to an encrypted SNS topic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.context import METRICS_NAMESPACE, SERVICE_NAME, DeploymentSettings

# EMF metrics the worker emits once per repo run (homeostat_core.observability.RUN_METRICS).
ACTIVITY_METRICS = ("IssuesProcessed", "PRsCreated", "PRsUpdated", "Cooldowns", "PatternHits")
COST_METRICS = ("CostUsd", "Tokens")
LATENCY_METRIC = "LatencyMs"
WIDGET_PERIOD = Duration.hours(6)
ALARM_PERIOD = Duration.minutes(5)


def repo_metric(
    name: str, slug: str, *, statistic: str = "Sum", period: Duration = WIDGET_PERIOD
) -> cloudwatch.Metric:
    """A metric as Powertools emits it: namespace Homeostat, dimensions {Repo, service}."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"Repo": slug, "service": SERVICE_NAME},
        statistic=statistic,
        period=period,
        label=name,
    )


def daily_cost_expression(slugs: Sequence[str]) -> cloudwatch.MathExpression:
    """SUM of each repo's CostUsd over one day."""
    using = {
        f"cost{i}": repo_metric("CostUsd", slug, period=Duration.days(1)) for i, slug in enumerate(slugs)
    }
    return cloudwatch.MathExpression(
        expression=f"SUM([{', '.join(using)}])",
        using_metrics=using,
        label="Model cost, all repos (USD/day)",
        period=Duration.days(1),
    )


@dataclass(frozen=True)
class MonitoredFunction:
    label: str
    function: lambda_.IFunction


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        worker: lambda_.IFunction,
        webhook: lambda_.IFunction,
        scheduler: lambda_.IFunction,
    ):
        super().__init__(scope, construct_id)
        self.topic = self._alarm_topic(settings)
        functions = [
            MonitoredFunction("scheduler", scheduler),
            MonitoredFunction("worker", worker),
            MonitoredFunction("webhook", webhook),
        ]
        self.alarms = self._alarms(settings, dead_letter_queue, functions)
        self.dashboard_name = f"Homeostat-{settings.env}"
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=self.dashboard_name, default_interval=Duration.days(7)
        )
        for slug in settings.repo_slugs:
            self.dashboard.add_widgets(*self._repo_row(slug))
        self.dashboard.add_widgets(*self._operations_row(queue, dead_letter_queue, functions))
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=4)
        )

    @property
    def dashboard_url(self) -> str:
        return (
            f"https://{Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region={Aws.REGION}"
            f"#dashboards:name={self.dashboard_name}"
        )

    def _alarm_topic(self, settings: DeploymentSettings) -> sns.Topic:
        # A customer managed key: CloudWatch cannot publish to a topic under the AWS managed SNS key.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description="Homeostat alarm notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"Homeostat alarms ({settings.env})",
            master_key=key,
            enforce_ssl=True,
        )
        if settings.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(settings.alarm_email))
        return topic

    def _alarms(
        self,
        settings: DeploymentSettings,
        dead_letter_queue: sqs.IQueue,
        functions: Sequence[MonitoredFunction],
    ) -> tuple[cloudwatch.Alarm, ...]:
        at_least_one = {
            "threshold": 1,
            "evaluation_periods": 1,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING,
        }
        alarms = (
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=ALARM_PERIOD, statistic="Maximum"
            ).create_alarm(
                self,
                "DeadLettersNotEmpty",
                alarm_description="A job failed 3 times and sits in the dead-letter queue (its message group is unblocked)",
                **at_least_one,
            ),
            *(
                f.function.metric_errors(period=ALARM_PERIOD).create_alarm(
                    self,
                    f"{f.label.capitalize()}Errors",
                    alarm_description=f"The {f.label} function raised or timed out",
                    **at_least_one,
                )
                for f in functions
            ),
            daily_cost_expression(settings.repo_slugs).create_alarm(
                self,
                "DailyCostOverBudget",
                alarm_description=(
                    f"Model spend over one day exceeds the summed daily budgets of repos.yml "
                    f"(${settings.total_daily_budget_usd:g})"
                ),
                threshold=settings.total_daily_budget_usd,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        )
        action = cw_actions.SnsAction(self.topic)
        for alarm in alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        return alarms

    def _repo_row(self, slug: str) -> list[cloudwatch.IWidget]:
        return [
            cloudwatch.TextWidget(markdown=f"### {slug}", width=24, height=1),
            cloudwatch.GraphWidget(
                title=f"{slug}: issues and PRs",
                left=[repo_metric(name, slug) for name in ACTIVITY_METRICS],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title=f"{slug}: model cost and tokens",
                left=[repo_metric("CostUsd", slug)],
                right=[repo_metric("Tokens", slug)],
                left_y_axis=cloudwatch.YAxisProps(label="USD", show_units=False),
                right_y_axis=cloudwatch.YAxisProps(label="tokens", show_units=False),
                width=8,
            ),
            cloudwatch.GraphWidget(
                title=f"{slug}: run latency",
                left=[
                    repo_metric(LATENCY_METRIC, slug, statistic=stat).with_(label=f"{LATENCY_METRIC} {stat}")
                    for stat in ("p50", "p90", "Maximum")
                ],
                width=8,
            ),
        ]

    def _operations_row(
        self, queue: sqs.IQueue, dead_letter_queue: sqs.IQueue, functions: Sequence[MonitoredFunction]
    ) -> list[cloudwatch.IWidget]:
        period = Duration.minutes(5)
        return [
            cloudwatch.TextWidget(markdown="### Queue and functions", width=24, height=1),
            cloudwatch.GraphWidget(
                title="Work queue",
                left=[
                    queue.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum")
                ],
                right=[queue.metric_approximate_age_of_oldest_message(period=period, statistic="Maximum")],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queue depth",
                left=[
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=period, statistic="Maximum"
                    )
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[f.function.metric_errors(period=period, label=f.label) for f in functions],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function duration (p90)",
                left=[
                    f.function.metric_duration(period=period, statistic="p90", label=f.label)
                    for f in functions
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function invocations and throttles",
                left=[f.function.metric_invocations(period=period, label=f.label) for f in functions],
                right=[
                    f.function.metric_throttles(period=period, label=f"{f.label} throttles")
                    for f in functions
                ],
                width=12,
            ),
        ]
