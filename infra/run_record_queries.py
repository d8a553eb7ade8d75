"""The queries behind the dashboard's per-repository figures, over the worker's run-record lines.

Plain text, no CDK: the tests check every field these queries read against a real run's line
(tests/unit/scale/test_observability_run_record.py) without loading the CDK.
"""

from __future__ import annotations

import re

from homeostat_core.observability import (
    OUTCOME_MESSAGE,
    RUN_METRICS,
    RUN_RECORD_FIGURES_FIELD,
    RUN_RECORD_MESSAGE,
    RUN_RECORD_REPO_FIELD,
)

LATENCY_METRIC = "LatencyMs"
RUN_ERRORS_METRIC = "RepoRunErrors"
DEFERRED_METRIC = "DeferredIssues"
# How many repos a "top repos" widget lists (a Logs Insights query, whatever the repo count).
TOP_REPOS = 10
# The per-repository figures of the dashboard: (title, metric, aggregate over the window).
REPO_FIGURES = (
    ("Repos with run errors", RUN_ERRORS_METRIC, "sum"),
    ("Issues processed", "IssuesProcessed", "sum"),
    ("PRs created", "PRsCreated", "sum"),
    ("Model cost (USD)", "CostUsd", "sum"),
    ("Slowest runs (ms)", LATENCY_METRIC, "max"),
    ("Deferred issues", DEFERRED_METRIC, "sum"),
)
# How the per-repository table totals each run-record figure (count-like figures add up).
_TABLE_AGGREGATE = {LATENCY_METRIC: "max"}


def figure_field(name: str) -> str:
    """A run-record figure as Logs Insights and Contributor Insights name it (`summary.CostUsd`)."""
    return f"{RUN_RECORD_FIGURES_FIELD}.{name}"


def _alias(name: str) -> str:
    """A figure's column name: its leading capitals in lower case (`PRsCreated` → `prsCreated`)."""
    return re.sub(r"^[A-Z]+", lambda caps: caps.group().lower(), name)


def top_repos_query(name: str, aggregate: str = "sum", limit: int = TOP_REPOS) -> list[str]:
    """The repositories with the largest `aggregate` of a figure over the dashboard's window, from
    the run-record lines (Logs Insights): its size does not depend on the repo count."""
    alias = _alias(name)
    return [
        f'filter message = "{RUN_RECORD_MESSAGE}"',
        f"stats {aggregate}({figure_field(name)}) as {alias} by {RUN_RECORD_REPO_FIELD}",
        f"filter {alias} > 0",
        f"sort {alias} desc",
        f"limit {limit}",
    ]


def repo_table_query() -> list[str]:
    """Every run-record figure per repository (what the Repo-dimension metrics used to hold)."""
    figures = ", ".join(
        f"{_TABLE_AGGREGATE.get(name, 'sum')}({figure_field(name)}) as {_alias(name)}" for name in RUN_METRICS
    )
    return [
        f'filter message = "{RUN_RECORD_MESSAGE}"',
        f"stats count(*) as runs, {figures} by {RUN_RECORD_REPO_FIELD}",
        "sort costUsd desc",
        "limit 10000",
    ]


def outcomes_table_query() -> list[str]:
    """Fix outcomes (merged, closed by people, verified, regressions) per repository and outcome."""
    return [
        f'filter message = "{OUTCOME_MESSAGE}"',
        f"stats count(*) as fixes by {RUN_RECORD_REPO_FIELD}, outcome",
        f"sort {RUN_RECORD_REPO_FIELD} asc",
        "limit 10000",
    ]


def contributor_rule_body(log_group_name: str, name: str) -> dict:
    """A Contributor Insights rule ranking repositories by one run-record figure."""
    return {
        "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
        "LogGroupNames": [log_group_name],
        "LogFormat": "JSON",
        "Contribution": {
            "Keys": [f"$.{RUN_RECORD_REPO_FIELD}"],
            "ValueOf": f"$.{figure_field(name)}",
            "Filters": [{"Match": "$.message", "In": [RUN_RECORD_MESSAGE]}],
        },
        # Contributor Insights adds up (Sum) or counts; the slowest run becomes total run time
        "AggregateOn": "Sum",
    }
