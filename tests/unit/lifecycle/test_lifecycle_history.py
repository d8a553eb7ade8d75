"""True numbers across re-opened work: a regression keeps the merged PR's record (its outcome and
times) on the fingerprint's row, and what every attempt cost adds up."""

from __future__ import annotations

from homeostat_core.run_report import fix_outcomes
from tests.unit.lifecycle.test_lifecycle_outcomes import answer_on_merged_code, merged_fix


def test_a_regression_keeps_the_merged_prs_record_and_the_cost_of_every_attempt(tmp_path):
    # Given a fix merged 30 hours after its PR opened, then released
    def thirty_hours_later(w):
        w.later(30)

    w, pr, _ = merged_fix(tmp_path, allowed_authors=("cloakpipe-bot",), before_merge=thirty_hours_later)
    merged_row = w.attempt()
    first_cost = merged_row.spent_usd
    assert first_cost > 0 and merged_row.spent_usd == merged_row.cost_usd
    w.later(24 * 3)
    answer_on_merged_code(w)

    # When the logger reports the error from the release with the fix (a regression) and a new PR opens
    w.forge.release(w.repo, "1.2.1")
    w.file_issue(version="1.2.1")
    record = w.run()

    # Then the row holds the new PR, and the merged one is kept with what it came to and when
    row = w.attempt()
    assert row.pr_number not in (None, pr.number) and w.stage() == "draft"
    (earlier,) = row.pr_history
    assert (earlier.number, earlier.outcome, earlier.merged) == (pr.number, "regressed", True)
    assert earlier.opened_at == merged_row.pr_opened_at and earlier.closed_at == merged_row.closed_at
    assert (earlier.closed_at - earlier.opened_at).total_seconds() / 3600 >= 30
    assert earlier.fixed_in == "1.2.1" and earlier.cost_usd == first_cost
    # and the cost so far is both attempts', not only the last one's
    assert record.cost_usd > 0
    assert abs(row.spent_usd - (first_cost + record.cost_usd)) < 1e-6  # stored to the micro-dollar

    # And the report still counts the merge, with its true time to merge
    (outcomes,) = fix_outcomes(w.state.attempts.list(w.repo.slug), w.state.runs.list(w.repo.slug))
    assert outcomes.merged == 1 and outcomes.prs_opened == 2
    assert outcomes.median_hours_to_merge is not None and outcomes.median_hours_to_merge >= 30


def test_a_pr_closed_by_a_person_is_kept_when_a_later_release_reopens_the_work(tmp_path):
    from tests.unit.lifecycle.world import make_world

    # Given a PR a person closed without merging
    w = make_world(tmp_path)
    w.file_issue(version="1.2.0")
    w.run()
    (pr,) = w.prs()
    w.later(2)
    w.forge.close_pr_as(w.repo, pr.number)
    w.run()
    assert w.stage() == "closed_by_person"
    # When a newer release is reported again (the work re-opens with a new PR)
    w.later(24 * 31)
    w.forge.release(w.repo, "1.3.0")
    w.file_issue(version="1.3.0")
    w.run()
    # Then the closed PR stays in the history, closed after it opened, and never counts as merged
    row = w.attempt()
    assert row.pr_number not in (None, pr.number)
    (earlier,) = row.pr_history
    assert (earlier.number, earlier.outcome, earlier.merged) == (pr.number, "closed_by_person", False)
    assert earlier.closed_at > earlier.opened_at
    (outcomes,) = fix_outcomes(w.state.attempts.list(w.repo.slug), w.state.runs.list(w.repo.slug))
    assert (outcomes.merged, outcomes.closed_by_people) == (0, 1)
