"""The one place that holds the Logger, Metrics and Tracer singletons.

Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE
(set by infra); the defaults below serve local runs and tests.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from homeostat_core.fixing.scrub import install_scrubbing

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "homeostat")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Homeostat")

logger = Logger(service=SERVICE)
# Nothing secret reaches a log line: issue text, model output and errors are scrubbed on the way out.
install_scrubbing(logger)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# Tracer is a no-op outside Lambda (POWERTOOLS_TRACE_DISABLED or no X-Ray daemon).
# Only botocore is patched (AWS calls); forge and model calls get their own subsegments
# (adapters/tracing.py). X-Ray's patch_all would import PynamoDB, requests, sqlite3... at every
# cold start, whether the handler uses them or not.
tracer = Tracer(
    service=SERVICE,
    disabled=os.environ.get("AWS_LAMBDA_FUNCTION_NAME") is None,
    patch_modules=("botocore",),
)


# EMF metric name → (RunRecord attribute, unit). Metrics are derived from the run record so the
# dashboard and `homeostat report` can never disagree.
RUN_METRICS = {
    "IssuesProcessed": ("issues_processed", "Count"),
    "PRsCreated": ("prs_created", "Count"),
    "PRsUpdated": ("prs_updated", "Count"),
    "Cooldowns": ("cooldowns", "Count"),
    "PatternHits": ("pattern_hits", "Count"),
    "Unparseable": ("unparseable", "Count"),
    "ValidationRejected": ("validation_rejected", "Count"),
    "CostUsd": ("cost_usd", "None"),
    "Tokens": ("tokens", "Count"),
    "LatencyMs": ("latency_ms", "Milliseconds"),
    "DeferredIssues": ("deferred_count", "Count"),
    # 1 when the run failed as a whole (e.g. listing issues refused: bad token, App without access)
    "RepoRunErrors": ("run_errors", "Count"),
}

# Per-repository figures are read from log lines, not metrics: a custom metric costs $0.30 a month
# for every dimension value, so a Repo dimension made the bill grow with the fleet (12 metrics per
# repository, about $0.60 per repository per month). The worker logs one structured line per repo
# run (pipeline: `logger.info(RUN_RECORD_MESSAGE, extra={"summary": run_summary(record)})`, with
# the keys `repo` and `run_id`), which the dashboard's Logs Insights widgets and the optional
# Contributor Insights rules (infra/monitoring.py) query as `repo` and `summary.<metric>`.
RUN_RECORD_MESSAGE = "Repo run finished"
RUN_RECORD_REPO_FIELD = "repo"
RUN_RECORD_FIGURES_FIELD = "summary"


def run_summary(record) -> dict:
    """The run record's figures, keyed by metric name."""
    summary = {}
    for name, (attr, _unit) in RUN_METRICS.items():
        if attr == "deferred_count":
            value = len(record.deferred_issues)
        elif attr == "run_errors":
            value = int(bool(record.error))
        else:
            value = getattr(record, attr)
        summary[name] = value
    return summary


def emit_run_metrics(record) -> None:
    """One EMF record per repo run, with the fleet's dimension only (`service`): the number of
    metrics, and so their cost, is the same for 1 or 10,000 repositories. Alarms and the
    dashboard's totals read these series; per-repository figures come from the run-record line."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    run_metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    for name, value in run_summary(record).items():
        run_metrics.add_metric(name=name, unit=MetricUnit(RUN_METRICS[name][1]), value=float(value))
    run_metrics.flush_metrics()


# Fix outcomes, emitted when they happen (a merge or close heard by the learning job or the
# reconciler, a verification, a regression): fleet metrics for the dashboard, and one log line
# each (OUTCOME_MESSAGE, fields `outcome` and `repo`) for the per-repository table.
OUTCOME_METRICS = ("PRsMerged", "PRsClosedByPeople", "FixesVerified", "Regressions")
OUTCOME_MESSAGE = "Fix outcome"


def emit_outcome_metric(repo: str, name: str) -> None:
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    if name not in OUTCOME_METRICS:
        raise ValueError(f"unknown outcome metric {name!r}")
    outcome_metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    outcome_metrics.add_metric(name=name, unit=MetricUnit.Count, value=1.0)
    outcome_metrics.flush_metrics()
    logger.info(OUTCOME_MESSAGE, extra={"outcome": name, RUN_RECORD_REPO_FIELD: repo})


# Queue messages refused by the worker because repos.yml does not list their repository (a stale
# message after a repository was removed, or a forged one): consumed, never retried.
UNKNOWN_REPO_METRIC = "UnknownRepoRefused"
# Repo runs sent by the webhook's role, which may send only learning and steering jobs (the
# SQS SenderId says who sent a message): consumed, never run.
WEBHOOK_REPO_RUN_METRIC = "RepoRunFromWebhookRefused"
COUNT_METRICS = (UNKNOWN_REPO_METRIC, WEBHOOK_REPO_RUN_METRIC)


def emit_count_metric(name: str) -> None:
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    if name not in COUNT_METRICS:
        raise ValueError(f"unknown count metric {name!r}")
    count_metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    count_metrics.add_metric(name=name, unit=MetricUnit.Count, value=1.0)
    count_metrics.flush_metrics()
