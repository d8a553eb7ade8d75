"""Production outcomes: a fix counts when the error stops, not when the PR merges."""

from __future__ import annotations

import json

import pytest

from homeostat_core.versions import parse_version, version_from_manifest
from tests.unit.lifecycle.world import make_world


def merged_fix(tmp_path, *, released: str | None = "1.2.0", before_merge=None, **repo):
    """notebridge (manifest 1.2.0), released as v1.2.0 unless `released` is None, with Homeostat's
    fix merged, CI green; `before_merge(w)` is what people do before they merge it."""
    w = make_world(tmp_path, **repo)
    if released:
        w.forge.release(w.repo, released)
    first = w.file_issue(version="1.2.0")
    w.run()
    pr = w.prs()[0]
    if before_merge is not None:
        before_merge(w)
    w.forge.set_check(w.repo, pr.head_sha, "test", "success")
    w.forge.merge_pr(w.repo, pr.number)
    w.run()  # reconcile: merged, pattern learned (production)
    return w, pr, first


def answer_on_merged_code(w) -> None:
    """The model's next answers edit the file as it is after the merged fix."""
    merged_line = "  return raw === undefined ? [] : JSON.parse(raw);\n"
    better = "  if (typeof raw !== 'string') return [];\n  return JSON.parse(raw);\n"
    edit = {"path": "src/lib/storage.js", "search": merged_line, "replace": better}
    w.model.answer = lambda model, messages: json.dumps(
        {"summary": "Guard non-strings too.", "edits": [edit]}
    )


@pytest.mark.parametrize(
    "older,newer",
    [
        ("1.2.0", "1.2.1"),
        ("1.2", "1.2.0.1"),
        ("1.9.0", "1.10.0"),
        ("2.0.0-beta.2", "2.0.0"),
        ("v1.0", "1.0.1"),
    ],
)
def test_versions_compare_as_semver_and_chrome_dotted(older, newer):
    assert parse_version(older) < parse_version(newer)


@pytest.mark.parametrize("text", ["", "banana", "1.2.3.4.5", "1..2", None, "1.2.x", "９.１"])
def test_an_unparseable_version_is_unknown_not_a_crash(text):
    assert parse_version(text) is None


def test_the_manifest_version_is_read_with_comments_and_bad_files_are_unknown():
    assert version_from_manifest('{\n  // Chrome allows comments\n  "version": "3.1.4"\n}') == "3.1.4"
    assert version_from_manifest('{"version": "not a version"}') is None
    assert version_from_manifest(None) is None


def test_a_merge_records_the_merge_commit_and_the_version_it_was_merged_into(tmp_path):
    w, pr, _ = merged_fix(tmp_path)
    row = w.attempt()
    assert w.stage() == "merged" and row.version_at_merge == "1.2.0"
    assert row.merge_sha == w.forge.get_pr(w.repo, pr.number).merge_commit_sha
    assert row.released_in is None  # no release contains it yet


def test_a_report_from_a_version_without_the_fix_is_answered_awaiting_release_at_no_cost(tmp_path):
    w, pr, _ = merged_fix(tmp_path)
    calls = len(w.model.calls)
    # When an install still on 1.2.0 reports the fixed error
    old = w.file_issue(version="1.2.0")
    record = w.run()
    # Then no attempt and no model call: labelled, one comment linking the merged PR, closed
    (outcome,) = [o for o in record.outcomes if old in o.get("issues", [])]
    assert outcome["result"] == "awaiting_release" and outcome["costUsd"] == 0
    assert len(w.model.calls) == calls and record.cost_usd == 0
    assert "homeostat-fixed-pending-release" in w.forge.issue_labels(w.repo, old)
    (comment,) = w.forge.issue_comments(w.repo, old)
    assert (
        f"#{pr.number}" in comment["body"] and "No release of this repository contains it" in comment["body"]
    )
    assert w.forge.get_issue(w.repo, old).state == "closed"
    assert w.stage() == "merged"


def test_closing_pending_release_reports_can_be_turned_off(tmp_path):
    w, _, _ = merged_fix(tmp_path, close_fixed_pending_release=False)
    old = w.file_issue(version="1.1.9")
    w.run()
    w.run()  # a second run answers nothing twice
    assert w.forge.get_issue(w.repo, old).state == "open"
    assert len(w.forge.issue_comments(w.repo, old)) == 1


def test_a_trusted_loggers_report_from_a_release_with_the_fix_is_a_regression_and_is_attempted_again(
    tmp_path,
):
    w, pr, _ = merged_fix(tmp_path, allowed_authors=("cloakpipe-bot",))
    (pattern,) = w.state.patterns.all()
    w.later(24 * 3)
    answer_on_merged_code(w)
    # When the repository releases 1.2.1 (its commit contains the merge) and the logger reports the
    # same error from it
    w.forge.release(w.repo, "1.2.1")
    new = w.file_issue(version="1.2.1")
    record = w.run()
    # Then it is flagged, linked to the merged PR, and a new PR is opened with the earlier fix in
    # the prompt; in production the pattern's success rate takes one EMA step down
    assert "homeostat-regressed" in w.forge.issue_labels(w.repo, new)
    (comment,) = [c["body"] for c in w.forge.issue_comments(w.repo, new) if f"#{pr.number}" in c["body"]]
    assert "trusted logger" in comment and "first released in 1.2.1" in comment
    (outcome,) = [o for o in record.outcomes if new in o.get("issues", [])]
    assert outcome["result"] == "pr_created" and outcome["regressedFrom"] == pr.number
    assert outcome["decidedBy"] == "regressed_trusted_logger" == w.attempt().decided_by
    prompt = "\n".join(m["content"] for m in w.model.calls[-1]["messages"])
    assert "did not stop it" in prompt and "1.2.1" in prompt
    assert w.state.patterns.get(pattern.pattern_id).success_rate == 0.9
    assert w.attempt().regressed_at is not None and w.stage() == "draft"
    assert (w.attempt().released_in, w.attempt().release_rule) == ("1.2.1", "tag")


def test_two_independent_reporters_of_a_release_with_the_fix_make_a_regression_one_does_not(tmp_path):
    w, pr, _ = merged_fix(tmp_path)  # allowed_authors empty: no trusted logger
    w.later(24 * 3)
    answer_on_merged_code(w)
    w.forge.release(w.repo, "1.2.1")
    # one reporter, even with two issues: noted, nothing else
    first = w.file_issue(version="1.2.1", author="alice")
    w.file_issue(version="1.2.1", author="alice")
    record = w.run()
    assert w.results(record) == ["done"] and "second, independent reporter" in record.outcomes[0]["reason"]
    assert w.stage() == "merged" and w.attempt().decided_by == "awaiting_corroboration"
    assert "homeostat-regressed" not in w.forge.issue_labels(w.repo, first)
    # a second reporter: a regression
    w.file_issue(version="1.2.1", author="bob")
    record = w.run()
    assert "pr_created" in w.results(record) and w.stage() == "draft"
    assert w.attempt().decided_by == "regressed_independent_reports"


def test_a_fix_released_in_a_later_version_answers_reports_from_older_ones_as_fixed_in_that_release(tmp_path):
    w, pr, _ = merged_fix(tmp_path)
    w.forge.release(w.repo, "1.3.0")
    old = w.file_issue(version="1.2.0")
    record = w.run()
    (outcome,) = [o for o in record.outcomes if old in o.get("issues", [])]
    assert outcome["result"] == "fixed_in_release" and outcome["costUsd"] == 0
    assert "homeostat-fixed-in-release" in w.forge.issue_labels(w.repo, old)
    assert "homeostat-fixed-pending-release" not in w.forge.issue_labels(w.repo, old)
    (comment,) = w.forge.issue_comments(w.repo, old)
    assert "first released in version `1.3.0`" in comment["body"]
    assert w.attempt().decided_by == "fixed_in_release"


def test_a_report_without_a_version_is_treated_as_before_and_counted(tmp_path):
    w, _, _ = merged_fix(tmp_path)
    w.file_issue(version=None)
    record = w.run()
    assert [o["result"] for o in record.outcomes] == ["done"]
    assert record.reports_without_version == 1


def test_a_fix_is_verified_when_a_release_contains_it_and_the_error_stays_away(tmp_path):
    w, _, _ = merged_fix(tmp_path, verify_after_days=14)
    w.run()
    assert w.attempt().release_seen_at is None  # nothing released contains the fix yet
    # Given the repository releases 1.3.0, whose commit contains the merge
    w.forge.release(w.repo, "1.3.0")
    w.run()
    assert w.attempt().release_seen_at is not None and w.attempt().released_in == "1.3.0"
    w.later(24 * 13)
    w.run()
    assert w.stage() == "merged"
    # When 14 days pass with no report of the fixed error from 1.3.0
    w.later(24 * 2)
    record = w.run()
    assert "verified" in w.results(record)
    assert w.stage() == "verified"
    # and in production the pattern learned from it leaves probation
    (pattern,) = w.state.patterns.all()
    assert pattern.verified_at is not None


def test_the_outcome_report_counts_merges_closes_verifications_regressions_and_costs(tmp_path):
    from homeostat_core.run_report import fix_outcomes, outcomes_table

    # Given one fix merged and later regressed, and one PR closed by a person
    w, pr, _ = merged_fix(tmp_path, max_prs_per_run=5)
    answer_on_merged_code(w)
    other = w.file_issue(error_type="TypeError", message="Cannot read properties of null (reading 'x')")
    w.run()
    (open_pr,) = [p for p in w.prs() if p.state == "open"]
    w.forge.close_pr_as(w.repo, open_pr.number)
    w.run()
    assert other
    # When the report is built from the store
    (row,) = fix_outcomes(w.state.attempts.list(w.repo.slug), w.state.runs.list(w.repo.slug))
    # Then it says what happened, and what each merged fix cost
    assert (row.prs_opened, row.merged, row.closed_by_people) == (2, 1, 1)
    assert row.merge_rate == 0.5 and row.median_hours_to_merge is not None
    assert row.cost_per_merged_fix == row.cost_usd > 0
    table = outcomes_table([row])
    assert "| Merge rate |" in table and "| 50% |" in table
