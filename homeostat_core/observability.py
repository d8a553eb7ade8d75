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
    """Two EMF blobs per repo run: dimension Repo (plus Powertools' `service`), and the fleet's
    (`service` only). Alarms and dashboard totals read the fleet series, "top repos" widgets query
    the per-repo ones, so the stack stays the same size whatever the repo count."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    summary = run_summary(record)
    for repo_dimension in (True, False):
        run_metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
        if repo_dimension:
            run_metrics.add_dimension(name="Repo", value=record.repo)
        for name, value in summary.items():
            unit = MetricUnit(RUN_METRICS[name][1])
            run_metrics.add_metric(name=name, unit=unit, value=float(value))
        run_metrics.flush_metrics()


# Fix outcomes, emitted when they happen (a merge or close heard by the learning job or the
# reconciler, a verification, a regression): the dashboard's production-outcome widgets.
OUTCOME_METRICS = ("PRsMerged", "PRsClosedByPeople", "FixesVerified", "Regressions")


def emit_outcome_metric(repo: str, name: str) -> None:
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    if name not in OUTCOME_METRICS:
        raise ValueError(f"unknown outcome metric {name!r}")
    outcome_metrics = EphemeralMetrics(namespace=NAMESPACE, service=SERVICE)
    outcome_metrics.add_dimension(name="Repo", value=repo)
    outcome_metrics.add_metric(name=name, unit=MetricUnit.Count, value=1.0)
    outcome_metrics.flush_metrics()
