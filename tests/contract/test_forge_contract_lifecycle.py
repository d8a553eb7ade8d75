"""The forge side of the PR lifecycle (#12), both adapters: drafts, ready for review, reviewers,
closing and cleaning up, issues closed by merges, CI verdicts by head SHA over every check."""

from __future__ import annotations

import pytest

from homeostat_core.models import FileChange
from homeostat_core.ports import MAX_BODY_CHARS, ForgeError, branch_for
from homeostat_core.report.markers import issue_comment_marker, pr_marker
from tests.contract.conftest import Harness

FID = "a1b2c3d4e5f6"


def _fix(text: str = "fixed") -> list[FileChange]:
    return [FileChange("src/app.js", f"export function run(user) {{\n  return user?.name; // {text}\n}}\n")]


def _record(h: Harness, number: int) -> dict:
    return next(p for p in h.prs() if p["number"] == number)


def test_new_prs_are_drafts_until_marked_ready(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    assert pr.draft is True and _record(h, pr.number)["draft"] is True
    assert h.forge.get_pr(h.repo, pr.number).draft is True

    h.forge.mark_ready(h.repo, pr.number)
    h.forge.mark_ready(h.repo, pr.number)  # already ready: nothing to do, no error

    assert _record(h, pr.number)["draft"] is False
    assert h.forge.get_pr(h.repo, pr.number).draft is False
    if h.fake is not None:  # REST cannot do it: GraphQL's markPullRequestReadyForReview did
        assert h.fake.count("POST", "/graphql") == 1


def test_draft_false_opens_a_ready_pr(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body", draft=False)
    assert pr.draft is False and _record(h, pr.number)["draft"] is False


def test_repository_without_drafts_gets_a_normal_pr(forge_harness: Harness):
    h = forge_harness
    h.without_drafts()
    pr, created = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    assert created and pr.draft is False
    assert _record(h, pr.number)["draft"] is False
    assert len(h.prs()) == 1


def test_reviewers_are_requested_on_own_pr(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    h.forge.request_reviewers(h.repo, pr.number, ["alice", "bob", h.forge.whoami()])
    assert sorted(_record(h, pr.number)["requested_reviewers"]) == ["alice", "bob"]


def test_close_own_pr_then_delete_its_branch(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    h.forge.comment_on_pr(h.repo, pr.number, "Closing: the issue was closed", issue_comment_marker(FID))

    h.forge.close_pr(h.repo, pr.number)
    h.forge.delete_branch(h.repo, pr.branch)
    h.forge.delete_branch(h.repo, pr.branch)  # already gone is fine

    closed = h.forge.get_pr(h.repo, pr.number)
    assert (closed.state, closed.merged) == ("closed", False) and closed.closed_at is not None
    assert closed.head_sha == pr.head_sha  # kept after the branch is gone
    assert h.branch_sha(pr.branch) is None
    assert h.forge.find_open_pr(h.repo, FID) is None
    assert h.forge.list_own_open_prs(h.repo) == []
    assert any("Closing" in c for c in h.comments(pr.number))
    with pytest.raises(ForgeError):  # only Homeostat's own branches
        h.forge.delete_branch(h.repo, "main")
    assert h.branch_sha("main") is not None


def test_get_pr_and_get_issue_in_any_state(forge_harness: Harness):
    h = forge_harness
    issue = h.add_issue("TypeError", "stack", ["robot", "Do-Not-Fix"], "logger-bot")
    got = h.forge.get_issue(h.repo, issue)
    assert (got.number, got.state, got.closed_at) == (issue, "open", None)
    assert "Do-Not-Fix" in got.labels
    h.forge.close_issue(h.repo, issue)
    closed = h.forge.get_issue(h.repo, issue)
    assert closed.state == "closed" and closed.closed_at is not None
    assert h.forge.get_issue(h.repo, 4242) is None
    assert h.forge.get_pr(h.repo, 4242) is None


def test_opt_out_label_matches_case_insensitively(forge_harness: Harness):
    h = forge_harness
    h.add_issue("TypeError", "stack", ["robot", "Do-Not-Fix"], "logger-bot")
    assert h.forge.list_trigger_issues(h.repo) == []


def test_merge_closes_the_issues_the_body_fixes_and_records_the_merge(forge_harness: Harness):
    h = forge_harness
    fixed = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    mentioned = h.add_issue("TypeError again", "stack", ["robot"], "logger-bot")
    body = f"Fixes #{fixed}\nSee also #{mentioned}"
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", body)
    h.forge.mark_ready(h.repo, pr.number)

    h.merge(pr.number)

    merged = h.forge.get_pr(h.repo, pr.number)
    assert (merged.state, merged.merged) == ("closed", True)
    assert merged.merged_at is not None and merged.closed_at is not None
    assert merged.merge_commit_sha == h.branch_sha("main")
    assert merged.head_sha == pr.head_sha
    assert h.forge.get_issue(h.repo, fixed).state == "closed"
    assert h.forge.get_issue(h.repo, mentioned).state == "open"  # a mention is not a closing keyword


def test_pr_closed_by_a_person_is_reported_and_not_reused(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    h.close_as_person(pr.number)
    closed = h.forge.get_pr(h.repo, pr.number)
    assert (closed.state, closed.merged) == ("closed", False)
    h.forge.list_trigger_issues(h.repo)
    assert h.forge.find_open_pr(h.repo, FID) is None


def test_long_bodies_and_comments_are_truncated_with_the_marker_kept(forge_harness: Harness):
    h = forge_harness
    huge = "x" * 100_000
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", huge)
    body = _record(h, pr.number)["body"]
    assert len(body) <= MAX_BODY_CHARS and body.endswith(pr_marker(FID)) and "truncated" in body
    issue = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    marker = issue_comment_marker(FID)
    h.forge.comment_on_issue(h.repo, issue, huge, marker)
    [comment] = h.comments(issue)
    assert len(comment) <= MAX_BODY_CHARS and marker in comment
    h.forge.list_trigger_issues(h.repo)
    assert h.forge.find_open_pr(h.repo, FID).number == pr.number  # still found by its marker


def test_ci_verdict_covers_every_check_across_pages(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    for n in range(104):
        h.add_check(pr.head_sha, f"job-{n:03}", "success", "ok")
    h.add_check(pr.head_sha, "zz-e2e", "failure", "1 e2e test failed")  # on page 2 (after 100)

    result = h.forge.get_check_results(h.repo, pr.head_sha)

    assert (result.state, result.checks) == ("failure", 105)
    assert "zz-e2e: 1 e2e test failed" in result.summary
    # a later success of another check does not hide the failure
    h.add_check(pr.head_sha, "late", "success", "ok")
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "failure"
    # and the verdict is per commit: the base has none
    assert h.forge.get_check_results(h.repo, h.branch_sha("main")).state == "none"
    with pytest.raises(ForgeError):
        h.forge.get_check_results(h.repo, "")


def test_all_green_only_when_every_check_completed(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    h.add_check(pr.head_sha, "unit", "success", "ok")
    h.add_check(pr.head_sha, "e2e", "pending", "")
    h.add_check(pr.head_sha, "docs", "skipped", "")
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "pending"
    h.add_check(pr.head_sha, "e2e-2", "success", "ok")
    assert h.forge.get_check_results(h.repo, pr.head_sha).state == "pending"  # e2e still runs
    assert branch_for(FID) == pr.branch


def test_a_pr_that_conflicts_with_a_moved_base_says_so_until_rebuilt_on_it(forge_harness: Harness):
    h = forge_harness
    pr, _ = h.forge.upsert_pr(h.repo, FID, _fix(), "fix", "body")
    assert h.forge.get_pr(h.repo, pr.number).mergeable is not False
    # Given someone changes the same lines on the base branch
    h.push_to_base({"src/app.js": "export function run(user) {\n  return user.displayName;\n}\n"})
    if h.fake is not None:  # the fake does not merge trees: it is told, as GitHub would compute
        h.fake.set_conflicting(h.repo.slug, pr.number)
    # Then the PR reports the conflict
    assert h.forge.get_pr(h.repo, pr.number).mergeable is False
    # And when Homeostat pushes its fix rebuilt on the new base, it merges again
    rebuilt = [FileChange("src/app.js", "export function run(user) {\n  return user?.displayName;\n}\n")]
    h.forge.upsert_pr(h.repo, FID, rebuilt, "fix", "body", expected_head=pr.head_sha)
    assert h.forge.get_pr(h.repo, pr.number).mergeable is True
