"""LocalForge's local-only helpers: seeding from folders, merging, closing, diffs, checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.models import FileChange
from homeostat_core.ports import ForgeError
from tests.contract.conftest import FILES, REPO


@pytest.fixture
def seeded(tmp_path: Path) -> LocalForge:
    source = tmp_path / "source"
    for path, content in FILES.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(content)
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "01-type-error.md").write_text(
        "---\ntitle: 'TypeError: x is undefined'\nlabels: [robot]\nauthor: logger-bot\n---\nStack:\n  at run (src/app.js:2:15)\n"
    )
    (issues / "02-numbered.md").write_text(
        "---\nnumber: 9\ntitle: Numbered\nlabels: [robot]\nauthor: logger-bot\n---\nbody\n"
    )
    (issues / "03-closed.md").write_text(
        "---\ntitle: Old\nlabels: [robot]\nauthor: logger-bot\nstate: closed\n---\nold\n"
    )
    forge = LocalForge(tmp_path / "forge")
    forge.seed_repo(REPO, source, issues)
    return forge


def test_seed_repo_makes_one_commit_and_loads_issues(seeded: LocalForge, tmp_path: Path):
    work = tmp_path / "forge" / "acme" / "widget" / "repo"
    log = subprocess.run(
        ["git", "-C", str(work), "log", "--format=%s", "main"], capture_output=True, text=True
    )
    assert log.stdout.splitlines() == ["Initial commit"]
    assert seeded.read_file(REPO, "src/app.js") == FILES["src/app.js"]
    open_issues = seeded.list_trigger_issues(REPO)
    assert [(i.number, i.title) for i in open_issues] == [(1, "TypeError: x is undefined"), (9, "Numbered")]
    assert open_issues[0].body.startswith("Stack:")
    assert seeded.add_issue(REPO, "next", "b", ["robot"], "logger-bot") == 11  # after 9 and the closed 10


def test_merge_pr_merges_into_base_and_closes(seeded: LocalForge):
    pr, _ = seeded.upsert_pr(REPO, "abc", [FileChange("src/app.js", "fixed\n")], "fix", "body")
    assert "+fixed" in seeded.pr_diff(REPO, pr.number)
    merged = seeded.merge_pr(REPO, pr.number)
    assert (merged.state, merged.merged) == ("closed", True)
    assert seeded.read_file(REPO, "src/app.js") == "fixed\n"
    assert seeded.find_open_pr(REPO, "abc") is None
    assert seeded.list_prs(REPO, state="open") == []
    with pytest.raises(ForgeError):
        seeded.merge_pr(REPO, pr.number)


def test_closed_pr_is_not_reused(seeded: LocalForge):
    first, _ = seeded.upsert_pr(REPO, "abc", [FileChange("src/app.js", "one\n")], "fix", "body")
    seeded.close_pr(REPO, first.number)
    second, created = seeded.upsert_pr(REPO, "abc", [FileChange("src/app.js", "two\n")], "fix", "body")
    assert created and second.number != first.number
    assert [p.state for p in seeded.list_prs(REPO)] == ["closed", "open"]


def test_checks_are_stored_per_commit_and_validated(seeded: LocalForge):
    pr, _ = seeded.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    seeded.set_check(REPO, pr.head_sha, "tests", "failure", "1 failed")
    seeded.set_check(REPO, pr.head_sha, "lint", "success")
    seeded.set_check(REPO, pr.head_sha, "tests", "failure", "2 failed")  # a re-run replaces its own result
    result = seeded.get_check_results(REPO, pr.head_sha)
    assert (result.state, result.summary, result.checks) == ("failure", "failing: tests: 2 failed", 2)
    base = seeded.branch_sha(REPO, "main")
    assert seeded.get_check_results(REPO, base).state == "none"  # another commit has its own checks
    with pytest.raises(ValueError):
        seeded.set_check(REPO, pr.head_sha, "tests", "green")
    with pytest.raises(ForgeError):
        seeded.set_check(REPO, "0" * 40, "tests", "success")
    with pytest.raises(ForgeError):
        seeded.get_check_results(REPO, "../../etc/passwd")
    with pytest.raises(ForgeError):
        seeded.comment_on_issue(REPO, 999, "x", "<!-- m -->")


def test_homeostat_commits_carry_its_login_and_people_commit_as_themselves(seeded: LocalForge):
    pr, _ = seeded.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    assert seeded.commit_author(REPO, pr.head_sha) == ("homeostat[bot]", "homeostat[bot]")
    sha = seeded.commit_as(REPO, pr.branch, "alice", [FileChange("src/app.js", "y\n")])
    assert seeded.commit_author(REPO, sha) == ("alice", "alice")
    assert seeded.read_file(REPO, "src/app.js", ref=pr.branch) == "y\n"
    custom = LocalForge(seeded.root, login="fixer-bot")
    assert custom.whoami() == "fixer-bot"
    assert custom.find_open_pr(REPO, "abc") is None  # homeostat[bot]'s PR is not fixer-bot's


def test_person_closing_a_pr_is_recorded(seeded: LocalForge):
    pr, _ = seeded.upsert_pr(REPO, "abc", [FileChange("src/app.js", "x\n")], "fix", "body")
    closed = seeded.close_pr_as(REPO, pr.number, "alice")
    assert (closed.state, closed.merged, closed.closed_at is not None) == ("closed", False, True)
    assert seeded.pr_record(REPO, pr.number)["closed_by"] == "alice"
    assert seeded.find_open_pr(REPO, "abc") is None


def test_release_bumps_the_manifest_tags_the_default_branch_and_refuses_a_second_time(tmp_path: Path):
    source = tmp_path / "source"
    (source / "src").mkdir(parents=True)
    (source / "src" / "app.js").write_text("export const run = () => 1;\n")
    (source / "manifest.json").write_text('{\n  "name": "Widget",\n  "version": "1.2.0"\n}\n')
    forge = LocalForge(tmp_path / "forge")
    forge.seed_repo(REPO, source)
    before = forge.branch_sha(REPO, "main")

    released = forge.release(REPO, "1.3.0")

    # a bump commit on main, tagged: the release is the tag's commit
    assert released == forge.branch_sha(REPO, "main") != before
    assert forge.read_file(REPO, "manifest.json") == '{\n  "name": "Widget",\n  "version": "1.3.0"\n}\n'
    assert [(r.version, r.tag, r.sha) for r in forge.list_releases(REPO)] == [("1.3.0", "v1.3.0", released)]
    assert forge.commit_contains(REPO, released, before)
    with pytest.raises(ForgeError, match="already has a tag v1.3.0"):
        forge.release(REPO, "1.3.0")
    with pytest.raises(ForgeError, match="not a version"):
        forge.release(REPO, "next")
    # a version the manifest already says is tagged without a new commit
    forge.commit_as(REPO, "main", "maintainer", [FileChange("manifest.json", '{"version": "1.4.0"}\n')])
    bumped = forge.branch_sha(REPO, "main")
    assert forge.release(REPO, "1.4.0") == bumped == forge.branch_sha(REPO, "main")
