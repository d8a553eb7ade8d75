"""The Forge port contract, run against the local adapter and the GitHub adapter (fake server)."""

from __future__ import annotations

import pytest

from homeostat_core.models import FileChange
from homeostat_core.ports import Forge, ForgeError, PathNotAllowed, branch_for
from homeostat_core.report.markers import issue_comment_marker, pr_marker
from tests.contract.conftest import FILES, Harness

FID = "a1b2c3d4e5f6"
BRANCH = branch_for(FID)


@pytest.fixture
def forge(forge_harness: Harness) -> Forge:
    return forge_harness.forge


def _fix(text: str = "fixed") -> list[FileChange]:
    return [
        FileChange(
            "src/app.js", f"export function run(user) {{\n  return user?.name?.trim(); // {text}\n}}\n"
        )
    ]


def test_forge_implements_the_port(forge):
    # Given either adapter / Then it satisfies the runtime-checkable Forge protocol
    assert isinstance(forge, Forge)
    assert forge.api_calls == 0


def test_lists_only_trigger_labelled_allowed_not_opted_out_issues(forge_harness: Harness, forge):
    # Given issues of every kind
    h = forge_harness
    wanted = h.add_issue("TypeError: x is undefined", "stack", ["robot"], "logger-bot")
    h.add_issue("no trigger label", "b", ["bug"], "logger-bot")
    h.add_issue("opted out", "b", ["robot", "do-not-fix"], "logger-bot")
    h.add_issue("stranger", "b", ["robot"], "someone-else")
    h.add_issue("a pull request", "b", ["robot"], "logger-bot", is_pull_request=True)
    second = h.add_issue("ReferenceError: y", "stack 2", ["robot", "extension"], "Logger-Bot")

    # When listing
    issues = forge.list_trigger_issues(h.repo)

    # Then only the eligible issues come back, with their fields
    assert sorted(i.number for i in issues) == sorted([wanted, second])
    first = next(i for i in issues if i.number == wanted)
    assert (first.title, first.body, first.author, first.state) == (
        "TypeError: x is undefined",
        "stack",
        "logger-bot",
        "open",
    )
    assert "robot" in first.labels
    assert first.created_at is not None


def test_read_file_at_branch_and_missing(forge_harness: Harness, forge):
    h = forge_harness
    assert forge.read_file(h.repo, "src/app.js") == FILES["src/app.js"]
    assert forge.read_file(h.repo, "src/app.js", ref="main") == FILES["src/app.js"]
    assert forge.read_file(h.repo, "src/missing.js") is None
    # a file on the fix branch is read through `ref`
    forge.upsert_pr(h.repo, FID, _fix(), "fix: TypeError", "body")
    assert "// fixed" in forge.read_file(h.repo, "src/app.js", ref=BRANCH)
    assert forge.read_file(h.repo, "src/app.js") == FILES["src/app.js"]


def test_upsert_creates_once_then_updates_the_same_pr(forge_harness: Harness, forge):
    h = forge_harness
    # Given no PR for the fingerprint
    assert forge.find_open_pr(h.repo, FID) is None

    # When the first upsert runs
    pr, created = forge.upsert_pr(h.repo, FID, _fix("one"), "fix: TypeError in app.js", "first body")

    # Then one PR exists on the deterministic branch, with the marker and the labels
    assert created is True
    assert pr.branch == BRANCH
    assert pr_marker(FID) in pr.body
    assert "// one" in h.file_on_branch(BRANCH, "src/app.js")
    assert h.file_on_branch(BRANCH, "README.md") == FILES["README.md"]  # rest of the tree kept
    [record] = h.prs()
    assert record["number"] == pr.number and record["state"] == "open"
    assert set(h.repo.labels) <= set(record["labels"])
    first_head = h.branch_sha(BRANCH)
    assert pr.head_sha == first_head

    # When the base moves and, in a later run (runs start by listing issues), a second upsert
    # runs for the same fingerprint
    h.push_to_base({"README.md": "# widget v2\n"})
    forge.list_trigger_issues(h.repo)
    found = forge.find_open_pr(h.repo, FID)
    pr2, created2 = forge.upsert_pr(
        h.repo, FID, _fix("two"), "fix: TypeError in app.js (2)", "second body", expected_head=pr.head_sha
    )

    # Then the same PR is updated: new head on the new base, new body, no duplicate
    assert found is not None and found.number == pr.number
    assert created2 is False
    assert pr2.number == pr.number
    assert h.branch_sha(BRANCH) != first_head == pr.head_sha
    assert pr2.head_sha == h.branch_sha(BRANCH)
    assert "// two" in h.file_on_branch(BRANCH, "src/app.js")
    assert h.file_on_branch(BRANCH, "README.md") == "# widget v2\n"
    [record] = h.prs()
    assert record["body"].startswith("second body") and pr_marker(FID) in record["body"]
    assert record["title"] == "fix: TypeError in app.js (2)"


def test_a_follow_up_is_a_new_commit_on_top_and_the_failed_one_stays(forge_harness: Harness, forge):
    h = forge_harness
    # Given Homeostat's PR with one commit, which CI failed
    pr, _ = forge.upsert_pr(h.repo, FID, _fix("one"), "fix: TypeError in app.js", "first body")
    failed = pr.head_sha
    assert h.commits_ahead(BRANCH) == [failed]

    # When the follow-up fix is pushed (the base has not moved)
    pr2, _ = forge.upsert_pr(h.repo, FID, _fix("two"), "fix (2)", "second", expected_head=failed)

    # Then it is one more commit on top: the failed commit is still the branch's history
    assert h.commits_ahead(BRANCH) == [pr2.head_sha, failed]
    assert forge.commit_contains(h.repo, pr2.head_sha, failed)
    assert "// two" in h.file_on_branch(BRANCH, "src/app.js")

    # When the base moves and a third fix follows
    h.push_to_base({"README.md": "# widget v2\n"})
    forge.list_trigger_issues(h.repo)
    pr3, _ = forge.upsert_pr(h.repo, FID, _fix("three"), "fix (3)", "third", expected_head=pr2.head_sha)

    # Then it too sits on top of both earlier commits, and brings the new base in
    ahead = h.commits_ahead(BRANCH)
    assert ahead[0] == pr3.head_sha and set(ahead[1:]) == {pr2.head_sha, failed}
    assert h.file_on_branch(BRANCH, "README.md") == "# widget v2\n"
    assert "// three" in h.file_on_branch(BRANCH, "src/app.js")


def test_crash_between_branch_push_and_pr_converges_to_one_pr(forge_harness: Harness, forge):
    h = forge_harness
    # Given a run that pushed the branch and died before opening the PR
    h.fail_next_pr_creation()
    with pytest.raises((ForgeError, OSError)):
        forge.upsert_pr(h.repo, FID, _fix("crashed"), "fix", "body")
    assert h.branch_sha(BRANCH) is not None
    assert h.prs() == []

    # When the next run upserts again
    pr, created = forge.upsert_pr(h.repo, FID, _fix("retry"), "fix", "body")

    # Then the branch is reused and exactly one PR exists
    assert created is True
    assert [p["number"] for p in h.prs()] == [pr.number]
    assert "// retry" in h.file_on_branch(BRANCH, "src/app.js")
    assert forge.find_open_pr(h.repo, FID).number == pr.number


@pytest.mark.parametrize(
    "bad_path", ["src/vendor/lib.js", "README.md", "../outside.js", "/etc/passwd", ".github/workflows/x.yml"]
)
def test_path_filters_refused_and_nothing_written(forge_harness: Harness, forge, bad_path):
    h = forge_harness
    changes = [*_fix(), FileChange(bad_path, "evil\n")]
    with pytest.raises(PathNotAllowed):
        forge.upsert_pr(h.repo, FID, changes, "fix", "body")
    assert h.branch_sha(BRANCH) is None
    assert h.prs() == []
    if h.fake is not None:  # not one write request reached GitHub
        assert h.fake.count(method="POST") == h.fake.count(method="PATCH") == 0


def test_comment_once_then_edited(forge_harness: Harness, forge):
    h = forge_harness
    issue = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    forge.list_trigger_issues(h.repo)
    marker = issue_comment_marker(FID)

    forge.comment_on_issue(h.repo, issue, "Opened a fix: PR #1", marker)
    forge.comment_on_issue(h.repo, issue, "Updated the fix: PR #1", marker)
    forge.comment_on_issue(h.repo, issue, "A different note", issue_comment_marker("other"))

    comments = h.comments(issue)
    assert len(comments) == 2
    ours = next(c for c in comments if marker in c)
    assert ours.startswith("Updated the fix: PR #1")


def test_labels_added_to_issue(forge_harness: Harness, forge):
    h = forge_harness
    issue = h.add_issue("unparseable", "garbage", ["robot"], "logger-bot")
    forge.add_labels(h.repo, issue, ["homeostat-unparseable"])
    forge.add_labels(h.repo, issue, ["homeostat-unparseable", "triage"])
    assert h.labels(issue) == ["robot", "homeostat-unparseable", "triage"]


@pytest.mark.parametrize("state", ["success", "failure", "pending"])
def test_check_results_reported_by_head_sha(forge_harness: Harness, forge, state):
    h = forge_harness
    pr, _ = forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    nothing = forge.get_check_results(h.repo, pr.head_sha)
    assert (nothing.state, nothing.checks) == ("none", 0)  # no check and no status at all

    h.set_checks(pr.head_sha, state, "2 tests failed in app.test.js")
    result = forge.get_check_results(h.repo, pr.head_sha)

    assert result.state == state
    assert result.checks == 2
    if state == "failure":
        assert "tests" in result.summary and "2 tests failed" in result.summary


def test_api_calls_count_operations(forge_harness: Harness, forge):
    h = forge_harness
    before = forge.api_calls
    forge.read_file(h.repo, "src/app.js")
    assert forge.api_calls > before


def test_links_to_lines_point_at_the_base_commit(forge_harness: Harness, forge):
    h = forge_harness
    commit = forge.base_commit(h.repo)
    assert commit == h.branch_sha("main")
    url = forge.line_url(h.repo, commit, "src/app.js", 2)
    assert url.endswith("src/app.js#L2")
    if h.kind == "github":
        # the fake server's own root (github.com for api.github.com: test below)
        assert url.startswith("http://127.0.0.1:") and url.endswith(
            f"/acme/widget/blob/{commit}/src/app.js#L2"
        )
    else:  # the work tree holds the base branch: the linked file is the base commit's
        from pathlib import Path
        from urllib.parse import urlsplit

        local = Path(urlsplit(url).path)
        assert local.read_text() == FILES["src/app.js"] == h.file_on_branch("main", "src/app.js")


def test_github_links_go_where_people_browse():
    from homeostat_core.adapters.github_forge import web_root

    assert web_root("https://api.github.com") == "https://github.com"
    assert web_root("https://ghe.example.com/api/v3/") == "https://ghe.example.com"
