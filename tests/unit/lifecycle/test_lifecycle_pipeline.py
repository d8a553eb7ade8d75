"""Each lifecycle behaviour through run_repo on the local forge with in-memory state.

Given/When/Then in each test; the forge is the real local git forge, people act through its
helpers (commit_as, close_pr_as, merge_pr, set_check).
"""

from __future__ import annotations

from homeostat_core.models import FileChange
from homeostat_core.ports import branch_for
from tests.unit.lifecycle.world import make_world


def test_a_new_fix_opens_a_draft_pr_and_records_the_commit_it_pushed(tmp_path):
    # Given one logger issue
    w = make_world(tmp_path)
    issue = w.file_issue()
    # When Homeostat runs
    record = w.run()
    # Then one draft PR exists, and the attempt remembers its number and head commit
    (pr,) = w.prs()
    assert pr.draft and pr.author == w.forge.whoami() and pr.head_repo == w.repo.slug
    state = w.attempt()
    assert (state.stage, state.pr_number, state.head_sha) == ("draft", pr.number, pr.head_sha)
    assert w.results(record) == ["pr_created"]
    assert any(f"#{pr.number}" in c["body"] for c in w.forge.issue_comments(w.repo, issue))


def test_green_ci_on_homeostats_head_marks_the_pr_ready_and_requests_review(tmp_path):
    # Given a draft PR and reviewers configured
    w = make_world(tmp_path, reviewers=("alice",))
    w.file_issue()
    w.run()
    pr = w.prs()[0]
    # When CI passes on the commit Homeostat pushed and the next run looks
    w.forge.set_check(w.repo, pr.head_sha, "test", "success")
    record = w.run()
    # Then the PR is ready for review and alice is asked
    assert w.results(record) == ["ready"]
    assert not w.prs()[0].draft
    assert w.forge.pr_record(w.repo, pr.number)["requested_reviewers"] == ["alice"]
    assert w.stage() == "ready"


def test_a_repository_without_ci_gets_its_pr_ready_after_ready_after_hours_with_a_note(tmp_path):
    w = make_world(tmp_path, ready_after_hours=2.0)
    w.file_issue()
    w.run()
    # When an hour passes with no check at all, the PR stays a draft
    w.later(1)
    assert w.results(w.run()) == ["waiting"] and w.prs()[0].draft
    # When two hours have passed, it is marked ready with a note that no CI ran
    w.later(1.5)
    assert w.results(w.run()) == ["ready"] and not w.prs()[0].draft
    assert any("No CI checks ran" in c["body"] for c in w.forge.issue_comments(w.repo, w.prs()[0].number))


def test_no_new_attempt_while_homeostats_pr_is_open_even_after_the_backoff(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.run()
    # When days pass and CI is still running on the PR
    w.forge.set_check(w.repo, w.prs()[0].head_sha, "e2e", "pending")
    w.later(24 * 10)
    record = w.run()
    # Then it waits for people: no model call, no new commit
    assert w.results(record) == ["waiting"]
    assert len(w.model.calls) == 1
    assert w.attempt().attempts == 1


def test_a_ci_failure_is_answered_by_a_new_commit_on_the_same_pr_with_the_failure_in_the_prompt(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.run()
    pr = w.prs()[0]
    # Given CI fails on Homeostat's head
    w.forge.set_check(w.repo, pr.head_sha, "unit tests", "failure", "storage.test.js: expected [] got null")
    assert w.results(w.run()) == ["failed"]
    assert w.stage() == "ci_failed"
    # When the backoff has passed
    w.later(25)
    record = w.run()
    # Then the same PR gets a new commit (no second PR) and the prompt carried the failure
    assert w.results(record) == ["pr_updated"]
    (same,) = w.prs()
    assert same.number == pr.number and same.head_sha != pr.head_sha
    prompt = "\n".join(m["content"] for m in w.model.calls[-1]["messages"])
    assert "expected [] got null" in prompt
    assert w.attempt().head_sha == same.head_sha and w.stage() == "draft"


def test_after_the_last_allowed_attempt_fails_ci_the_pr_is_closed_and_the_issues_labelled(tmp_path):
    w = make_world(tmp_path)
    issue = w.file_issue()
    w.run()
    for _ in range(3):
        head = w.prs()[0].head_sha
        w.forge.set_check(w.repo, head, "unit tests", "failure", "still failing")
        w.run()  # CI verdict
        w.later(24 * 5)
        w.run()  # next attempt, or giving up after the third
    (pr,) = w.prs()
    assert pr.state == "closed" and not pr.merged
    assert w.stage() == "given_up"
    assert "homeostat-gave-up" in w.forge.issue_labels(w.repo, issue)
    assert any("3 attempts" in c["body"] for c in w.forge.issue_comments(w.repo, pr.number))
    assert len(w.model.calls) == 3
    assert w.forge.branch_sha(w.repo, pr.branch) is None


def test_a_persons_commit_on_homeostats_branch_is_never_overwritten(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.run()
    pr = w.prs()[0]
    # Given a reviewer pushes a fix-up commit, then CI fails on Homeostat's own commit
    theirs = w.forge.commit_as(
        w.repo, pr.branch, "reviewer", [FileChange("src/lib/notes.txt", "a reviewer's note\n")]
    )
    w.forge.set_check(w.repo, pr.head_sha, "unit tests", "failure", "boom")
    w.run()
    w.later(25)
    # When the next attempt would push
    record = w.run()
    # Then Homeostat leaves the branch alone, says so once, and stops attempting
    assert w.results(record) == ["handed_over"]
    assert w.forge.branch_sha(w.repo, pr.branch) == theirs
    w.later(24 * 10)
    assert w.results(w.run()) == ["waiting"]
    notes = [c for c in w.forge.issue_comments(w.repo, pr.number) if "will not push" in c["body"]]
    assert len(notes) == 1


def test_opting_out_with_any_label_case_closes_the_pr_and_deletes_the_branch(tmp_path):
    w = make_world(tmp_path)
    issue = w.file_issue()
    w.run()
    pr = w.prs()[0]
    # When a person labels the issue Do-Not-Fix (a different case from the config)
    w.forge.add_labels(w.repo, issue, ["Do-Not-Fix"])
    record = w.run()
    # Then the PR is closed with a comment and its branch deleted
    assert "closed" in w.results(record)
    assert w.prs()[0].state == "closed"
    assert w.forge.branch_sha(w.repo, pr.branch) is None
    assert w.stage() == "opted_out"


def test_closing_every_linked_issue_closes_the_pr(tmp_path):
    w = make_world(tmp_path)
    issue = w.file_issue()
    w.run()
    w.forge.set_issue_state(w.repo, issue, "closed")
    w.run()
    assert w.prs()[0].state == "closed" and w.stage() == "opted_out"


def test_a_pr_closed_by_a_person_is_not_recreated_until_a_report_from_a_later_release(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.run()
    pr = w.prs()[0]
    # When a maintainer closes it without merging
    w.forge.close_pr_as(w.repo, pr.number)
    w.later(1)
    record = w.run()
    assert w.stage() == "closed_by_person"
    assert "closed_by_person" in w.results(record)
    # Then days later nothing is recreated for the same reports
    w.later(24 * 10)
    assert w.results(w.run()) == ["done"]
    assert len(w.prs()) == 1
    # nor for a new report from the version that was out at the close (new reports alone)
    w.file_issue(version="1.2.0")
    assert w.results(w.run()) == ["done"] and len(w.prs()) == 1
    # Until the error is reported from a version the repository released after the close
    w.forge.release(w.repo, "1.3.0")
    w.file_issue(version="1.3.0")
    record = w.run()
    assert w.results(record) == ["pr_created"]
    assert len(w.prs()) == 2
    assert w.attempt().attempts == 2  # the count goes on: same cap
    # ... whose PR is followed like any other (CI makes it ready)
    new = [p for p in w.prs() if p.state == "open"][0]
    w.forge.set_check(w.repo, new.head_sha, "test", "success")
    assert w.results(w.run()) == ["ready"] and w.stage() == "ready"


def test_a_merged_fix_deletes_the_branch_and_closes_its_issues(tmp_path):
    w = make_world(tmp_path)
    issue = w.file_issue()
    w.run()
    pr = w.prs()[0]
    w.forge.set_check(w.repo, pr.head_sha, "unit tests", "success")
    w.run()
    w.forge.merge_pr(w.repo, pr.number)
    record = w.run()
    assert "merged" in w.results(record)
    assert w.stage() == "merged"
    assert w.forge.branch_sha(w.repo, pr.branch) is None
    assert w.forge.get_issue(w.repo, issue).state == "closed"
    # and the merged fix became a pattern (production), learned from this repository
    (pattern,) = w.state.patterns.all()
    assert pattern.repo == w.repo.slug and pattern.edits == w.attempt().edits


def test_max_open_prs_defers_new_work(tmp_path):
    w = make_world(tmp_path, max_open_prs=1, max_prs_per_run=5)
    w.file_issue()
    w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'push')")
    record = w.run()
    assert sorted(w.results(record)) == ["deferred", "pr_created"]
    assert "max_open_prs=1" in [o for o in record.outcomes if o["result"] == "deferred"][0]["reason"]


def test_max_prs_per_day_is_counted_across_runs(tmp_path):
    w = make_world(tmp_path, max_prs_per_day=1, max_prs_per_run=5, max_open_prs=9)
    w.file_issue()
    w.run()
    w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'push')")
    record = w.run()
    assert w.results(record).count("deferred") == 1
    assert len(w.prs()) == 1


def test_comments_per_fingerprint_are_capped_and_the_pr_body_lists_every_issue(tmp_path):
    w = make_world(tmp_path, max_issue_comments_per_run=2)
    numbers = [w.file_issue() for _ in range(5)]
    w.run()
    commented = [n for n in numbers if w.forge.issue_comments(w.repo, n)]
    assert commented == numbers[:2]
    body = w.prs()[0].body
    assert all(f"#{n}" in body for n in numbers)


def test_a_strangers_pr_on_homeostats_branch_name_is_left_alone_and_another_branch_used(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    # Given a stranger's fork PR whose head branch is the name Homeostat would use
    from homeostat_core.fingerprint import fingerprint
    from homeostat_core.intake import parse_issue

    issue = w.forge.list_trigger_issues(w.repo)[0]
    fp_id = fingerprint(parse_issue(issue.title, issue.body, issue.labels)).id
    foreign = w.forge.open_pr_as(
        w.repo, "stranger", branch_for(fp_id), "totally legit", "steal", head_repo="stranger/fork"
    )
    # When Homeostat runs
    w.run()
    # Then the stranger's PR is untouched and Homeostat's own is on another branch
    record = w.forge.pr_record(w.repo, foreign)
    assert (record["title"], record["body"]) == ("totally legit", "steal")
    assert w.forge.issue_comments(w.repo, foreign) == []
    ours = [p for p in w.prs() if p.author == w.forge.whoami()]
    assert len(ours) == 1 and ours[0].branch != branch_for(fp_id)
    assert w.attempt().pr_number == ours[0].number


def test_a_repository_without_draft_prs_gets_a_ready_pr_that_says_ci_has_not_run(tmp_path):
    from homeostat_core.adapters.local_forge import LocalForge

    w = make_world(tmp_path)
    w.forge = LocalForge(w.forge.root, drafts=False)  # a plan without draft PRs
    w.file_issue()
    w.run()
    (pr,) = w.prs()
    assert not pr.draft
    assert any(
        "cannot have draft pull requests" in c["body"] for c in w.forge.issue_comments(w.repo, pr.number)
    )
    assert w.stage() == "draft"  # still waiting for CI before "ready"


def _move_base(w, old: str, new: str) -> None:
    """A maintainer commits to the base branch (main), changing `old` into `new` in storage.js."""
    text = w.forge.read_file(w.repo, "src/lib/storage.js")
    w.forge.commit_as(
        w.repo, w.repo.branch, "maintainer", [FileChange("src/lib/storage.js", text.replace(old, new))]
    )


def test_a_pr_that_conflicts_with_a_moved_base_is_rebuilt_on_it_without_a_model_call(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.run()
    pr = w.prs()[0]
    # Given the base branch moves
    # (the line right before the one Homeostat's fix replaced: git calls adjacent changes a conflict)
    _move_base(
        w,
        "  const data = await chrome.storage.local.get(NOTES_KEY);\n",
        "  const data = await chrome.storage.local.get(NOTES_KEY); // v2 storage\n",
    )
    assert w.forge.get_pr(w.repo, pr.number).mergeable is False
    # When the next run looks at its open PR
    record = w.run()
    # Then the recorded fix is rebuilt on the new base: same PR, new commit, mergeable, $0
    (outcome,) = record.outcomes
    assert outcome["result"] == "pr_updated" and "rebuilt" in outcome["reason"]
    rebuilt = w.forge.get_pr(w.repo, pr.number)
    assert rebuilt.mergeable is True and rebuilt.head_sha != pr.head_sha
    assert len(w.model.calls) == 1 and w.attempt().attempts == 1
    assert w.attempt().head_sha == rebuilt.head_sha


def test_a_conflict_the_recorded_fix_cannot_survive_goes_to_the_next_attempt(tmp_path):
    w = make_world(tmp_path)
    w.file_issue()
    w.run()
    _move_base(
        w, "  return JSON.parse(data[NOTES_KEY]);\n", "  return JSON.parse(data[NOTES_KEY] ?? 'null');\n"
    )
    record = w.run()
    assert record.outcomes[0]["reason"] == "conflicts with the base branch"
    assert w.stage() == "ci_failed" and "conflicts" in w.attempt().ci_summary
