"""Trust at the forge (#11 item 1), both adapters: Homeostat acts only on what it can prove is its
own, and nobody else's PR or branch, whatever its name, is touched or blocks a fingerprint.

Each test tries to break the rule the way a stranger could: a fork PR on Homeostat's branch name
(carrying Homeostat's marker), a same-repo PR by someone else on that name, a stranger's branch
with that name and no PR, a reviewer's commit pushed onto Homeostat's branch.
"""

from __future__ import annotations

import pytest

from homeostat_core.models import FileChange
from homeostat_core.ports import ForeignCommits, NotOwnPullRequest, branch_for
from homeostat_core.report.markers import issue_comment_marker, pr_marker
from tests.contract.conftest import Harness

FID = "a1b2c3d4e5f6"
BRANCH = branch_for(FID)


def _fix(text: str = "fixed") -> list[FileChange]:
    return [FileChange("src/app.js", f"export function run(user) {{\n  return user?.name; // {text}\n}}\n")]


def _untouched(h: Harness, number: int, before: dict) -> None:
    after = next(p for p in h.prs() if p["number"] == number)
    for key in ("title", "body", "state", "labels", "head_sha", "draft", "requested_reviewers"):
        if key in before:
            assert after[key] == before[key], key
    assert h.comments(number) == []


def _refuses_every_write(h: Harness, number: int) -> None:
    forge = h.forge
    for write in (
        lambda: forge.close_pr(h.repo, number),
        lambda: forge.mark_ready(h.repo, number),
        lambda: forge.request_reviewers(h.repo, number, ["alice"]),
        lambda: forge.comment_on_pr(h.repo, number, "Homeostat was here", issue_comment_marker(FID)),
    ):
        with pytest.raises(NotOwnPullRequest):
            write()


def test_whoami_is_the_author_of_prs_and_commits(forge_harness: Harness):
    h = forge_harness
    me = h.forge.whoami()
    assert me and me == h.forge.whoami()
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    assert (pr.author, pr.head_repo) == (me, h.repo.slug)
    assert h.commit_author(pr.head_sha) == me
    [record] = h.prs()
    assert record["author"] == me
    assert [p.number for p in h.forge.list_own_open_prs(h.repo)] == [pr.number]


def test_fork_pr_on_homeostats_branch_name_is_never_ours(forge_harness: Harness):
    h = forge_harness
    # Given a fork PR on branch homeostat/fix-<id> whose body even carries Homeostat's marker
    fork_pr = h.open_pr_as("mallory", BRANCH, f"totally homeostat\n{pr_marker(FID)}", "mallory/widget")
    before = next(p for p in h.prs() if p["number"] == fork_pr)

    # Then it is not Homeostat's open PR for that fingerprint, nor among its own
    assert h.forge.find_open_pr(h.repo, FID) is None
    assert h.forge.list_own_open_prs(h.repo) == []
    fetched = h.forge.get_pr(h.repo, fork_pr)
    assert fetched is not None and fetched.head_repo == "mallory/widget" and fetched.author == "mallory"

    # When Homeostat upserts a fix for that fingerprint
    pr, created = h.forge.upsert_pr(h.repo, FID, _fix(), "fix: TypeError", "our body")

    # Then it opens its own PR on another branch name and leaves the fork PR alone
    assert created and pr.number != fork_pr
    assert pr.branch == f"{BRANCH}-2"
    _untouched(h, fork_pr, before)
    _refuses_every_write(h, fork_pr)
    _untouched(h, fork_pr, before)
    assert h.forge.find_open_pr(h.repo, FID).number == pr.number


def test_same_repo_pr_by_someone_else_on_the_branch_name_is_never_ours(forge_harness: Harness):
    h = forge_harness
    their_head = h.commit_as(BRANCH, "eve", {"src/app.js": "eve was here\n"})
    theirs = h.open_pr_as("eve", BRANCH, pr_marker(FID))
    before = next(p for p in h.prs() if p["number"] == theirs)

    assert h.forge.find_open_pr(h.repo, FID) is None
    pr, created = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body", expected_head=their_head)

    # even told "you pushed their head", Homeostat does not take over a PR it did not open
    assert created and pr.branch == f"{BRANCH}-2" and pr.number != theirs
    assert h.branch_sha(BRANCH) == their_head
    assert h.file_on_branch(BRANCH, "src/app.js") == "eve was here\n"
    _untouched(h, theirs, before)
    _refuses_every_write(h, theirs)
    with pytest.raises(NotOwnPullRequest):  # nor can a lifecycle step clean up after it
        h.forge.close_pr(h.repo, theirs)


def test_strangers_branch_with_that_name_and_no_pr_is_left_alone(forge_harness: Harness):
    h = forge_harness
    their_head = h.commit_as(BRANCH, "stranger", {"src/app.js": "mine\n"})

    pr, created = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")

    assert created and pr.branch == f"{BRANCH}-2"
    assert h.branch_sha(BRANCH) == their_head
    assert h.branch_sha(pr.branch) == pr.head_sha
    # and the next run finds Homeostat's PR on the suffixed branch and updates it there
    h.forge.list_trigger_issues(h.repo)
    found = h.forge.find_open_pr(h.repo, FID)
    assert found is not None and found.branch == f"{BRANCH}-2"
    pr2, created2 = h.forge.upsert_pr(h.repo, FID, _fix("two"), "fix", "body", expected_head=pr.head_sha)
    assert (created2, pr2.number, pr2.branch) == (False, pr.number, f"{BRANCH}-2")
    assert h.branch_sha(BRANCH) == their_head


def test_a_persons_commit_on_homeostats_branch_is_never_overwritten(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix("one"), "fix", "first body")
    before = next(p for p in h.prs() if p["number"] == pr.number)

    # Given a reviewer pushes a fix-up commit onto Homeostat's branch
    reviewer_head = h.commit_as(pr.branch, "reviewer", {"src/app.js": "reviewer's version\n"})
    h.forge.list_trigger_issues(h.repo)

    # When Homeostat tries to move the branch from what it last pushed
    with pytest.raises(ForeignCommits) as refused:
        h.forge.upsert_pr(h.repo, FID, _fix("two"), "fix 2", "second body", expected_head=pr.head_sha)

    # Then it refuses, says where the branch is, and wrote nothing
    assert refused.value.branch_head == reviewer_head
    assert refused.value.branch == pr.branch
    assert h.branch_sha(pr.branch) == reviewer_head
    assert h.file_on_branch(pr.branch, "src/app.js") == "reviewer's version\n"
    after = next(p for p in h.prs() if p["number"] == pr.number)
    assert (after["title"], after["body"]) == (before["title"], before["body"])


def test_existing_pr_without_expected_head_is_refused(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix("one"), "fix", "body")
    with pytest.raises(ForeignCommits):
        h.forge.upsert_pr(h.repo, FID, _fix("two"), "fix", "body")  # no record of what it pushed
    with pytest.raises(ForeignCommits):
        h.forge.upsert_pr(h.repo, FID, _fix("two"), "fix", "body", expected_head="0" * 40)
    assert h.branch_sha(pr.branch) == pr.head_sha


def test_crash_leftover_branch_ending_at_homeostats_commit_is_reused(forge_harness: Harness):
    h = forge_harness
    h.fail_next_pr_creation()
    with pytest.raises(Exception):  # noqa: B017 - either forge's crash
        h.forge.upsert_pr(h.repo, FID, _fix("crashed"), "fix", "body")
    leftover = h.branch_sha(BRANCH)
    assert leftover is not None and h.commit_author(leftover) == h.forge.whoami()

    pr, created = h.forge.upsert_pr(h.repo, FID, _fix("retry"), "fix", "body", expected_head=leftover)

    assert created and pr.branch == BRANCH  # no -2: the leftover was Homeostat's own
    assert [p["branch"] for p in h.prs()] == [BRANCH]


def test_a_pr_by_homeostats_login_from_a_fork_is_not_its_own(forge_harness: Harness):
    h = forge_harness
    me = h.forge.whoami()
    forked = h.open_pr_as(me, BRANCH, pr_marker(FID), f"{me.split('[')[0]}/widget")
    assert h.forge.get_pr(h.repo, forked).head_sha  # filled for every PR, forks included
    assert h.forge.find_open_pr(h.repo, FID) is None
    _refuses_every_write(h, forked)
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    assert pr.branch == f"{BRANCH}-2"
