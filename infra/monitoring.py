"""Dashboard and alarms to an encrypted SNS topic.

Metrics are the fleet's only (dimension `service`): their number, and their bill, is the same for
1 or 10,000 repositories. Per-repository figures come from the worker's run-record log lines
(homeostat_core.observability.RUN_RECORD_MESSAGE) through Logs Insights widgets, and, with
`-c repoMetricsTopN=N`, Contributor Insights rules that graph the top N repositories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from homeostat_core.observability import OUTCOME_METRICS
from infra.context import METRICS_NAMESPACE, SERVICE_NAME, DeploymentSettings
from infra.run_record_queries import (
    DEFERRED_METRIC,
    LATENCY_METRIC,
    REPO_FIGURES,
    RUN_ERRORS_METRIC,
    TOP_REPOS,
    contributor_rule_body,
    outcomes_table_query,
    repo_table_query,
    top_repos_query,
)

# EMF metrics the worker emits once per repo run (homeostat_core.observability.RUN_METRICS), with
# the fleet's dimension {service} only.
ACTIVITY_METRICS = ("IssuesProcessed", "PRsCreated", "PRsUpdated", "Cooldowns", "PatternHits")
COST_METRICS = ("CostUsd", "Tokens")
WIDGET_PERIOD = Duration.hours(6)
ALARM_PERIOD = Duration.minutes(5)
# A queued message older than one scheduler period means the fleet is not drained before the next tick.
OLDEST_MESSAGE_ALARM_S = 6 * 3600
# Worker duration alarm: a run that used more than this share of its timeout is about to be killed.
NEAR_TIMEOUT_SHARE = 0.9


def fleet_metric(
    name: str, *, statistic: str = "Sum", period: Duration = WIDGET_PERIOD, label: str | None = None
) -> cloudwatch.Metric:
    """A fleet-wide metric: dimension {service} only, one time series whatever the repo count."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": SERVICE_NAME},
        statistic=statistic,
        period=period,
        # A label turns an alarm's metric into a math form; only dashboards get one.
        **({"label": label} if label else {}),
    )


@jsii.implements(cloudwatch.IWidget)
class ContributorsWidget(cloudwatch.ConcreteWidget):
    """A Contributor Insights graph (CDK has no construct for it): the top N keys of a rule."""

    def __init__(self, *, title: str, rule_name: str, top: int, width: int = 8, height: int = 6):
        super().__init__(width=width, height=height)
        self._title, self._rule_name, self._top = title, rule_name, top
        self._at = (0, 0)

    def position(self, x: float, y: float) -> None:
        self._at = (x, y)

    def to_json(self) -> list:
        return [
            {
                "type": "metric",
                "width": self.width,
                "height": self.height,
                "x": self._at[0],
                "y": self._at[1],
                "properties": {
                    "title": self._title,
                    "region": Aws.REGION,
                    "view": "timeSeries",
                    "period": WIDGET_PERIOD.to_seconds(),
                    "insightRule": {
                        "ruleName": self._rule_name,
                        "maxContributorCount": self._top,
                        "orderBy": "Sum",
                    },
                },
            }
        ]


def daily_cost() -> cloudwatch.Metric:
    """The fleet's model cost over one day (the worker emits CostUsd per run with the fleet dimension)."""
    return fleet_metric("CostUsd", period=Duration.days(1))


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
        worker_logs: logs.ILogGroup,
        webhook: lambda_.IFunction,
        scheduler: lambda_.IFunction,
        scheduler_failures: sqs.IQueue,
        waker: lambda_.IFunction,
        wake_dead_letters: sqs.IQueue,
        worker_timeout: Duration,
    ):
        super().__init__(scope, construct_id)
        self._worker_logs = worker_logs
        self.topic = self._alarm_topic(settings)
        functions = [
            MonitoredFunction("scheduler", scheduler),
            MonitoredFunction("worker", worker),
            MonitoredFunction("webhook", webhook),
            MonitoredFunction("waker", waker),
        ]
        self.alarms = self._alarms(
            settings,
            queue=queue,
            dead_letter_queue=dead_letter_queue,
            scheduler_failures=scheduler_failures,
            wake_dead_letters=wake_dead_letters,
            functions=functions,
            worker=worker,
            webhook=webhook,
            worker_timeout=worker_timeout,
        )
        self.dashboard_name = f"Homeostat-{settings.env}"
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=self.dashboard_name, default_interval=Duration.days(7)
        )
        # Constant in the repo count: fleet totals, and per-repository figures from the run-record
        # log lines (Logs Insights), plus Contributor Insights graphs for the top N when asked.
        self.dashboard.add_widgets(*self._fleet_row())
        self.dashboard.add_widgets(*self._repositories_row())
        self.contributor_rules = self._contributor_rules(settings.repo_metrics_top_n)
        if self.contributor_rules:
            self.dashboard.add_widgets(*self._top_repositories_row(settings.repo_metrics_top_n))
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
        *,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        scheduler_failures: sqs.IQueue,
        wake_dead_letters: sqs.IQueue,
        functions: Sequence[MonitoredFunction],
        worker: lambda_.IFunction,
        webhook: lambda_.IFunction,
        worker_timeout: Duration,
    ) -> tuple[cloudwatch.Alarm, ...]:
        at_least_one = {
            "threshold": 1,
            "evaluation_periods": 1,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING,
        }
        above = {
            "evaluation_periods": 1,
            "comparison_operator": cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            "treat_missing_data": cloudwatch.TreatMissingData.NOT_BREACHING,
        }
        throttles = cloudwatch.MathExpression(
            expression=" + ".join(f"FILL(t{i}, 0)" for i in range(len(functions))),
            using_metrics={
                f"t{i}": f.function.metric_throttles(period=ALARM_PERIOD) for i, f in enumerate(functions)
            },
            label="Throttles, all functions",
            period=ALARM_PERIOD,
        )
        alarms = (
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=ALARM_PERIOD, statistic="Maximum"
            ).create_alarm(
                self,
                "DeadLettersNotEmpty",
                alarm_description="A job failed 3 times and sits in the dead-letter queue (its message group is unblocked)",
                **at_least_one,
            ),
            scheduler_failures.metric_approximate_number_of_messages_visible(
                period=ALARM_PERIOD, statistic="Maximum"
            ).create_alarm(
                self,
                "SchedulerFailed",
                alarm_description=(
                    "A scheduled run could not start: the scheduler failed after its retries or "
                    "EventBridge could not invoke it (the event is in the scheduler failure queue)"
                ),
                **at_least_one,
            ),
            wake_dead_letters.metric_approximate_number_of_messages_visible(
                period=ALARM_PERIOD, statistic="Maximum"
            ).create_alarm(
                self,
                "WakeDeadLettersNotEmpty",
                alarm_description=(
                    "A wake failed 3 times (DynamoDB or SQS unreachable from the waker): its reports wait "
                    "for the 6-hour sweep (docs/WAKES.md)"
                ),
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
            queue.metric_approximate_age_of_oldest_message(
                period=ALARM_PERIOD, statistic="Maximum"
            ).create_alarm(
                self,
                "OldestJobTooOld",
                alarm_description=(
                    f"A queued job has waited over {OLDEST_MESSAGE_ALARM_S // 3600} hours: the workers do "
                    "not drain one scheduler period (raise maxWorkerConcurrency, or look for a stuck lane)"
                ),
                threshold=OLDEST_MESSAGE_ALARM_S,
                **above,
            ),
            fleet_metric(RUN_ERRORS_METRIC, period=ALARM_PERIOD).create_alarm(
                self,
                "RepoRunErrors",
                alarm_description=(
                    "A repo run could not list its issues (bad or revoked token, App without access, "
                    "unknown installation): see the 'Repos with run errors' widget and the run record"
                ),
                **at_least_one,
            ),
            throttles.create_alarm(
                self,
                "Throttles",
                alarm_description="A function was throttled (account concurrency exhausted?)",
                **at_least_one,
            ),
            worker.metric_duration(period=ALARM_PERIOD, statistic="Maximum").create_alarm(
                self,
                "WorkerNearTimeout",
                alarm_description=(
                    f"A worker invocation used over {NEAR_TIMEOUT_SHARE:.0%} of its "
                    f"{worker_timeout.to_seconds()} s timeout: a run is about to be killed mid-way"
                ),
                threshold=worker_timeout.to_milliseconds() * NEAR_TIMEOUT_SHARE,
                **above,
            ),
            cloudwatch.Metric(
                namespace="AWS/Lambda",
                metric_name="Url5xxCount",
                dimensions_map={"FunctionName": webhook.function_name},
                statistic="Sum",
                period=ALARM_PERIOD,
            ).create_alarm(
                self,
                "Webhook5xx",
                alarm_description="The webhook answered GitHub with a 5xx (GitHub does not redeliver by itself)",
                **at_least_one,
            ),
            daily_cost().create_alarm(
                self,
                "DailyCostOverBudget",
                alarm_description=(
                    f"Model spend over one day exceeds the summed daily budgets of repos.yml "
                    f"(${settings.total_daily_budget_usd:g})"
                ),
                threshold=settings.total_daily_budget_usd,
                **above,
            ),
        )
        action = cw_actions.SnsAction(self.topic)
        for alarm in alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        return alarms

    def _fleet_row(self) -> list[cloudwatch.IWidget]:
        return [
            cloudwatch.TextWidget(markdown="### All repositories", width=24, height=1),
            cloudwatch.GraphWidget(
                title="All repos: issues and PRs", left=[fleet_metric(n) for n in ACTIVITY_METRICS], width=6
            ),
            cloudwatch.GraphWidget(
                title="All repos: model cost and tokens",
                left=[fleet_metric("CostUsd")],
                right=[fleet_metric("Tokens")],
                left_y_axis=cloudwatch.YAxisProps(label="USD", show_units=False),
                right_y_axis=cloudwatch.YAxisProps(label="tokens", show_units=False),
                width=6,
            ),
            cloudwatch.GraphWidget(
                title="All repos: run errors and deferred issues",
                left=[fleet_metric(RUN_ERRORS_METRIC), fleet_metric(DEFERRED_METRIC)],
                right=[fleet_metric(LATENCY_METRIC, statistic="Maximum")],
                width=6,
            ),
            cloudwatch.GraphWidget(
                title="All repos: fix outcomes", left=[fleet_metric(n) for n in OUTCOME_METRICS], width=6
            ),
        ]

    def _repositories_row(self) -> list[cloudwatch.IWidget]:
        """Per-repository figures, queried from the run-record lines over the dashboard's window."""
        groups = [self._worker_logs.log_group_name]

        def top(title: str, name: str, aggregate: str) -> cloudwatch.LogQueryWidget:
            return cloudwatch.LogQueryWidget(
                title=f"{title} (top {TOP_REPOS} repos)",
                log_group_names=groups,
                query_lines=top_repos_query(name, aggregate),
                view=cloudwatch.LogQueryVisualizationType.BAR,
                width=8,
            )

        return [
            cloudwatch.TextWidget(markdown="### Repositories (from the run records)", width=24, height=1),
            *(top(title, name, aggregate) for title, name, aggregate in REPO_FIGURES),
            cloudwatch.LogQueryWidget(
                title="Every repository: run-record figures",
                log_group_names=groups,
                query_lines=repo_table_query(),
                view=cloudwatch.LogQueryVisualizationType.TABLE,
                width=24,
                height=8,
            ),
            cloudwatch.LogQueryWidget(
                title="Every repository: fix outcomes",
                log_group_names=groups,
                query_lines=outcomes_table_query(),
                view=cloudwatch.LogQueryVisualizationType.TABLE,
                width=24,
                height=6,
            ),
        ]

    def _contributor_rules(self, top: int) -> dict[str, cloudwatch.CfnInsightRule]:
        """One Contributor Insights rule per dashboard figure when the top N is asked for (N > 0)."""
        if top == 0:
            return {}
        stack = Stack.of(self)
        return {
            name: cloudwatch.CfnInsightRule(
                self,
                f"TopRepos{name}",
                rule_name=f"{stack.stack_name}-top-repos-{name}",
                rule_state="ENABLED",
                rule_body=stack.to_json_string(contributor_rule_body(self._worker_logs.log_group_name, name)),
            )
            for _title, name, _aggregate in REPO_FIGURES
        }

    def _top_repositories_row(self, top: int) -> list[cloudwatch.IWidget]:
        titles = {name: title for title, name, _aggregate in REPO_FIGURES}
        titles[LATENCY_METRIC] = "Run time (ms)"
        return [
            cloudwatch.TextWidget(
                markdown=f"### Top {top} repositories (Contributor Insights)", width=24, height=1
            ),
            *(
                ContributorsWidget(title=f"{titles[name]}: top {top}", rule_name=rule.attr_rule_name, top=top)
                for name, rule in self.contributor_rules.items()
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
