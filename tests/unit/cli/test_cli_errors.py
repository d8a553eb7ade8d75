"""The CLI walk: every command given bad input fails with one message and a documented exit code,
never a traceback (issue 15, item 1). `--debug` is the only way to see a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from homeostat_core import cli
from homeostat_core.commands._errors import (
    EXIT_ENVIRONMENT,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_PIPE_CLOSED,
    EXIT_PROBLEMS,
    EXIT_USAGE,
)
from homeostat_core.local.runner import EXAMPLES, init_state

ROOT = Path(__file__).resolve().parents[3]
NOTEBRIDGE = "littlebearapps/notebridge"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, " ".join(err.split())  # messages are wrapped to 100 columns


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    """No credentials anywhere boto3 looks (env, files, instance metadata)."""
    for name in list(os.environ):
        if name.startswith("AWS_") and name != "AWS_CA_BUNDLE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from homeostat_core.settings import get_settings

    get_settings.cache_clear()  # settings are read once per process: read them from this environment
    yield
    get_settings.cache_clear()


@pytest.fixture
def state(tmp_path) -> Path:
    folder = tmp_path / "state"
    init_state(folder)
    return folder


# --- commands that need state, typed as the README lists them -------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["report"],
        ["report", "--jsonl"],
        ["attempts", "list", "littlebearapps/notebridge"],
        ["patterns", "list"],
        ["patterns", "export", "-"],
    ],
)
def test_state_commands_without_state_or_credentials_say_how_to_point_them(no_aws, capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == EXIT_ENVIRONMENT
    assert f"`homeostat {' '.join(argv[:2] if argv[0] != 'report' else argv[:1])}`" in err
    assert "--state DIR" in err and "AWS credentials" in err
    assert out == ""


@pytest.mark.parametrize("argv", [["report"], ["attempts", "list", "a/b"], ["patterns", "list"]])
def test_a_mistyped_state_folder_is_an_error_and_is_not_created(tmp_path, capsys, argv):
    typo = tmp_path / "sttae"
    code, _, err = run(capsys, *argv, "--state", str(typo))
    assert code == EXIT_INPUT
    assert f"--state {typo} does not exist" in err and "local run --state" in err
    assert not typo.exists()


# --- local add-issue: malformed issue files -------------------------------------------------------

MALFORMED_ISSUES = {
    "no-front-matter": ("# TypeError\nno front matter here\n", "the first line must be `---`"),
    "unclosed": ("---\ntitle: x\nbody without the closing line\n", "not closed"),
    "bad-yaml": ("---\ntitle: [unclosed\n---\nbody\n", "not valid YAML (front matter line"),
    "not-a-mapping": ("---\n- title\n- labels\n---\nbody\n", "must be `key: value` lines"),
    "no-title": ("---\nlabels: [robot]\n---\nbody\n", "title: required"),
    "labels-string": ("---\ntitle: x\nlabels: robot\n---\nbody\n", "labels: must be a list of strings"),
    "empty-body": ("---\ntitle: x\nlabels: [robot]\n---\n\n", "body (after the second `---`) is empty"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_ISSUES))
def test_add_issue_names_the_file_and_the_problem(state, tmp_path, capsys, kind):
    text, reason = MALFORMED_ISSUES[kind]
    path = tmp_path / f"{kind}.md"
    path.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "local", "add-issue", NOTEBRIDGE, str(path), "--state", str(state))
    assert code == EXIT_INPUT
    assert str(path) in err and reason in err, err
    assert "examples/issues" in err  # what a good file looks like


def test_add_issue_refuses_binary_missing_and_folder_paths(state, tmp_path, capsys):
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"---\ntitle: \xff\xfe\n---\nbody\n")
    for path, reason in (
        (binary, "not UTF-8"),
        (tmp_path / "missing.md", "no such file"),
        (tmp_path, "is a folder"),
    ):
        code, _, err = run(capsys, "local", "add-issue", NOTEBRIDGE, str(path), "--state", str(state))
        assert code == EXIT_INPUT and reason in err, err


def test_add_issue_to_a_repo_not_configured_lists_the_configured_ones(state, capsys):
    issue = EXAMPLES / "issues" / "notebridge" / "02-notes-json.md"
    code, _, err = run(capsys, "local", "add-issue", "acme/unknown", str(issue), "--state", str(state))
    assert code == EXIT_INPUT
    assert "acme/unknown is not among the configured repositories" in err and NOTEBRIDGE in err


def test_the_projects_own_example_issues_are_accepted_by_the_issue_reader():
    from homeostat_core.commands._issue_file import read_issue_file

    for path in sorted((EXAMPLES / "issues").glob("*/*.md")) + [
        EXAMPLES / "later" / "palette-kit-notes-json.md"
    ]:
        issue = read_issue_file(path)
        assert issue["title"] and issue["body"] and isinstance(issue["labels"], list)


# --- local run: environment, config, repositories -------------------------------------------------


def test_local_run_with_an_unknown_homeostat_env_names_the_variable(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HOMEOSTAT_ENV", "bogus")
    code, _, err = run(capsys, "local", "run", "--state", str(tmp_path / "s"))
    assert code == EXIT_ENVIRONMENT and "HOMEOSTAT_ENV='bogus'" in err and "--env" in err
    assert not (tmp_path / "s").exists()


def test_local_run_with_a_bad_config_lists_its_problems(tmp_path, capsys):
    config = tmp_path / "repos.yml"
    config.write_text(
        "version: 1\nrepositories:\n  - slug: littlebearapps/notebridge\n    branch: main\n"
        "    max_prs_per_run: 2\n    labels: robot\n    path_filters: {include: [src/]}\n"
    )
    code, _, err = run(capsys, "local", "run", "--config", str(config), "--state", str(tmp_path / "s"))
    assert code == EXIT_INPUT
    assert f"{config}: repositories[0].labels: must be a list of strings, got str" in err


def test_local_run_with_a_repo_not_among_the_examples_names_it(tmp_path, capsys):
    config = tmp_path / "repos.yml"
    config.write_text(
        "version: 1\nrepositories:\n  - slug: acme/not-an-example\n    branch: main\n"
        "    max_prs_per_run: 2\n    labels: [fix]\n    path_filters: {include: [src/]}\n"
    )
    code, _, err = run(capsys, "local", "run", "--config", str(config), "--state", str(tmp_path / "s"))
    assert code == EXIT_INPUT
    assert "acme/not-an-example" in err and "notebridge" in err


def test_a_missing_config_file_is_named(tmp_path, capsys):
    code, _, err = run(capsys, "local", "run", "--config", str(tmp_path / "nope.yml"))
    assert code == EXIT_INPUT and "nope.yml" in err


# --- patterns export / import -----------------------------------------------------------------------


def test_export_to_a_missing_folder_is_refused_before_reading_state(state, tmp_path, capsys):
    target = tmp_path / "missing" / "library.json"
    code, _, err = run(capsys, "patterns", "export", str(target), "--state", str(state))
    assert code == EXIT_INPUT and f"the folder {target.parent} does not exist" in err


def test_import_from_stdin_reports_bad_json_with_its_position(state, monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO('{"version": 1,'))
    code, _, err = run(capsys, "patterns", "import", "-", "--state", str(state))
    assert code == EXIT_INPUT and "<stdin>: not valid JSON" in err and "line 1" in err


def test_import_refuses_paths_that_leave_the_repository(state, monkeypatch, capsys):
    import io

    library = {
        "version": 1,
        "patterns": [
            {
                "id": "pat-x",
                "fingerprintId": "fp-x",
                "errorType": "TypeError",
                "filePath": "src/a.js",
                "edits": [{"path": "../../etc/profile", "search": "a", "replace": "b"}],
            }
        ],
    }
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(library)))
    code, _, err = run(capsys, "patterns", "import", "-", "--state", str(state))
    assert code == EXIT_PROBLEMS
    assert "edits[0].path: must be a path inside the repository, got '../../etc/profile'" in err
    assert "nothing imported" in err


# --- flags, --debug, internal errors, closed pipes ---------------------------------------------------


def _leaf_commands() -> list[list[str]]:
    parser = cli.build_parser()
    leaves = []
    for name, sub in parser._subparsers._group_actions[0].choices.items():
        actions = [a for a in sub._actions if a.__class__.__name__ == "_SubParsersAction"]
        if actions:
            leaves.extend([name, action] for action in actions[0].choices)
        else:
            leaves.append([name])
    return leaves


@pytest.mark.parametrize("argv", _leaf_commands(), ids=" ".join)
def test_every_command_rejects_an_unknown_flag_with_usage(capsys, argv):
    code, _, err = run(capsys, *argv, "--no-such-flag")
    # argparse names the unknown flag, or first the arguments that are missing
    assert code == EXIT_USAGE and err.startswith("usage: homeostat")
    assert "unrecognized arguments: --no-such-flag" in err or "the following arguments are required" in err


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    import homeostat_core.commands.doctor as doctor

    def broken(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(doctor, "doctor_command", broken)
    code, _, err = run(capsys, "doctor")
    assert code == EXIT_INTERNAL and "internal error: RuntimeError: boom" in err and "--debug" in err
    assert cli.main(["doctor", "--debug"]) == EXIT_INTERNAL
    assert "Traceback" in capsys.readouterr().err


def test_a_closed_output_pipe_exits_quietly():
    """`homeostat ... | head`: the reader is gone before we write; no traceback, no noise."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "homeostat_core.cli", "config", "check"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # like `head` exiting before we print
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == EXIT_PIPE_CLOSED
    assert stderr == ""


def test_an_unreachable_state_store_names_the_cause_and_the_way_out(monkeypatch, capsys):
    import socket

    from homeostat_core.settings import get_settings

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    try:
        code, _, err = run(capsys, "report")
    finally:
        get_settings.cache_clear()
    assert code == EXIT_ENVIRONMENT
    assert "the state store cannot be reached" in err and "refused" in err.lower() and "--state DIR" in err
    # the way out names what to check: the network, the endpoint, the region and the tables
    said = " ".join(err.split())
    assert f"network reaches the endpoint http://127.0.0.1:{port} (AWS_ENDPOINT_URL)" in said
    assert "region us-east-1 (AWS_REGION)" in said
    assert "tables homeostat-attempts, homeostat-patterns and homeostat-runs" in said
