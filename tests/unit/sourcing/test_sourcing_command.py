"""`homeostat context`: one JSON object (or a table) of what the model would be shown, with no
AWS credentials, no network and no model; bad input fails with one message and its exit code."""

from __future__ import annotations

import json

import pytest

from homeostat_core import cli
from homeostat_core.commands._errors import EXIT_INPUT, EXIT_PROBLEMS, EXIT_USAGE
from tests.fixtures.context_layouts.layouts import LAYOUTS

TS = next(layout for layout in LAYOUTS if layout.name == "ts-bundle-no-map")
PER_BROWSER = next(layout for layout in LAYOUTS if layout.name == "per-browser-copies")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, " ".join(err.split())


@pytest.fixture
def offline(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens there


@pytest.fixture
def checkout(tmp_path):
    repo = TS.write_repo(tmp_path / "tab-shepherd")
    issue = tmp_path / "issue.md"
    issue.write_text(TS.issue_markdown())
    return repo, issue


def test_prints_the_file_the_rule_the_windows_and_the_prompt_size(capsys, offline, checkout):
    repo, issue = checkout
    code, out, err = run(capsys, "context", str(issue), "--checkout", str(repo))
    data = json.loads(out)
    assert code == 0 and err == ""
    assert (data["filePath"], data["resolvedBy"]) == ("src/background/tab-groups.ts", "symbol")
    first = data["windows"][0]
    assert first["path"] == "src/background/tab-groups.ts" and first["start"] <= 41 <= first["end"]
    assert "function name" in first["why"] and data["promptTokens"] > 0
    assert data["resolution"]["confidence"] < 1


def test_a_plain_folder_is_read_as_it_is_on_disk(capsys, offline, tmp_path):
    folder = tmp_path / "unpacked"
    for path, text in PER_BROWSER.files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    (folder / "firefox" / "js" / "escape.js").symlink_to("/etc/passwd")
    issue = tmp_path / "issue.md"
    issue.write_text(PER_BROWSER.issue_markdown())
    code, out, _ = run(capsys, "context", str(issue), "--checkout", str(folder), "--format", "table")
    assert code == 0
    assert out.splitlines()[0].split() == ["file", "firefox/js/popup.js"]
    assert "chrome/js/popup.js" in out and "per-browser copy" in out


def test_the_config_gives_the_repository_keys(capsys, offline, checkout, tmp_path):
    repo, issue = checkout
    config = tmp_path / "repos.yml"
    config.write_text(
        "version: 1\nrepositories:\n"
        "  - {slug: acme/tabs, branch: main, max_prs_per_run: 1, labels: [], path_filters: {include: [public/]}}\n"
        "  - {slug: acme/other, branch: main, max_prs_per_run: 1, labels: [], path_filters: {include: [.]}}\n"
    )
    code, out, _ = run(
        capsys, "context", str(issue), "--checkout", str(repo), "--config", str(config), "--repo", "acme/tabs"
    )
    data = json.loads(out)
    # Then nothing outside the path filters is shown: no source, said why, exit 1
    assert code == EXIT_PROBLEMS
    assert (data["filePath"], data["reason"], data["windows"]) == (None, "no_source", [])
    code, _, err = run(capsys, "context", str(issue), "--checkout", str(repo), "--config", str(config))
    assert code == EXIT_INPUT and "pass --repo with one of: acme/tabs, acme/other" in err


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing issue", "no such file"),
        ("issue is a folder", "is a folder"),
        ("not an error report", "not an error report"),
        ("no front matter title", "no title"),
        ("checkout is not a folder", "not a folder"),
        ("bad config", "problem(s)"),
    ],
)
def test_bad_input_is_one_message_and_exit_3(capsys, offline, checkout, tmp_path, case, message):
    repo, issue = checkout
    argv = ["context", str(issue), "--checkout", str(repo)]
    if case == "missing issue":
        argv[1] = str(tmp_path / "nope.md")
    elif case == "issue is a folder":
        argv[1] = str(tmp_path)
    elif case == "not an error report":
        issue.write_text("---\ntitle: hello\n---\nno error here\n")
    elif case == "no front matter title":
        issue.write_text("just text\n")
    elif case == "checkout is not a folder":
        argv[3] = str(issue)
    else:
        bad = tmp_path / "repos.yml"
        bad.write_text("version: 1\nrepositories: [{slug: x}]\n")
        argv += ["--config", str(bad)]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (EXIT_INPUT, "")
    assert message in err


def test_a_report_without_any_location_is_no_frames(capsys, offline, checkout):
    repo, issue = checkout
    text = TS.issue_markdown()
    start, end = text.index("## Stack Trace"), text.index("## Breadcrumbs")
    issue.write_text(
        text[:start] + "## Stack Trace\n```\nTypeError: boom\n    at <anonymous>\n```\n\n" + text[end:]
    )
    code, out, _ = run(capsys, "context", str(issue), "--checkout", str(repo))
    assert code == EXIT_PROBLEMS and json.loads(out)["reason"] == "no_frames"


def test_flags_are_checked(capsys, checkout):
    _, issue = checkout
    code, _, err = run(capsys, "context", str(issue))
    assert code == EXIT_USAGE and "--checkout" in err
