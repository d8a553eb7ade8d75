"""The pure helpers both forges share (ports.py): body fitting, branch names, ownership, verdicts."""

from __future__ import annotations

import pytest

from homeostat_core.models import PullRequest
from homeostat_core.ports import (
    MAX_BODY_CHARS,
    branch_candidates,
    branch_for,
    check_verdict,
    fit_body,
    is_branch_for,
    own_pull_request,
)
from homeostat_core.report.markers import pr_marker

MARKER = pr_marker("abc123")


def test_short_body_gets_the_marker_once():
    assert fit_body("hello", MARKER) == f"hello\n\n{MARKER}"
    assert fit_body(f"hello\n\n{MARKER}", MARKER) == f"hello\n\n{MARKER}"
    assert fit_body(f"{MARKER}\nhello", MARKER) == f"\nhello\n\n{MARKER}"  # moved to the end
    assert fit_body("hello") == "hello"
    assert fit_body(None, MARKER) == f"\n\n{MARKER}"  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [MAX_BODY_CHARS - 20, MAX_BODY_CHARS, MAX_BODY_CHARS + 1, 500_000])
def test_long_body_fits_with_a_note_and_the_marker(size):
    body = "é" * size
    fitted = fit_body(body, MARKER)
    assert len(fitted) <= MAX_BODY_CHARS
    assert fitted.endswith(MARKER)
    if size + len(MARKER) + 2 > MAX_BODY_CHARS:
        assert "truncated:" in fitted and "65,536" in fitted
        left_out = int(fitted.split("truncated: ")[1].split(" ")[0])
        assert fitted.count("é") + left_out == size  # the note tells exactly what was cut
    else:
        assert fitted == f"{body}\n\n{MARKER}"


def test_branch_names_for_a_fingerprint():
    assert branch_candidates("ab")[:3] == [branch_for("ab"), f"{branch_for('ab')}-2", f"{branch_for('ab')}-3"]
    assert is_branch_for("homeostat/fix-ab", "ab") and is_branch_for("homeostat/fix-ab-12", "ab")
    assert not is_branch_for("homeostat/fix-abc", "ab")  # another fingerprint sharing a prefix
    assert not is_branch_for("homeostat/fix-ab-x", "ab")
    assert not is_branch_for("evil/homeostat/fix-ab", "ab")


def test_own_pull_request_needs_author_and_head_repo():
    pr = PullRequest(1, "", "homeostat/fix-ab", author="Homeostat[bot]", head_repo="Acme/Widget")
    assert own_pull_request(pr, "acme/widget", "homeostat[bot]")  # GitHub logins ignore case
    assert not own_pull_request(pr, "acme/widget", "someone")
    assert not own_pull_request(pr, "acme/other", "homeostat[bot]")
    assert not own_pull_request(PullRequest(1, "", "b", head_repo="acme/widget"), "acme/widget", "")


def test_check_verdict():
    assert check_verdict([], [], 0).state == "none"
    assert check_verdict([], ["e2e"], 3).state == "pending"
    assert check_verdict(["unit: 1 failed"], ["e2e"], 3).state == "failure"
    ok = check_verdict([], [], 4)
    assert (ok.state, ok.checks, ok.summary) == ("success", 4, "4 checks passed")
    assert len(check_verdict(["x" * 5000], [], 1).summary) <= 2000
