"""Every command exits as README.md's "Exit codes" table says (issue 25): a walk over the real parser.

Each command of the parser has scenarios here (a failure of each kind it can have, and a success
where one is cheap); a command added without them fails the walk. Each scenario's code must be a
row of the README table, and a command that can exit 1 ("found problems") must be named in that row.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from homeostat_core import cli
from homeostat_core.local.runner import init_state
from tests.unit.cli.test_cli_help import commands

ROOT = Path(__file__).resolve().parents[3]
ISSUE = "examples/issues/notebridge/02-notes-json.md"
TRY_ISSUE = "examples/try/issues/01-badge-chrome.md"
CHROME_LINE = '{"type": "TypeError", "message": "x is undefined", "stack": "f@moz-extension://u/a.js:1:2"}\n'
NB = "littlebearapps/notebridge"

# command → [(what, argv after the command, stdin, code)]; {tmp} is a fresh folder, {state} a state
# folder Homeostat made (empty), {bad} a repos.yml with a problem, {nowhere} a path that is not there.
SCENARIOS: dict[str, list[tuple[str, list[str], str, int]]] = {
    "config check": [
        ("the bundled repos.yml", [], "", 0),
        ("a repos.yml with a problem", ["{bad}"], "", 1),
        ("no such file", ["{nowhere}"], "", 3),
    ],
    "fingerprint": [
        ("a JSON line", [], CHROME_LINE, 0),
        ("no input usable", [], "not json\n", 3),
        ("--maps not a folder", ["--maps", "{nowhere}"], CHROME_LINE, 3),
        ("--title without one --issue", ["--title", "x"], "", 2),
    ],
    "symbolicate": [
        ("no --maps", ["--issue", ISSUE], "", 2),
        ("--maps not a folder", ["--maps", "{nowhere}", "--issue", ISSUE], "", 3),
        ("no input usable", ["--maps", "{tmp}"], "not json\n", 3),
    ],
    "sourcemaps upload": [
        ("a version that is not X.Y.Z", ["{tmp}", "--repo", NB, "--version", "v1", "--bucket", "b"], "", 2),
        ("a folder without maps", ["{tmp}", "--repo", NB, "--version", "1.0.0", "--bucket", "b"], "", 3),
        ("no bucket", ["tests/fixtures/sourcemaps/v1.0.0", "--repo", NB, "--version", "1.0.0"], "", 4),
    ],
    "context": [
        ("the file is found", [TRY_ISSUE, "--checkout", "examples/try/extension"], "", 0),
        ("no file of the checkout", [ISSUE, "--checkout", "examples/try/extension"], "", 1),
        ("no such issue file", ["{nowhere}", "--checkout", "examples/try/extension"], "", 3),
    ],
    "attempts list": [
        ("a folder that is not a state folder", [NB, "--state", "{nowhere}"], "", 3),
        ("a repository the state does not know", ["nobody/nothing", "--state", "{state}"], "", 3),
    ],
    "patterns list": [("a folder that is not a state folder", ["--state", "{nowhere}"], "", 3)],
    "patterns export": [("a folder that is not a state folder", ["-", "--state", "{nowhere}"], "", 3)],
    "patterns import": [
        ("not JSON", ["{bad}", "--state", "{state}"], "", 3),
        ("entries with problems: nothing imported", ["{library}", "--state", "{state}"], "", 1),
    ],
    "report": [
        ("a folder that is not a state folder", ["--state", "{nowhere}"], "", 3),
        ("a repository the state does not know", ["--repo", "nobody/nothing", "--state", "{state}"], "", 3),
    ],
    "try": [
        ("no model: the context", ["examples/try/extension", "--issue", TRY_ISSUE], "", 0),
        ("no model, no file of the folder", ["examples/try/extension", "--issue", ISSUE], "", 1),
        ("no issue given", ["examples/try/extension"], "", 2),
        ("no such folder", ["{nowhere}", "--issue", TRY_ISSUE], "", 3),
    ],
    "local run": [
        ("a folder that is not a state folder", ["--state", "{tmp}"], "", 3),
        ("a repos.yml with a problem", ["--config", "{bad}", "--state", "{state}"], "", 3),
    ],
    "local ci": [
        ("a repository not configured", ["pass", "nobody/nothing", "1", "--state", "{state}"], "", 3),
        ("no such state folder", ["pass", NB, "1", "--state", "{nowhere}"], "", 3),
    ],
    "local merge": [("no such state folder", ["--all", "--state", "{nowhere}"], "", 3)],
    "local release": [
        ("a repository not configured", ["nobody/nothing", "1.0.0", "--state", "{state}"], "", 3),
    ],
    "local add-issue": [
        ("a repository not configured", ["nobody/nothing", ISSUE, "--state", "{state}"], "", 3),
        ("no such issue file", [NB, "{nowhere}", "--state", "{state}"], "", 3),
    ],
    "local comment": [
        ("a repository not configured", ["nobody/nothing", "1", "hi", "--state", "{state}"], "", 3),
        ("no such state folder", [NB, "1", "hi", "--state", "{nowhere}"], "", 3),
    ],
    "local demo": [("a folder that is not a state folder", ["--state", "{tmp}"], "", 3)],
    "doctor": [],  # 0 or 1 (what is missing here): test_doctor_exits_0_or_1
}


def leaf_commands() -> list[str]:
    found = []
    for path, parser, _ in commands(cli.build_parser()):
        if not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            found.append(" ".join(path[1:]))
    return found


def readme_exit_codes() -> dict[int, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("### Exit codes", 1)[1]
    return {int(code): meaning for code, meaning in re.findall(r"^\| (\d+) \| (.*) \|$", table, re.M)}


def test_every_command_of_the_parser_has_its_exit_codes_here():
    assert sorted(leaf_commands()) == sorted(SCENARIOS)


@pytest.mark.parametrize(
    ("command", "what", "argv", "stdin", "code"),
    [(c, *s) for c, scenarios in SCENARIOS.items() for s in scenarios],
    ids=lambda v: v if isinstance(v, str) and " " not in v.strip() else None,
)
def test_each_command_exits_as_documented(tmp_path, monkeypatch, capsys, command, what, argv, stdin, code):
    for name in ("HOMEOSTAT_LLM_BASE_URL", "HOMEOSTAT_SOURCEMAPS_BUCKET", "HOMEOSTAT_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "file.txt").write_text("x")
    init_state(tmp_path / "state")
    (tmp_path / "bad.yml").write_text("version: 1\nrepositories: []\n")
    (tmp_path / "library.json").write_text(json.dumps({"version": "1", "patterns": [{"id": 1}]}))
    places = {
        "{tmp}": tmp_path / "tmp",
        "{state}": tmp_path / "state",
        "{bad}": tmp_path / "bad.yml",
        "{library}": tmp_path / "library.json",
        "{nowhere}": tmp_path / "nowhere",
    }
    argv = [str(places.get(arg, arg)) for arg in argv]
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(stdin))
    try:
        got = cli.main([*command.split(), *argv])
    except SystemExit as exit_:  # argparse's usage errors
        got = exit_.code
    out, err = capsys.readouterr()
    assert got == code, f"homeostat {command} ({what}) exited {got}, documented {code}:\n{out}\n{err}"
    assert "Traceback" not in out + err
    documented = readme_exit_codes()
    assert code in documented, f"exit {code} is not a row of README's exit-code table"
    if code == 1:
        assert f"`{command}`" in documented[1], f"README's exit 1 row does not name `{command}`"


def test_doctor_exits_0_or_1_and_is_named_in_the_exit_1_row(capsys):
    assert cli.main(["doctor"]) in (0, 1)
    assert "`doctor`" in readme_exit_codes()[1]


def test_unknown_flags_exit_2_for_every_command(capsys):
    for command in leaf_commands():
        with pytest.raises(SystemExit) as exit_:
            cli.main([*command.split(), "--no-such-flag"])
        assert exit_.value.code == 2, command
    assert 2 in readme_exit_codes()
