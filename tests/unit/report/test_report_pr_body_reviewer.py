"""The PR body is written for its reviewer (issue 25): what broke with links to the lines, how
often and where (every browser's report), why this fix, what this commit changes (a follow-up
names the CI failure it answers), a regression said as one, the cost so far, how to stop it; no
N/A, no visible internal JSON, correct plurals."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

from homeostat_core.models import AttemptState, PrRecord
from homeostat_core.report.markers import STATE_MARKER, parse_state_block
from homeostat_core.report.pr import Sighting
from tests.unit.report.test_report_pr_body import (
    AI_FIX,
    ERROR,
    FINGERPRINT,
    NOW,
    PATTERN_FIX,
    REPO,
    _pattern_body,
)

FIREFOX_MESSAGE = "tab is undefined"
SIGHTINGS = (
    Sighting(7, "Chrome", "1.3.0", ERROR.message, NOW - timedelta(days=2, hours=3)),
    Sighting(12, "Firefox", "1.2.0", FIREFOX_MESSAGE, NOW),
)
BASE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def _link(path, line):
    return f"https://github.com/acme/widget/blob/{BASE}/{path}#L{line}"


def _visible(body: str) -> str:
    """What a reader sees: the body without Homeostat's hidden markers."""
    return re.sub(r"<!-- homeostat:[^\n]*-->", "", body)


def test_a_chrome_and_a_firefox_report_both_show_with_links_to_the_lines():
    body = _pattern_body(sightings=SIGHTINGS, line_link=_link)
    # what broke: both browsers' words, the in-app frames linked at the base commit
    assert "`TypeError`: `Cannot read properties of undefined (reading 'url') for [email]`" in body
    assert f"Firefox: `{FIREFOX_MESSAGE}`" in body
    assert (
        f"1. `syncTabs` at [`src/background/sync.js:42:17`]"
        f"(https://github.com/acme/widget/blob/{BASE}/src/background/sync.js#L42)"
    ) in body
    # how often and where
    section = body.split("### How often and where\n", 1)[1].split("\n### ", 1)[0]
    assert section.splitlines() == [
        "- 2 reports: #7, #12",
        "- Browsers: Chrome (1), Firefox (1)",
        "- Extension versions: `1.2.0` (1), `1.3.0` (1)",
        "- First seen 2025-03-02 02:06 UTC, last seen 2025-03-04 05:06 UTC",
    ]


def test_a_regression_says_so_and_links_the_merged_pr():
    attempt = AttemptState(
        repo=REPO.slug,
        fingerprint_id=FINGERPRINT.id,
        attempts=2,
        regressed_at=NOW,
        pr_history=(
            PrRecord(4, "regressed", NOW - timedelta(days=9), NOW - timedelta(days=8), True, "1.2.0"),
        ),
    )
    body = _pattern_body(attempt=attempt, sightings=SIGHTINGS)
    assert (
        "### Regression\nA regression of merged #4: its fix shipped in `1.2.0`, and this error is "
        "still reported from `1.3.0`."
    ) in body
    # reported from the very release that shipped the fix: said once
    shipped = dataclasses.replace(
        attempt, pr_history=(dataclasses.replace(attempt.pr_history[0], fixed_in="1.3.0"),)
    )
    assert (
        "A regression of merged #4: its fix shipped in `1.3.0`, and this error is still reported "
        "from that release."
    ) in _pattern_body(attempt=shipped, sightings=SIGHTINGS)
    # a first attempt is no regression: no such section at all
    assert "### Regression" not in _pattern_body(sightings=SIGHTINGS)


def test_a_follow_up_names_the_ci_failure_it_answers():
    attempt = AttemptState(
        repo=REPO.slug,
        fingerprint_id=FINGERPRINT.id,
        attempts=2,
        pr_number=31,
        head_sha="a1b2c3d" + "0" * 33,
        ci_summary="sync.test.js: expected 3 tabs, got 0",
    )
    body = _pattern_body(attempt=attempt, fix=AI_FIX, earlier_cost_usd=0.004)
    changed = body.split("### What changed in this commit\n", 1)[1].split("\n### ", 1)[0]
    assert changed.startswith(
        "A new commit on top of `a1b2c3d`, which CI failed:\n```\nsync.test.js: expected 3"
    )
    # the cost so far counts the earlier attempt
    assert (
        "$0.0163 in model calls (this commit $0.0123), over every attempt at this error (2 attempts)." in body
    )


def test_a_sensitive_route_is_explained():
    fix = dataclasses.replace(AI_FIX, tier=3, route="sensitive path src/auth/session.js: strong model only")
    assert (
        "AI, tier 3 (`gpt-4o-mini`); sensitive path src/auth/session.js: strong model only"
        in _pattern_body(fix=fix)
    )


def test_no_na_no_visible_json_no_empty_or_repeated_lines_and_plurals_agree():
    one = dataclasses.replace(PATTERN_FIX, edits=PATTERN_FIX.edits[:1], lines_changed=1)
    bodies = [
        _pattern_body(fix=one, issue_numbers=[7], sightings=SIGHTINGS[:1]),
        _pattern_body(fix=dataclasses.replace(PATTERN_FIX, confidence=None, pattern_strategy=None)),
        _pattern_body(
            fix=dataclasses.replace(AI_FIX, model=""), error=dataclasses.replace(ERROR, breadcrumbs=())
        ),
        _pattern_body(issue_numbers=[], sightings=()),
    ]
    for body in bodies:
        seen = _visible(body)
        assert "N/A" not in seen and "```json" not in seen and '"fingerprint"' not in seen
        assert "\n\n\n" not in body.replace("\n\n<!--", "\n<!--")
        assert not re.search(r"### [^\n]+\n(\n|###|$)", seen), "an empty section"
        assert not re.search(r"\b1 (files|edits|lines|reports|attempts)\b", seen)
        assert not re.search(r"\b([02-9]|\d\d+) (file|edit|line|report|attempt)\b(?!s)", seen)
        # the internal state is still there, hidden
        assert (
            len(STATE_MARKER.findall(body)) == 1 and parse_state_block(body)["fingerprint"] == FINGERPRINT.id
        )
    first = _visible(bodies[0])
    assert "- 1 report: #7" in first and "1 file (limit" in first and "1 line (limit" in first
    assert "`src/background/sync.js`: 1 edit" in first and "(1 attempt)" in first
