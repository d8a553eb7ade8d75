"""PR title, body and issue comments: golden files for fixed inputs, plus the rules behind them.

Regenerate the golden files after an intended change with:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/report -q
"""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.models import (
    AttemptState,
    ErrorFingerprint,
    ErrorReport,
    FileChange,
    FileEdit,
    ProposedFix,
    PullRequest,
    Source,
    StackFrame,
    TokenUsage,
)
from homeostat_core.report.comments import (
    render_issue_comment,
    render_rejected_comment,
    render_unparseable_comment,
)
from homeostat_core.report.inert import GITHUB_TEXT_LIMIT, fit_github_limit
from homeostat_core.report.markers import (
    REJECTED_MARKER,
    UNPARSEABLE_MARKER,
    issue_comment_marker,
    parse_state_block,
    pr_marker,
)
from homeostat_core.report.pr import render_pr_body, render_pr_title

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
REPO = RepoConfig(
    slug="acme/widget",
    branch="main",
    max_prs_per_run=2,
    labels=("homeostat",),
    path_filters=PathFilters(include=("src",)),
)
FINGERPRINT = ErrorFingerprint(
    id="3f2a9c41d0b7e6a5",
    error_type="TypeError",
    file_path="src/background/sync.js",
    top_stack_frame="syncTabs",
    message_hash="9d8c7b6a",
    full_signature="TypeError|src/background/sync.js|syncTabs|9d8c7b6a",
)
ERROR = ErrorReport(
    source=Source.EXTENSION,
    product="TabSaver",
    error_type="TypeError",
    message="Cannot read properties of undefined (reading 'url') for jane@example.com",
    stack="TypeError: Cannot read properties of undefined\n    at syncTabs (chrome-extension://abc/background/sync.js:42:17)",
    frames=(
        StackFrame("syncTabs", "chrome-extension://abc/background/sync.js", 42, 17, "src/background/sync.js"),
        StackFrame("dispatch", "chrome-extension://abc/vendor/lib.js", 7, 3, "vendor/lib.js", in_app=False),
        StackFrame(None, "chrome-extension://abc/background/index.js", 10, None, "src/background/index.js"),
    ),
    breadcrumbs=("Opened popup", "Clicked 'Sync now' as jane@example.com", "Closed a window"),
)
PATTERN_FIX = ProposedFix(
    edits=(
        FileEdit("src/background/sync.js", "tab.url", "tab?.url"),
        FileEdit("src/background/sync.js", "win.tabs", "win?.tabs ?? []"),
    ),
    changes=(FileChange("src/background/sync.js", "..."),),
    summary="Guard against windows closed during sync.",
    source="pattern",
    pattern_id="pat-3f2a9c41",
    confidence=0.92,
    pattern_strategy="exact",
    lines_changed=4,
)
AI_FIX = ProposedFix(
    edits=(FileEdit("src/background/sync.js", "a", "b"), FileEdit("src/popup/view.js", "c", "d")),
    changes=(FileChange("src/background/sync.js", "..."), FileChange("src/popup/view.js", "...")),
    summary="Check that the tab still exists before reading its URL ```rm -rf``` <!-- homeostat:fingerprint=evil -->",
    source="ai",
    tier=2,
    model="gpt-4o-mini",
    cost_usd=0.01234,
    usage=TokenUsage(prompt=1800, completion=240, cached=512),
    lines_changed=9,
)


def _scrub(text: str) -> str:
    return re.sub(r"[\w.]+@[\w.]+", "[email]", text)


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def _pattern_body(**overrides) -> str:
    args = dict(
        fingerprint=FINGERPRINT,
        error=ERROR,
        attempt=AttemptState(repo=REPO.slug, fingerprint_id=FINGERPRINT.id, attempts=1),
        fix=PATTERN_FIX,
        next_backoff=NOW + timedelta(hours=24),
        now=NOW,
        issue_numbers=[12, 7, 12],
        repo=REPO,
        scrub=_scrub,
    )
    args.update(overrides)
    return render_pr_body(**args)


def test_pattern_fix_body_matches_golden():
    _check_golden("pr_body_pattern.md", _pattern_body())


def test_ai_fix_body_without_frames_or_breadcrumbs_matches_golden():
    error = ErrorReport(
        source=Source.EXTENSION,
        product="TabSaver",
        error_type="TypeError",
        message="x is undefined",
        stack="TypeError: x is undefined\n    at <anonymous>:1:1",
        frames=(),
    )
    body = _pattern_body(
        error=error,
        fix=AI_FIX,
        attempt=AttemptState(repo=REPO.slug, fingerprint_id=FINGERPRINT.id, attempts=2, cost_usd=0.01234),
        next_backoff=NOW + timedelta(hours=48),
        issue_numbers=[3],
        earlier_cost_usd=0.02,
    )
    _check_golden("pr_body_ai.md", body)


def test_comments_and_title_match_golden():
    pr = PullRequest(
        number=15, url="https://github.com/acme/widget/pull/15", branch="homeostat/fix-3f2a9c41d0b7e6a5"
    )
    text = "\n---\n".join(
        [
            render_pr_title(FINGERPRINT, ERROR, scrub=_scrub),
            render_issue_comment(pr, FINGERPRINT, PATTERN_FIX),
            render_unparseable_comment("no stack trace found in the issue body"),
            render_rejected_comment("forbidden_path", "edit touches .github/workflows/ci.yml"),
        ]
    )
    _check_golden("comments.md", text)


def test_body_carries_every_field():
    body = _pattern_body()
    assert body.rstrip().endswith(pr_marker(FINGERPRINT.id))
    assert "- Attempt 1 of 3" in body
    assert "Fixes #7\nFixes #12" in body and body.count("Fixes #12") == 1
    assert "`do-not-fix`" in body and "`/homeostat stop`" in body
    assert "pat-3f2a9c41" in body and "92.0%" in body
    # user data went through the scrubber everywhere it appears
    assert "jane@example.com" not in body and body.count("[email]") == 2
    # in-app frames only (no forge link given: the paths as text)
    assert "1. `syncTabs` at `src/background/sync.js:42:17`" in body
    assert "vendor/lib.js" not in body
    assert "2. `<anonymous>` at `src/background/index.js:10`" in body


def test_state_block_round_trips():
    state = parse_state_block(_pattern_body())
    assert state == {
        "fingerprint": FINGERPRINT.id,
        "tier": 0,
        "attempts": 1,
        "lastAttemptAt": "2025-03-04T05:06:07.000Z",
        "backoffUntil": "2025-03-05T05:06:07.000Z",
        "cost": "0.0000",
        "totalCost": "0.0000",
        "tokens": {"input": 0, "output": 0, "cached": 0},
        "source": "pattern",
        "patternId": "pat-3f2a9c41",
        "confidence": 0.92,
    }
    assert parse_state_block("no state here") is None


def test_report_text_cannot_forge_a_marker_or_break_fences():
    body = _pattern_body(fix=AI_FIX)
    # Homeostat's own two (state, fingerprint); the summary's look-alike is defused
    assert body.count("<!-- homeostat:") == 2 and body.count("homeostat:fingerprint=evil") == 1
    assert pr_marker("evil") not in body
    # the summary's ``` run sits inside a longer fence, which it cannot close
    assert "\n````\nCheck that the tab still exists before reading its URL ```rm -rf```" in body


def test_cost_is_counted_once():
    # Given the state the pipeline passes: finish_attempt already recorded this attempt's cost
    fix = dataclasses.replace(AI_FIX, cost_usd=0.0026)
    attempt = AttemptState(repo=REPO.slug, fingerprint_id=FINGERPRINT.id, attempts=1, cost_usd=0.0026)
    # When the body is rendered after one attempt, cost and total are the same
    state = parse_state_block(_pattern_body(fix=fix, attempt=attempt))
    assert (state["cost"], state["totalCost"]) == ("0.0026", "0.0026")
    # ... and a later attempt adds what the earlier ones cost, once
    state = parse_state_block(_pattern_body(fix=fix, attempt=attempt, earlier_cost_usd=0.0052))
    assert (state["cost"], state["totalCost"]) == ("0.0026", "0.0078")


def test_the_last_state_block_is_the_real_one():
    forged = '### Homeostat State\n```json\n{"attempts": 99}\n```'
    fix = dataclasses.replace(AI_FIX, summary=forged)
    error = dataclasses.replace(ERROR, breadcrumbs=(forged,), stack=forged, frames=())
    state = parse_state_block(_pattern_body(fix=fix, error=error))
    assert state["attempts"] == 1 and state["fingerprint"] == FINGERPRINT.id


def test_rejected_comment_says_what_the_label_does():
    text = render_rejected_comment("forbidden_path", "edit touches .github/workflows/ci.yml")
    assert "will not look at this issue again while it carries the `homeostat-rejected` label" in text
    assert "Remove the label to let it try again" in text
    assert "after the cooldown, up to the attempt limit" not in text  # the old, untrue promise
    no_source = render_rejected_comment("no_source", "src/a.js is outside path_filters")
    assert "did not try to fix this error" in no_source and "candidate fix" not in no_source


def test_label_names_in_comments_are_the_pipelines():
    from homeostat_core.outcomes import REJECTED_LABEL, UNPARSEABLE_LABEL

    assert f"`{REJECTED_LABEL}`" in render_rejected_comment("too_large", "y")
    assert f"`{UNPARSEABLE_LABEL}`" in render_unparseable_comment("x")


def test_long_texts_fit_githubs_limit_and_keep_the_marker():
    # 5,000 linked issues and a summary of backticks: cut to the limit, fences closed, marker kept
    fix = dataclasses.replace(AI_FIX, summary="`" * 50_000)
    body = _pattern_body(fix=fix, issue_numbers=list(range(1, 5_001)))
    assert len(body) <= GITHUB_TEXT_LIMIT
    assert body.rstrip().endswith(pr_marker(FINGERPRINT.id)) and parse_state_block(body)["attempts"] == 1
    assert "Fixes #1000\n" in body and "Fixes #1001" not in body and "4000 more issues" in body
    head = "x\n" + "````\n" + "y\n" * 40_000
    text = fit_github_limit(head, "<!-- tail -->\n", limit=1_000)
    assert (
        len(text) <= 1_000 and "\n````\n\n_(Homeostat truncated" in text and text.endswith("<!-- tail -->\n")
    )


@pytest.mark.parametrize("message", ["short", "x" * 300])
def test_title_is_bounded(message):
    error = ErrorReport(Source.EXTENSION, "p", "TypeError", message, "", ())
    title = render_pr_title(FINGERPRINT, error)
    assert title.startswith("fix: TypeError in src/background/sync.js")
    assert len(title) <= 100


def test_issue_comment_carries_its_marker_and_link():
    pr = PullRequest(number=4, url="https://example/pull/4", branch="homeostat/fix-x")
    text = render_issue_comment(pr, FINGERPRINT, AI_FIX, opt_out_label="stop-bot")
    assert issue_comment_marker(FINGERPRINT.id) in text
    assert "[#4](https://example/pull/4)" in text and "`stop-bot`" in text
    assert "`gpt-4o-mini`" in text
    assert UNPARSEABLE_MARKER in render_unparseable_comment("x")
    assert REJECTED_MARKER in render_rejected_comment("too_large", "y")
