"""`homeostat report` (issue 25): the demo's console tables by default (within 100 columns),
markdown with --markdown, every run-record field and the fix outcomes with --jsonl, and times to
the second wherever people read them."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from homeostat_core import cli
from homeostat_core.local.runner import LocalStack, init_state
from homeostat_core.models import AttemptState, RunRecord

NB = "littlebearapps/notebridge"
PK = "littlebearapps/palette-kit"
FIRST = datetime(2026, 11, 1, 10, 0, 0, 123456, tzinfo=UTC)  # microseconds on purpose
SECOND = FIRST + timedelta(hours=6)


def _record(repo: str, at: datetime, run_id: str, **figures) -> RunRecord:
    return RunRecord(run_id=run_id, repo=repo, timestamp=at, **figures)


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    """Two runs of two repositories; notebridge's fix merged 2 h after its PR opened."""
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.settings import get_settings

    folder = tmp_path_factory.mktemp("report") / "state"
    init_state(folder)
    get_settings.cache_clear()
    with LocalStack(folder, env="test", echo=lambda _: None):
        store = DynamoState.from_settings(get_settings())
        store.runs.save(_record(NB, FIRST, "run-1", issues_processed=3, prs_created=1, cost_usd=0.0123))
        store.runs.save(_record(PK, FIRST, "run-1", issues_processed=1))
        store.runs.save(
            _record(
                NB,
                SECOND,
                "run-2",
                issues_seen=4,
                issues_processed=2,
                frames_unusable=1,
                deferrals={"pr_budget": 1},
                unparseable_by_code={"no_frames": 2},
                deferred_issues=[7],
                outcomes=[{"result": "merged", "issues": [1], "pr": 2}],
            )
        )
        store.runs.save(_record(PK, SECOND, "run-2", issues_processed=2))
        store.attempts.start_attempt(
            AttemptState(
                repo=NB,
                fingerprint_id="abc123",
                attempts=1,
                stage="merged",
                pr_number=2,
                pr_opened_at=FIRST,
                closed_at=FIRST + timedelta(hours=2),
                merge_sha="f00d",
            ),
            0,
        )
    get_settings.cache_clear()
    return folder


def report(capsys, state: Path, *flags: str) -> tuple[int, str]:
    try:
        code = cli.main(["report", "--state", str(state), *flags])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def test_by_default_it_prints_the_demos_console_tables_within_100_columns(state, capsys):
    code, out = report(capsys, state)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 100, out
    lines = out.splitlines()
    assert lines[0] == "Last run of each repository:"
    # the last run only: notebridge's second run read 2 issues, palette-kit's 2
    run, outcome = [line.split() for line in lines if line.strip().startswith("notebridge ")]
    assert run[1:3] == ["2", "0"]
    assert "total" in out and "(fps: fingerprints" in out
    # and the fix outcomes over every run: one merged in 2.0 h, $0.0123 per merged fix
    assert outcome == ["notebridge", "1", "1", "0", "100%", "2.0", "0", "0", "0.0123", "–"]


def test_a_date_range_prints_one_table_per_run_with_its_time_to_the_second(state, capsys):
    code, out = report(capsys, state, "--since", "2026-10-01")
    assert code == 0
    assert re.findall(r"^Run at (\S+):$", out, re.M) == ["2026-11-01T10:00:00Z", "2026-11-01T16:00:00Z"]
    assert max(len(line) for line in out.splitlines()) <= 100, out
    assert ".123456" not in out


def test_markdown_prints_the_markdown_tables(state, capsys):
    code, out = report(capsys, state, "--markdown")
    assert code == 0
    assert out.startswith("| Repo | Issues | Fingerprints |")
    assert f"| {NB} | 2 |" in out
    assert "| Repo | PRs opened | Merged | Closed by people |" in out


def test_jsonl_prints_every_run_record_field_and_the_fix_outcomes(state, capsys):
    code, out = report(capsys, state, "--jsonl")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    runs = {line["repo"]: line for line in lines if line["kind"] == "run"}
    outcomes = {line["repo"]: line for line in lines if line["kind"] == "fixOutcomes"}
    assert set(runs) == set(outcomes) == {NB, PK}
    run = runs[NB]
    # every field of the record, none left out (one key per field, plus the line's kind)
    assert len(run) == len(fields(RunRecord)) + 1
    assert run["timestamp"] == "2026-11-01T16:00:00Z"
    assert (run["issuesSeen"], run["framesUnusable"]) == (4, 1)
    assert run["deferrals"] == {"pr_budget": 1} and run["unparseableByCode"] == {"no_frames": 2}
    assert run["deferredIssues"] == [7] and run["outcomes"] == [{"result": "merged", "issues": [1], "pr": 2}]
    fix = outcomes[NB]
    assert (fix["prsOpened"], fix["merged"], fix["mergeRate"], fix["medianHoursToMerge"]) == (1, 1, 1.0, 2.0)
    assert fix["costPerMergedFix"] == pytest.approx(0.0123) and fix["costPerVerifiedFix"] is None


def test_one_output_format_at_a_time(state, capsys):
    code, out = report(capsys, state, "--markdown", "--jsonl")
    assert code == 2 and "not allowed with" in out


def test_attempts_list_shows_backoff_to_the_second(state, capsys):
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.settings import get_settings

    with LocalStack(state, env="test", echo=lambda _: None):
        store = DynamoState.from_settings(get_settings())
        store.attempts.start_attempt(
            AttemptState(repo=PK, fingerprint_id="def456", attempts=1, backoff_until=FIRST), 0
        )
    get_settings.cache_clear()
    assert cli.main(["attempts", "list", PK, "--state", str(state)]) == 0
    out = capsys.readouterr().out
    assert "2026-11-01T10:00:00Z" in out and ".123456" not in out
