"""`homeostat try` on a newcomer's own extension (examples/try): to a draft PR through the real
OpenAI client and a scripted OpenAI-compatible server on 127.0.0.1, or, with no model, to the
context the model would be shown. Also `local run --config`: the file alone drives the run."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.cli import main
from homeostat_core.commands.try_extension import trace_issue, try_repo
from homeostat_core.intake import parse_issue
from homeostat_core.local.runner import EXAMPLES

pytestmark = pytest.mark.xdist_group("e2e")

TRY = EXAMPLES / "try"
CHROME, FIREFOX = TRY / "issues" / "01-badge-chrome.md", TRY / "issues" / "02-badge-firefox.md"


def _git_extension(tmp_path):
    """examples/try/extension as the user's own git repository, with an ignored build folder."""
    ext = tmp_path / "my-extension"
    shutil.copytree(TRY / "extension", ext)
    (ext / ".gitignore").write_text("dist/\n")
    (ext / "dist").mkdir()
    (ext / "dist" / "bundle.js").write_text("// built\n")
    for command in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=me", "-c", "user.email=me@x", "commit", "-qm", "init"],
    ):
        subprocess.run(["git", "-C", str(ext), *command], check=True)
    return ext


@pytest.fixture
def no_model(monkeypatch):
    for key in ("HOMEOSTAT_LLM_BASE_URL", "DEEPSEEK_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)


def test_try_with_a_model_opens_one_draft_pr_for_the_chrome_and_firefox_reports(
    tmp_path, monkeypatch, no_model, capsys
):
    ext = _git_extension(tmp_path)
    before = {p: p.read_bytes() for p in ext.rglob("*") if p.is_file()}
    state = tmp_path / "state"
    with ScriptedLlmServer(TRY / "llm-script.yaml") as model:
        monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", model.base_url)
        code = main(["try", str(ext), "--issue", str(CHROME), "--issue", str(FIREFOX), "--state", str(state)])
        requests = list(model.requests)
    captured = capsys.readouterr()
    out = captured.out

    assert code == 0, out + captured.err
    forge = LocalForge(state / "forge")
    repo = try_repo("try/tabtally")
    prs = forge.list_prs(repo, state="open")
    assert [pr.draft for pr in prs] == [True]
    assert "#1" in prs[0].body and "#2" in prs[0].body  # one fingerprint, both reports linked
    diff = forge.pr_diff(repo, prs[0].number)
    assert "+  if (!busiest) {" in diff
    assert f"draft PR #{prs[0].number}" in out and "+  if (!busiest) {" in out
    assert len(requests) == 1
    # the model was shown the user's code, copied from git: tracked and not ignored files only
    assert "busiestWindow" in str(requests[0])
    assert forge.read_file(repo, "dist/bundle.js") is None
    assert forge.read_file(repo, "popup.js") is not None
    # the user's folder is never written
    assert {p: p.read_bytes() for p in ext.rglob("*") if p.is_file()} == before

    # docs/TRY.md step 5: `local merge` leaves a draft (its CI has not passed; GitHub refuses to
    # merge drafts) until CI passes on it, or --include-drafts says to merge drafts too
    follow = ["--state", str(state), "--config", str(state / "repos.yml")]
    number = str(prs[0].number)
    assert main(["local", "merge", "--all", *follow]) == 0
    assert f"left draft PR #{number} of try/tabtally" in capsys.readouterr().out
    assert forge.get_pr(repo, prs[0].number).state == "open"
    assert main(["local", "ci", "pass", "try/tabtally", number, *follow]) == 0
    assert main(["local", "merge", "--all", *follow]) == 0
    assert f"merged try/tabtally PR #{number} (CI passed)" in capsys.readouterr().out
    assert forge.get_pr(repo, prs[0].number).merged


def test_local_merge_include_drafts_merges_a_draft(tmp_path, monkeypatch, no_model, capsys):
    state = tmp_path / "state"
    with ScriptedLlmServer(TRY / "llm-script.yaml") as model:
        monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", model.base_url)
        assert main(["try", str(TRY / "extension"), "--issue", str(CHROME), "--state", str(state)]) == 0
    follow = ["--state", str(state), "--config", str(state / "repos.yml")]
    assert main(["local", "merge", "--all", "--include-drafts", *follow]) == 0
    assert "merged try/tabtally PR #2 (CI none: not learned from)" in capsys.readouterr().out
    assert LocalForge(state / "forge").get_pr(try_repo("try/tabtally"), 2).merged


def test_try_without_a_model_prints_the_context_and_how_to_connect_one(tmp_path, no_model, capsys):
    code = main(["try", str(TRY / "extension"), "--issue", str(CHROME), "--trace", str(TRY / "trace.txt")])
    out = capsys.readouterr().out

    assert code == 0
    assert out.count("file         background.js") == 2
    assert "12-21     the top frame" in out
    assert "2 of 2 issue(s) point at a file a fix would edit; no model was asked" in out
    assert "HOMEOSTAT_LLM_BASE_URL" in out and "docs/TRY.md" in out


def test_try_without_a_model_exits_1_when_an_issue_points_at_no_file_of_the_extension(
    tmp_path, no_model, capsys
):
    trace = tmp_path / "trace.txt"
    trace.write_text("TypeError: x is undefined\n    at load (chrome-extension://abc/src/missing.js:3:1)\n")
    code = main(["try", str(TRY / "extension"), "--trace", str(trace)])
    out = capsys.readouterr().out
    assert code == 1
    assert "0 of 1 issue(s)" in out


def test_try_refuses_no_issue_and_an_unreachable_model(tmp_path, monkeypatch, no_model, capsys):
    assert main(["try", str(TRY / "extension")]) == 2
    assert "no issue given" in capsys.readouterr().err
    assert main(["try", str(tmp_path / "nowhere"), "--issue", str(CHROME)]) == 3
    monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    assert main(["try", str(TRY / "extension"), "--issue", str(CHROME), "--state", str(tmp_path / "s")]) == 4
    assert "cannot be reached" in capsys.readouterr().err


@pytest.mark.parametrize(
    "trace, error_type, message",
    [
        (
            "Uncaught (in promise) TypeError: Cannot read properties of null (reading 'tabs')\n"
            "    at updateBadge (chrome-extension://gpdj/background.js:17:25)\n",
            "TypeError",
            "Cannot read properties of null (reading 'tabs')",
        ),
        ("updateBadge@moz-extension://5b0c/background.js:17:25\n", "Error", "error in updateBadge"),
    ],
)
def test_a_pasted_trace_becomes_an_issue_the_intake_reads(trace, error_type, message):
    issue = trace_issue(trace, "TabTally", "1.4.2", "trace.txt")
    report = parse_issue(issue["title"], issue["body"], issue["labels"])
    assert (report.error_type, report.message) == (error_type, message)
    assert report.extension_version == "1.4.2"
    assert [(f.path, f.line) for f in report.frames][:1] == [("background.js", 17)]


def test_local_run_config_alone_says_which_repositories_run(tmp_path, no_model, capsys):
    mine = tmp_path / "mine.yml"
    mine.write_text(
        "version: 1\nrepositories:\n  - slug: littlebearapps/palette-kit\n    branch: main\n"
        "    max_prs_per_run: 1\n    labels: [homeostat-fix]\n    path_filters: {include: [src/]}\n"
    )
    state = tmp_path / "state"
    assert main(["local", "run", "--config", str(mine), "--state", str(state)]) == 0
    out = capsys.readouterr().out
    assert "scheduler queued 1 repo runs" in out
    assert "convert-my-file" not in out and "notebridge" not in out
    # a slug the file does not list is an error (exit 3, README "Exit codes"), for every action
    for argv in (
        ["local", "ci", "pass", "littlebearapps/notebridge", "1"],
        ["local", "release", "littlebearapps/notebridge", "1.3.0"],
        ["local", "add-issue", "littlebearapps/notebridge", str(CHROME)],
    ):
        assert main([*argv, "--config", str(mine), "--state", str(state)]) == 3, argv
        assert "not among the configured repositories" in capsys.readouterr().err
