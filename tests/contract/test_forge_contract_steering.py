"""The SteeringForge port (permission, comments and reviews read back, a commit on top of
Homeostat's PR, back to draft), run against the local adapter and the GitHub adapter (fake
server, real REST shapes)."""

from __future__ import annotations

import pytest

from homeostat_core.models import FileChange
from homeostat_core.ports import ForeignCommits, NotOwnPullRequest, PathNotAllowed, branch_for
from homeostat_core.steering.port import WRITE_PERMISSIONS, SteeringForge
from tests.contract.conftest import SLUG, Harness

FID = "5733e1ab0001"
BRANCH = branch_for(FID)


def _fix(text: str) -> list[FileChange]:
    return [FileChange("src/app.js", f"export function run(user) {{\n  return user?.name; // {text}\n}}\n")]


def set_collaborator(h: Harness, login: str, permission: str) -> None:
    if h.kind == "github":
        h.fake.set_collaborator(SLUG, login, permission)
    else:
        h.forge.set_collaborator(h.repo, login, permission)


def comment_as(h: Harness, number: int, body: str, login: str) -> int:
    if h.kind == "github":
        return h.fake.add_comment(SLUG, number, body, login)
    return h.forge.comment_as(h.repo, number, body, login)


def review_as(h: Harness, number: int, body: str, login: str, state: str = "changes_requested") -> int:
    if h.kind == "github":
        return h.fake.add_review(SLUG, number, body, login, state.upper())
    return h.forge.review_as(h.repo, number, body, login, state)


def review_comment_as(
    h: Harness, number: int, body: str, login: str, path: str, line: int, review_id: int | None = None
) -> int:
    if h.kind == "github":
        return h.fake.add_review_comment(SLUG, number, body, login, path, line, review_id)
    return h.forge.review_comment_as(h.repo, number, body, login, path, line, review_id)


def commits_on_branch(h: Harness) -> int:
    if h.kind == "github":
        return len(h.fake.commits_between(SLUG, "main", BRANCH))
    return h.forge.commit_count(h.repo, BRANCH)


def test_both_forges_implement_the_steering_port(forge_harness: Harness):
    assert isinstance(forge_harness.forge, SteeringForge)


def test_permission_comes_from_the_collaborator_settings(forge_harness: Harness):
    h = forge_harness
    set_collaborator(h, "alice", "write")
    set_collaborator(h, "mia", "maintain")
    set_collaborator(h, "tom", "triage")
    assert h.forge.permission(h.repo, "alice") in WRITE_PERMISSIONS
    assert h.forge.permission(h.repo, "Mia") in WRITE_PERMISSIONS  # logins are case-insensitive
    assert h.forge.permission(h.repo, "tom") not in WRITE_PERMISSIONS
    assert h.forge.permission(h.repo, "stranger") == "read"


def test_comments_and_reviews_are_read_back_with_their_author(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix("one"), "fix: TypeError", "body")
    issue = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    said = comment_as(h, pr.number, "/homeostat explain", "alice")
    on_issue = comment_as(h, issue, "/homeostat stop", "bob")
    review = review_as(h, pr.number, "Use optional chaining on user too", "alice")
    line = review_comment_as(h, pr.number, "guard this", "alice", "src/app.js", 2)

    comment = h.forge.get_comment(h.repo, "issue_comment", said, pr.number)
    assert (comment.author, comment.body, comment.number) == ("alice", "/homeostat explain", pr.number)
    assert h.forge.get_comment(h.repo, "issue_comment", on_issue, issue).author == "bob"
    # a comment asked for on another issue than it is on does not exist there
    assert h.forge.get_comment(h.repo, "issue_comment", said, issue) is None
    got = h.forge.get_comment(h.repo, "review", review, pr.number)
    assert (got.author, got.review_state, got.body) == (
        "alice",
        "changes_requested",
        "Use optional chaining on user too",
    )
    inline = h.forge.get_comment(h.repo, "review_comment", line, pr.number)
    assert (inline.body, inline.path, inline.line) == ("guard this", "src/app.js", 2)
    assert h.forge.get_comment(h.repo, "review", 999_999, pr.number) is None


def test_a_reviews_line_comments_are_listed_with_it(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix("one"), "fix: TypeError", "body")
    review = review_as(h, pr.number, "Two things", "alice")
    first = review_comment_as(h, pr.number, "guard this", "alice", "src/app.js", 2, review)
    second = review_comment_as(h, pr.number, "and this", "alice", "src/app.js", 5, review)
    alone = review_comment_as(h, pr.number, "a single comment", "alice", "src/app.js", 9)

    listed = h.forge.review_comments(h.repo, pr.number, review)
    assert [(c.id, c.body, c.line, c.review_id) for c in listed] == [
        (first, "guard this", 2, review),
        (second, "and this", 5, review),
    ]
    # a single line comment is a review of its own, as GitHub files it
    single = h.forge.get_comment(h.repo, "review_comment", alone, pr.number)
    assert single.review_id not in (None, review)
    assert h.forge.get_comment(h.repo, "review", single.review_id, pr.number).review_state == "commented"
    assert [c.id for c in h.forge.review_comments(h.repo, pr.number, single.review_id)] == [alone]


def test_push_on_top_adds_a_commit_and_keeps_the_history(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix("one"), "fix: TypeError", "body one")
    first = pr.head_sha
    assert commits_on_branch(h) == 1

    updated = h.forge.push_on_top(
        h.repo, pr.number, _fix("two"), "fix: address the review", "body two", expected_head=first
    )

    assert updated.number == pr.number and updated.head_sha != first
    assert h.branch_sha(BRANCH) == updated.head_sha
    assert commits_on_branch(h) == 2  # one more commit, the first one still there
    assert h.forge.commit_contains(h.repo, updated.head_sha, first)
    assert "// two" in h.file_on_branch(BRANCH, "src/app.js")
    assert h.commit_author(updated.head_sha) == h.forge.whoami(h.repo)
    assert next(p for p in h.prs() if p["number"] == pr.number)["body"].startswith("body two")


def test_push_on_top_refuses_a_moved_branch_and_paths_outside_the_filters(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix("one"), "fix: TypeError", "body")
    theirs = h.commit_as(BRANCH, "maintainer", {"src/app.js": "export const mine = 1;\n"})

    with pytest.raises(ForeignCommits):
        h.forge.push_on_top(h.repo, pr.number, _fix("two"), "m", "b", expected_head=pr.head_sha)
    assert h.branch_sha(BRANCH) == theirs  # nothing written over people's commit

    with pytest.raises(PathNotAllowed):
        h.forge.push_on_top(
            h.repo, pr.number, [FileChange("src/vendor/lib.js", "x")], "m", "b", expected_head=theirs
        )


def test_mark_draft_puts_homeostats_pr_back_and_refuses_others(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix("one"), "fix: TypeError", "body")
    h.forge.mark_ready(h.repo, pr.number)
    assert not next(p for p in h.prs() if p["number"] == pr.number)["draft"]

    h.forge.mark_draft(h.repo, pr.number)
    assert next(p for p in h.prs() if p["number"] == pr.number)["draft"]

    h.commit_as("feature/x", "someone", {"src/app.js": "export const theirs = 1;\n"})
    other = h.open_pr_as("someone", "feature/x")
    with pytest.raises(NotOwnPullRequest):
        h.forge.mark_draft(h.repo, other)
    with pytest.raises(NotOwnPullRequest):
        h.forge.push_on_top(h.repo, other, _fix("x"), "m", "b", expected_head="0" * 40)
