"""Attacks on "people's decisions stand" (issue 20, item 2): a PR a person closed, or an error a
person opted out, is not re-opened by new reports alone. Counts are in docs/SECURITY.md."""

from __future__ import annotations

import pytest

from tests.unit.lifecycle.world import make_world


def close_the_open_pr(w) -> None:
    (pr,) = [p for p in w.prs() if p.state == "open"]
    w.forge.close_pr_as(w.repo, pr.number)


@pytest.mark.parametrize("released_between", [True, False], ids=["a-release-each-time", "no-release"])
def test_three_closes_by_a_maintainer_never_give_four_prs(tmp_path, released_between):
    # Given a maintainer who closes every PR Homeostat opens for this error
    w = make_world(tmp_path)
    w.forge.release(w.repo, "1.2.0")
    w.file_issue(version="1.2.0")
    w.run()
    for cycle in range(6):
        if any(p.state == "open" for p in w.prs()):
            close_the_open_pr(w)
        w.run()  # the close is recorded
        w.later(24 * 31)  # past the backoff and the 30-day window every time
        version = f"1.{cycle + 3}.0"
        if released_between:
            w.forge.release(w.repo, version)  # even a new release every month
        w.file_issue(version=version if released_between else "1.2.0")  # and new reports
        w.run()
    # Then at most 3 PRs were ever opened (the attempt cap), the count was never reset, and the
    # fingerprint gave up with its issues labelled
    assert len(w.prs()) == (3 if released_between else 1)
    assert w.attempt().attempts == len(w.prs()) <= 3
    if released_between:
        assert w.stage() == "given_up"


def closed_once(tmp_path):
    """notebridge released as 1.2.0, Homeostat's PR for a 1.2.0 report closed by a maintainer."""
    w = make_world(tmp_path)
    w.forge.release(w.repo, "1.2.0")
    w.file_issue(version="1.2.0")
    w.run()
    close_the_open_pr(w)
    w.run()
    return w


def test_new_reports_alone_never_re_open_a_close(tmp_path):
    w = closed_once(tmp_path)
    assert w.attempt().closed_at_version == "1.2.0"
    # versions released before the close, unreleased claims, none at all: nothing re-opens
    for version in ("1.2.0", "1.1.0", "99.0.0", "1.3.0", None):
        w.later(24 * 40)
        w.file_issue(version=version, author="mallory")
        record = w.run()
        assert w.results(record) == ["done"], version
        assert "people closed it; new reports alone do not re-open it" in record.outcomes[0]["reason"] or (
            "filed after the close" in record.outcomes[0]["reason"]
        )
    assert len(w.prs()) == 1 and w.stage() == "closed_by_person"


def test_a_release_after_the_close_re_opens_once_per_30_days(tmp_path):
    w = closed_once(tmp_path)
    w.later(24 * 2)
    w.forge.release(w.repo, "1.3.0")
    w.file_issue(version="1.3.0")
    assert w.results(w.run()) == ["pr_created"] and w.attempt().attempts == 2
    close_the_open_pr(w)
    w.run()
    # a second release within 30 days of the re-open: people's decision stands until then
    w.later(24 * 5)
    w.forge.release(w.repo, "1.4.0")
    w.file_issue(version="1.4.0")
    record = w.run()
    assert w.results(record) == ["done"] and "at most once per 30 days" in record.outcomes[0]["reason"]
    w.later(24 * 26)
    assert w.results(w.run()) == ["pr_created"] and w.attempt().attempts == 3
    assert len(w.prs()) == 3


def opted_out(tmp_path):
    """A PR for the storage bug, then a user labels its issue do-not-fix."""
    w = make_world(tmp_path)
    w.forge.release(w.repo, "1.2.0")
    issue = w.file_issue(version="1.2.0")
    w.run()
    w.forge.add_labels(w.repo, issue, ["Do-Not-Fix"])
    record = w.run()
    assert w.results(record) == ["closed"] and w.prs()[0].state == "closed"
    return w, issue


@pytest.mark.parametrize(
    "version,later_days,release",
    [("1.2.0", 1, None), ("1.3.0", 40, "1.3.0"), ("99.0.0", 90, None), (None, 2, None)],
)
def test_after_an_opt_out_a_new_report_opens_no_pr_and_is_answered_once(
    tmp_path, version, later_days, release
):
    w, issue = opted_out(tmp_path)
    row = w.attempt()
    assert (row.opted_out_at is not None, row.opt_out_issue, row.stage) == (True, issue, "opted_out")
    if release:
        w.forge.release(w.repo, release)
    w.later(24 * later_days)
    # When the same error is reported again (another install, a later release, anyone)
    new = w.file_issue(version=version, author="someone-else")
    first, second = w.run(), w.run()
    # Then no PR, one answer (label + one comment), nothing on the next run
    assert len(w.prs()) == 1 and w.model.calls and len(w.model.calls) == 1
    assert w.results(first) == ["opted_out"] and w.results(second) == []
    assert "homeostat-opted-out" in w.forge.issue_labels(w.repo, new)
    (comment,) = w.forge.issue_comments(w.repo, new)
    assert f"#{issue}" in comment["body"] and "`do-not-fix`" in comment["body"]


def test_an_opt_out_on_one_issue_closes_the_pr_other_issues_still_report(tmp_path):
    w = make_world(tmp_path)
    first = w.file_issue()
    w.file_issue(author="someone-else")
    w.run()
    (pr,) = w.prs()
    w.forge.add_labels(w.repo, first, ["do-not-fix"])
    record = w.run()
    assert "closed" in w.results(record) and "opted_out" in w.results(record)
    assert w.forge.get_pr(w.repo, pr.number).state == "closed"
    assert w.forge.branch_sha(w.repo, pr.branch) is None
    assert any("opted this error out" in c["body"] for c in w.forge.issue_comments(w.repo, pr.number))


def test_an_opt_out_before_any_pr_applies_to_the_fingerprint(tmp_path):
    w = make_world(tmp_path)
    w.file_issue(labels=("do-not-fix",))
    w.file_issue(author="someone-else")
    record = w.run()
    assert w.results(record) == ["opted_out", "opted_out"] and w.prs() == [] and w.model.calls == []
    w.later(24 * 60)
    w.file_issue(author="a-third-person")
    assert w.results(w.run()) == ["opted_out"] and w.prs() == []


def test_removing_the_label_lifts_the_opt_out_and_the_close_rules_apply(tmp_path):
    w, issue = opted_out(tmp_path)
    w.forge.set_issue_state(w.repo, issue, "open")
    labels = [label for label in w.forge.issue_labels(w.repo, issue) if label.lower() != "do-not-fix"]
    record = w.forge._issue(w.repo, issue)
    record["labels"] = labels
    w.forge._write_issue(w.repo, record)
    w.run()
    assert w.attempt().opted_out_at is None and w.stage() == "opted_out"
    # then, as after any close, a report from a later release re-opens the work
    w.later(24 * 2)
    w.forge.release(w.repo, "1.3.0")
    w.file_issue(version="1.3.0")
    assert "pr_created" in w.results(w.run()) and w.attempt().attempts == 2
