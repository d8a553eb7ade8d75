"""Attacks on "versions are claims" (issue 20, item 1): a report's version never decides what the
repository released. Each test tries an attack and checks it gets nowhere; the counts of
attempts tried are in docs/SECURITY.md."""

from __future__ import annotations

import pytest

from homeostat_core.models import FileChange
from tests.unit.lifecycle.test_lifecycle_outcomes import answer_on_merged_code, merged_fix

# Versions no release of the repository carries (it released 1.2.0, and 1.3.0 where noted).
UNRELEASED_CLAIMS = ["99.0.0", "99", "1.3.1", "1.3.0.1", "2.0.0-beta.1", "1.10.0"]
STRANGERS = ["mallory", "cloakpipe-bot"]  # anyone, and the logger account itself


@pytest.mark.parametrize("released_fix", [False, True], ids=["fix-unreleased", "fix-in-1.3.0"])
@pytest.mark.parametrize("claim", UNRELEASED_CLAIMS)
def test_a_claimed_newer_version_makes_no_regression_no_label_no_rate_drop_no_paid_attempt(
    tmp_path, claim, released_fix
):
    # Given a fix merged into 1.2.0, learned as a pattern, maybe released in 1.3.0; even the
    # logger's own account is trusted (allowed_authors): a version is still only a claim
    w, pr, _ = merged_fix(tmp_path, allowed_authors=("cloakpipe-bot", "mallory"))
    if released_fix:
        w.forge.release(w.repo, "1.3.0")
    answer_on_merged_code(w)
    (pattern,) = w.state.patterns.all()
    calls = len(w.model.calls)
    # When strangers report the fixed error from a version the repository never released
    issues = [w.file_issue(version=claim, author=who) for who in STRANGERS]
    records = [w.run()]
    w.later(24 * 4)  # well past any backoff
    records.append(w.run())
    # Then no regression, no label, no success-rate drop, no model call, no new PR
    assert w.stage() == "merged" and w.attempt().regressed_at is None
    assert w.attempt().decided_by == "unverified_version"
    for issue in issues:
        assert "homeostat-regressed" not in w.forge.issue_labels(w.repo, issue)
        assert w.forge.get_issue(w.repo, issue).state == "open"  # nor closed as fixed
    assert w.state.patterns.get(pattern.pattern_id).success_rate == pattern.success_rate == 1.0
    assert len(w.model.calls) == calls and len(w.prs()) == 1
    assert all(r.cost_usd == 0 for r in records)
    assert "not released" in records[0].outcomes[-1]["reason"]


@pytest.mark.parametrize("claim", ["99.0.0", "1.2.0", "1.2.1"])
@pytest.mark.parametrize("same_error", [False, True], ids=["unrelated-error", "same-error"])
def test_no_report_marks_an_unreleased_fix_released_or_verified(tmp_path, claim, same_error):
    # Given a merged fix that no release contains (the repository released only 1.2.0, before it)
    w, _, _ = merged_fix(tmp_path, verify_after_days=14)
    # When a report names a newer version (or the current one), for this error or another
    fields = {} if same_error else {"error_type": "TypeError", "message": "Cannot read properties of null"}
    w.file_issue(version=claim, author="mallory", **fields)
    w.run()
    w.later(24 * 15)
    record = w.run()
    # Then no release was "seen" and the fix is not verified
    fixed = w.attempt(w.attempt_ids()[0])
    assert fixed.release_seen_at is None and fixed.released_in is None and fixed.verified_at is None
    assert w.stage_of(fixed.fingerprint_id) == "merged" and "verified" not in w.results(record)
    # and the pattern stays on probation
    assert all(p.verified_at is None for p in w.state.patterns.all())


def bumped_before_the_merge(tmp_path, **repo):
    """The maintainer starts the 1.3.0 cycle (manifest bumped on main), then merges the fix."""

    def start_1_3_0(w) -> None:
        manifest = w.forge.read_file(w.repo, "manifest.json").replace('"1.2.0"', '"1.3.0"')
        w.forge.commit_as(
            w.repo, "main", "maintainer", [FileChange("manifest.json", manifest)], "Start 1.3.0"
        )

    w, pr, _ = merged_fix(tmp_path, before_merge=start_1_3_0, **repo)
    assert w.attempt().version_at_merge == "1.3.0"  # what the old rule called "fixed after"
    answer_on_merged_code(w)
    return w, pr


@pytest.mark.parametrize("tagged", [False, True], ids=["1.3.0-not-yet-tagged", "1.3.0-released"])
@pytest.mark.parametrize("author", ["cloakpipe-bot", "mallory"])
def test_a_version_bumped_before_the_merge_is_not_closed_as_fixed_pending_release(tmp_path, tagged, author):
    w, pr = bumped_before_the_merge(tmp_path, allowed_authors=("cloakpipe-bot", "mallory"))
    if tagged:
        w.forge.release(w.repo, "1.3.0")  # the first release whose commit contains the merge
    w.later(24 * 3)
    # When 1.3.0, which has the fix once released, still fails
    report = w.file_issue(version="1.3.0", author=author)
    record = w.run()
    # Then it is never answered "fixed, pending release" nor closed
    labels = w.forge.issue_labels(w.repo, report)
    assert "homeostat-fixed-pending-release" not in labels and "homeostat-fixed-in-release" not in labels
    assert w.forge.get_issue(w.repo, report).state == "open"
    assert "awaiting_release" not in w.results(record)
    if tagged:  # released with the fix, reported by a trusted account: a regression
        assert "homeostat-regressed" in labels and w.attempt().released_in == "1.3.0"
        assert w.attempt().decided_by == "regressed_trusted_logger"
    else:  # 1.3.0 is the default branch's version since before the merge: cannot tell yet
        assert w.stage() == "merged" and w.attempt().decided_by == "unverified_version"


def test_after_a_bump_before_the_merge_older_releases_are_still_answered_pending(tmp_path):
    w, pr = bumped_before_the_merge(tmp_path)
    old = w.file_issue(version="1.2.0")
    record = w.run()
    assert "awaiting_release" in w.results(record)
    assert "homeostat-fixed-pending-release" in w.forge.issue_labels(w.repo, old)
    assert w.attempt().decided_by == "pending_release"


def test_a_version_bump_after_the_merge_is_where_the_fix_ships_without_tags(tmp_path):
    # Given a repository that never tags: the fix merged while the manifest said 1.2.0
    w, _, _ = merged_fix(tmp_path, released=None, allowed_authors=("cloakpipe-bot",))
    answer_on_merged_code(w)
    # 1.2.0 reports cannot be told apart yet (shipped before the merge, or the next build?)
    ambiguous = w.file_issue(version="1.2.0")
    assert "homeostat-fixed-pending-release" not in w.forge.issue_labels(w.repo, ambiguous)
    w.run()
    assert w.forge.get_issue(w.repo, ambiguous).state == "open" and w.stage() == "merged"
    # When the maintainer bumps the manifest to 1.2.1 after the merge
    manifest = w.forge.read_file(w.repo, "manifest.json").replace('"1.2.0"', '"1.2.1"')
    w.forge.commit_as(w.repo, "main", "maintainer", [FileChange("manifest.json", manifest)], "1.2.1")
    w.later(24 * 3)
    new = w.file_issue(version="1.2.1")
    record = w.run()
    # Then 1.2.0 is answered as without the fix, and 1.2.1 (which carries it) is a regression
    assert "homeostat-fixed-pending-release" in w.forge.issue_labels(w.repo, ambiguous)
    assert "homeostat-regressed" in w.forge.issue_labels(w.repo, new)
    assert (w.attempt().released_in, w.attempt().release_rule) == ("1.2.1", "version_bump")
    assert "pr_created" in w.results(record)
