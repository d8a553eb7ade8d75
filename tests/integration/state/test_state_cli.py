"""`homeostat attempts list` and `homeostat patterns list|export|import` against a moto server,
configured the way local mode does it: environment variables only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from homeostat_core import cli, lifecycle
from homeostat_core.adapters.dynamo import DynamoState
from homeostat_core.commands._errors import EXIT_INPUT
from homeostat_core.models import AttemptState, FileEdit, Pattern

from .conftest import fresh_tables

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cli_tables(moto_endpoint):
    return fresh_tables(moto_endpoint)


@pytest.fixture
def server_settings(cli_tables):
    """The module's tables, emptied: creating tables per test is the slow part of these tests."""
    state = DynamoState.from_settings(cli_tables)
    for pattern in state.patterns.all():
        state.patterns._model(pattern.pattern_id).delete()
    for repo in ("acme/ext", "acme/none"):
        for attempt in state.attempts.list(repo):
            state.attempts._model(attempt.repo, attempt.fingerprint_id).delete(add_version_condition=False)
    return cli_tables


@pytest.fixture
def cli_env(monkeypatch, server_settings):
    monkeypatch.setenv("AWS_ENDPOINT_URL", server_settings.endpoint_url)
    monkeypatch.setenv("HOMEOSTAT_ATTEMPTS_TABLE", server_settings.attempts_table)
    monkeypatch.setenv("HOMEOSTAT_PATTERNS_TABLE", server_settings.patterns_table)
    monkeypatch.setenv("HOMEOSTAT_RUNS_TABLE", server_settings.runs_table)
    monkeypatch.setenv("HOMEOSTAT_IDEMPOTENCY_TABLE", server_settings.idempotency_table)
    return server_settings


def test_attempts_list_shows_one_row_per_fingerprint(cli_env, server_state, capsys):
    store = server_state.attempts
    b = store.start_attempt(lifecycle.claimed(AttemptState("acme/ext", "fp-b"), NOW), expected_attempts=0)
    store.save(lifecycle.moved(b, lifecycle.Stage.FIX_RECORDED, pr_number=12))
    store.start_attempt(lifecycle.claimed(AttemptState("acme/ext", "fp-a"), NOW), expected_attempts=0)

    assert cli.main(["attempts", "list", "acme/ext"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["fingerprint", "attempts", "lastResult", "backoffUntil", "pr"]
    assert lines[1].split() == ["fp-a", "1", "pending", "2025-03-02T12:00:00Z", "-"]
    assert lines[2].split() == ["fp-b", "1", "pending", "2025-03-02T12:00:00Z", "#12"]


def test_attempts_list_for_a_repo_neither_configured_nor_recorded_names_the_known_ones(cli_env, capsys):
    assert cli.main(["attempts", "list", "acme/none"]) == 3
    err = capsys.readouterr().err
    assert "acme/none is not a repository of the configured repos.yml" in err
    assert "littlebearapps/notebridge" in err


def test_patterns_export_import_list_round_trip(cli_env, server_state, tmp_path, capsys):
    server_state.patterns.put(
        Pattern(
            "pat-fp1",
            "fp1",
            "TypeError",
            "src/a.js",
            (FileEdit("src/a.js", "a.b", "a?.b ?? null"),),
            created_at=NOW,
        )
    )
    out_file = tmp_path / "library.json"
    assert cli.main(["patterns", "export", str(out_file)]) == 0
    exported = json.loads(out_file.read_text())
    assert exported["metadata"]["totalPatterns"] == 1
    assert exported["patterns"][0]["edits"] == [
        {"path": "src/a.js", "search": "a.b", "replace": "a?.b ?? null"}
    ]

    exported["patterns"][0].update(id="pat-copy", fingerprintId="fp2", successRate=0.5)
    in_file = tmp_path / "edited.json"
    in_file.write_text(json.dumps(exported))
    assert cli.main(["patterns", "import", str(in_file)]) == 0
    assert server_state.patterns.get("pat-copy").success_rate == 0.5

    capsys.readouterr()
    assert cli.main(["patterns", "list"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[1:] == [
        ["pat-copy", "TypeError", "src/a.js", "0.500", "0", "active", "probation"],
        ["pat-fp1", "TypeError", "src/a.js", "1.000", "0", "active", "probation"],
    ]


def test_patterns_import_with_a_bad_entry_writes_nothing_and_names_it(
    cli_env, server_state, tmp_path, capsys
):
    bad = {
        "version": 1,
        "patterns": [
            {
                "id": "ok",
                "fingerprintId": "f1",
                "errorType": "E",
                "filePath": "a.js",
                "edits": [{"path": "a.js", "search": "x", "replace": "y"}],
            },
            {"id": "bad", "fingerprintId": "f2", "errorType": "E", "filePath": "a.js", "uses": "many"},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    assert cli.main(["patterns", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: patterns[1].uses: must be a whole number >= 0, got 'many'" in err
    assert f"{path}: patterns[1].edits: missing: give edits or a unified diff in patch" in err
    assert "2 problem(s); nothing imported" in err
    assert server_state.patterns.all() == []


def test_patterns_import_of_a_missing_or_broken_file(cli_env, tmp_path, capsys):
    assert cli.main(["patterns", "import", str(tmp_path / "nope.json")]) == EXIT_INPUT
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert cli.main(["patterns", "import", str(broken)]) == EXIT_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "nope.json: no such file" in err
    assert "broken.json: not valid JSON: Expecting property name enclosed in double quotes at line 1" in err


def test_patterns_list_of_an_empty_library(cli_env, capsys):
    assert cli.main(["patterns", "list"]) == 0
    assert "pattern library is empty" in capsys.readouterr().out
