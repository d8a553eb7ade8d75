"""How the found file is told to people: one honest line in the PR body, the run record's count
by rule, and what a no_source or no_frames comment says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from homeostat_core.models import RunRecord, SourceResolution
from homeostat_core.outcomes import FingerprintOutcome, Result, tally
from homeostat_core.report.comments import render_rejected_comment
from homeostat_core.report.pr import found_line


@pytest.mark.parametrize(
    ("resolution", "expected"),
    [
        (
            SourceResolution("background.js", "src/background.js", "manifest_root", "src"),
            "`background.js` → `src/background.js` (extension root `src/`, from its manifest.json)",
        ),
        (
            SourceResolution("bg.js", "platform/firefox/bg.js", "source_roots", "platform/firefox"),
            "`bg.js` → `platform/firefox/bg.js` (extension root `platform/firefox/`, from source_roots)",
        ),
        (
            SourceResolution("js/a.js", "src/js/a.js", "path_map", "js/ → src/js/"),
            "`js/a.js` → `src/js/a.js` (path_map `js/ → src/js/`)",
        ),
        (
            SourceResolution("src/lib/storage.js", "src/lib/storage.js", "manifest_root", ""),
            "`src/lib/storage.js` (the repository root, from its manifest.json)",
        ),
    ],
)
def test_a_sure_rule_is_said_plainly(resolution, expected):
    assert found_line(resolution) == expected


def test_a_guess_is_never_presented_as_certain():
    by_name = found_line(SourceResolution("background.js", "src/router.ts", "symbol", confidence=0.8))
    by_suffix = found_line(SourceResolution("storage.js", "src/shared/storage.js", "suffix", confidence=0.7))
    for line in (by_name, by_suffix):
        assert "a guess, check that it is the right file" in line
    assert "not in this repository" in by_name and "80.0%" in by_name and "70.0%" in by_suffix


def test_twins_are_named():
    line = found_line(
        SourceResolution(
            "js/popup.js", "firefox/js/popup.js", "manifest_root", "firefox", twins=("chrome/js/popup.js",)
        )
    )
    assert line.endswith("Per-browser copies, fixed alike: `chrome/js/popup.js`")


def test_a_hostile_trace_path_stays_inert():
    line = found_line(SourceResolution("x`@team #1 [a](http://e)", "src/a.js", "manifest_root", "src"))
    # inside one code span (its delimiter longer than any backtick run), the issue reference defused
    assert line.startswith("``x`@team ") and line.index("`` → ") > line.index("(http://e)")
    assert "#1" not in line


def test_the_run_record_counts_attempts_by_rule():
    outcomes = [
        FingerprintOutcome(Result.PR_CREATED, fingerprint="a", resolved_by="manifest_root"),
        FingerprintOutcome(Result.PR_CREATED, fingerprint="b", resolved_by="symbol"),
        FingerprintOutcome(Result.REJECTED, fingerprint="c", reason="no_source", resolved_by="none"),
        FingerprintOutcome(Result.COOLDOWN, fingerprint="d"),
    ]
    record = tally(RunRecord("r", "acme/x", datetime.now(UTC)), outcomes)
    assert record.resolved_by == {"manifest_root": 1, "symbol": 1, "none": 1}
    assert record.outcomes[2]["resolvedBy"] == "none"


def test_no_source_and_no_frames_comments_say_what_to_do():
    no_source = render_rejected_comment("no_source", "tried src/x.js; extension roots searched: src/")
    assert "source_roots" in no_source and "path_map" in no_source and "homeostat context" in no_source
    assert "tried src/x.js" in no_source
    no_frames = render_rejected_comment("no_frames", "the report names no file and line")
    assert "names no file and line" in no_frames and "does not guess" in no_frames
