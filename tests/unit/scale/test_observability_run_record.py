"""The per-repository figures the dashboard queries are really logged: a real repo run writes one
structured run-record line with `repo` and every `summary.<figure>` the Logs Insights widgets and
Contributor Insights rules read (infra/monitoring.py), and a fix outcome writes `repo` and
`outcome`. The queries are checked against the lines, field by field."""

from __future__ import annotations

import io
import json
import re
from contextlib import contextmanager

from homeostat_core.observability import (
    OUTCOME_MESSAGE,
    RUN_METRICS,
    RUN_RECORD_MESSAGE,
    emit_outcome_metric,
    logger,
    run_summary,
)
from infra.run_record_queries import (
    REPO_FIGURES,
    contributor_rule_body,
    outcomes_table_query,
    repo_table_query,
    top_repos_query,
)
from tests.unit.lifecycle.world import make_world


@contextmanager
def log_lines():
    stream = io.StringIO()
    previous = logger.registered_handler.setStream(stream)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.registered_handler.setStream(previous)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{"))


def _field(line: dict, dotted: str):
    value = line
    for part in dotted.split("."):
        value = value[part]
    return value


def _fields_read(query_lines: list[str]) -> set[str]:
    """Every field a query reads (its aliases excluded): `summary.X`, `repo`, `outcome`, `message`."""
    text = re.sub(r'"[^"]*"', '""', "\n".join(query_lines))  # string literals are not fields
    aliases = set(re.findall(r"\bas (\w+)", text))
    words = set(re.findall(r"\b([a-z][\w.]*)\b(?!\()", text)) - aliases
    keywords = {"filter", "stats", "by", "sort", "desc", "asc", "limit", "as", "count", "sum", "max"}
    return {w for w in words - keywords if not w.isdigit()}


def test_a_repo_run_logs_one_run_record_line_with_every_field_the_dashboard_reads(tmp_path):
    # Given a repository with one report
    w = make_world(tmp_path)
    w.file_issue()
    # When it runs
    with log_lines() as lines:
        record = w.run()
    # Then exactly one structured line is the run record, naming the repository
    (line,) = [entry for entry in lines if entry.get("message") == RUN_RECORD_MESSAGE]
    assert line["repo"] == w.repo.slug and line["run_id"] == record.run_id
    assert line["summary"] == run_summary(record) and set(line["summary"]) == set(RUN_METRICS)
    # And every field each query reads is on it, as a number where it is aggregated
    queries = [top_repos_query(name, aggregate) for _title, name, aggregate in REPO_FIGURES]
    for query in [*queries, repo_table_query()]:
        for field in _fields_read(query):
            value = _field(line, field)
            if field.startswith("summary."):
                assert isinstance(value, int | float) and not isinstance(value, bool), field
    for _title, name, _aggregate in REPO_FIGURES:
        rule = contributor_rule_body("worker-logs", name)["Contribution"]
        assert _field(line, rule["Keys"][0].removeprefix("$.")) == w.repo.slug
        assert isinstance(_field(line, rule["ValueOf"].removeprefix("$.")), int | float)


def test_a_fix_outcome_logs_its_repository_and_outcome_for_the_outcomes_table():
    with log_lines() as lines:
        emit_outcome_metric("acme/web", "PRsMerged")
    (line,) = [entry for entry in lines if entry.get("message") == OUTCOME_MESSAGE]
    for field in _fields_read(outcomes_table_query()):
        assert _field(line, field) is not None, field
    assert (line["repo"], line["outcome"]) == ("acme/web", "PRsMerged")
