"""Nothing from an issue, a model or a repository survives live into what Homeostat publishes.

Every string of the hostile corpus (tests/support/hostile_corpus.py) is put into every untrusted
field at once (message, error type, file path, stack, frames, breadcrumbs, model summary, model
name, pattern id, changed path, rejection detail, unparseable reason), and the title, PR body and
comments are searched by an independent checker (tests/support/live_markdown.py) for anything
the same template does not produce for benign input.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

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
)
from homeostat_core.report import comments, inert, pr
from homeostat_core.report.comments import (
    render_issue_comment,
    render_rejected_comment,
    render_unparseable_comment,
)
from homeostat_core.report.inert import GITHUB_TEXT_LIMIT, identifier_or_error
from homeostat_core.report.markers import STATE_MARKER, parse_state_block, pr_marker
from homeostat_core.report.pr import render_pr_body, render_pr_title
from tests.support.hostile_corpus import CLASSES, corpus
from tests.support.live_markdown import live_constructs, survivors, title_risks

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
REPO = RepoConfig(
    slug="acme/widget",
    branch="main",
    max_prs_per_run=2,
    labels=("homeostat",),
    path_filters=PathFilters(include=("src",)),
)
FP_ID = "3f2a9c41d0b7e6a5"
BENIGN = "Cannot read properties of undefined"


def _keep(text: str) -> str:
    return text  # inertness must not depend on the scrubber


def _render(text: str, *, pattern: bool) -> dict[str, str]:
    """Title, body and comments with `text` in every untrusted field."""
    fingerprint = ErrorFingerprint(FP_ID, text, text, text, "9d8c7b6a", "sig")
    frames = (StackFrame(text, f"chrome-extension://abc/{text}", 4, 2, text),)
    error = ErrorReport(
        Source.EXTENSION,
        "TabSaver",
        text,
        text,
        f"{text}\n    at {text} (chrome-extension://abc/{text}:1:2)",
        frames if pattern else (),
        breadcrumbs=(text, "Popup opened", text),
    )
    fix = ProposedFix(
        edits=(FileEdit(text, text, text), FileEdit("src/a.js", "a", "b")),
        changes=(FileChange(text, text), FileChange("src/a.js", "b")),
        summary=text,
        source="pattern" if pattern else "ai",
        tier=0 if pattern else 2,
        model="" if pattern else text,
        cost_usd=0.0 if pattern else 0.0026,
        pattern_id=text if pattern else None,
        confidence=0.9 if pattern else None,
        pattern_strategy="exact" if pattern else None,
        lines_changed=3,
    )
    pr = PullRequest(number=15, url="https://github.com/acme/widget/pull/15", branch=f"homeostat/fix-{FP_ID}")
    return {
        "title": render_pr_title(fingerprint, error, scrub=_keep),
        "body": render_pr_body(
            fingerprint=fingerprint,
            error=error,
            attempt=AttemptState(repo=REPO.slug, fingerprint_id=FP_ID, attempts=1),
            fix=fix,
            next_backoff=NOW + timedelta(hours=24),
            now=NOW,
            issue_numbers=[7, 12],
            repo=REPO,
            scrub=_keep,
        ),
        "issue_comment": render_issue_comment(pr, fingerprint, fix),
        "rejected_comment": render_rejected_comment("forbidden_path", text, scrub=_keep),
        "rejected_no_source": render_rejected_comment(text, text, scrub=_keep),
        "unparseable_comment": render_unparseable_comment(text, scrub=_keep),
    }


BASELINES = {pattern: _render(BENIGN, pattern=pattern) for pattern in (False, True)}


def _problems(kind: str, text: str, pattern: bool) -> list[str]:
    rendered = _render(text, pattern=pattern)
    problems = [f"title: {risk}" for risk in title_risks(rendered["title"])]
    if not rendered["title"].startswith("fix: ") or len(rendered["title"]) > 100:
        problems.append(f"title shape: {rendered['title'][:120]!r}")
    for place in ("body", "issue_comment", "rejected_comment", "rejected_no_source", "unparseable_comment"):
        out = rendered[place]
        # Homeostat's hidden state marker holds the names as escaped JSON: nothing in it can end
        # the comment (no `>`), so it is one construct of Homeostat's own, compared on its own
        hidden = STATE_MARKER.findall(out)
        if any(ch in data for data in hidden for ch in "<>`"):
            problems.append(f"{place}: the state marker can be closed: {hidden}")
        out = STATE_MARKER.sub("<!-- homeostat:state {} -->", out)
        baseline = STATE_MARKER.sub("<!-- homeostat:state {} -->", BASELINES[pattern][place])
        problems += [f"{place}: {item}" for item in survivors(out, baseline).elements()]
        if len(out) > GITHUB_TEXT_LIMIT:
            problems.append(f"{place}: {len(out)} characters")
        markers = out.count("<!-- homeostat:") - len(hidden)
        if markers != 1 or len(hidden) > 1:
            problems.append(f"{place}: {markers} markers and {len(hidden)} state markers")
    body = rendered["body"]
    state = parse_state_block(body)
    expected = parse_state_block(BASELINES[pattern]["body"])
    key = "patternId" if pattern else "model"
    named = (state or {}).get(key)
    expected[key] = named
    # the model / pattern name is kept as text (visible characters, at most 200)
    if state != expected or len(named) > 200 or (text.isprintable() and named != text[:200]):
        problems.append(f"state block: {json.dumps(state)[:200]}")
    if not body.rstrip().endswith(pr_marker(FP_ID)):
        problems.append("body does not end with the real marker")
    return [f"[{kind}] {text[:60]!r}: {p}" for p in problems]


def test_no_hostile_string_survives_into_titles_bodies_or_comments():
    items = corpus()
    classes = Counter(kind for kind, _ in items)
    failures: list[str] = []
    survived = set()
    for n, (kind, text) in enumerate(items):
        found = _problems(kind, text, pattern=bool(n % 2))
        if found:
            survived.add(text)
            failures += found
    print(f"INERT OUTPUT: strings tried={len(items)} classes={len(classes)} survived={len(survived)}")
    assert len(items) >= 200 and set(classes) == set(CLASSES)
    assert failures == [], "\n".join(failures[:40])
    assert len(survived) == 0


def test_the_baselines_are_live_where_homeostat_means_them():
    # the checker sees Homeostat's own constructs, so "survived = 0" is not a blind checker
    live = live_constructs(BASELINES[False]["body"])
    assert live[("closing_keyword", "Fixes #7")] == 1 and live[("heading", "## ")] == 1
    assert ("html", pr_marker(FP_ID)) in live
    comment = live_constructs(BASELINES[False]["issue_comment"])
    assert ("link", "](") in comment


def test_the_checker_catches_a_renderer_that_is_not_inert(monkeypatch):
    # naive code spans (one backtick, nothing defused) let the corpus through: the detector works
    for module in (inert, pr, comments):  # the renderers import them by name
        if hasattr(module, "code_span"):
            monkeypatch.setattr(module, "code_span", lambda text, limit=200: f"`{text}`")
        if hasattr(module, "defuse"):
            monkeypatch.setattr(module, "defuse", lambda text: text)
    sample = [text for kind, text in corpus() if kind in ("fence", "closing_keyword", "comment_forgery")]
    caught = sum(1 for text in sample if _problems("naive", text, pattern=False))
    print(f"INERT OUTPUT (naive renderer): strings tried={len(sample)} survived={caught}")
    assert caught > len(sample) // 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("TypeError", "TypeError"),
        ("chrome.runtime.LastError", "chrome.runtime.LastError"),
        ("$Err_1", "$Err_1"),
        ("Fixes #1", "Error"),
        ("Type Error", "Error"),
        ("1Error", "Error"),
        ("E" * 65, "Error"),
        ("Ｔype", "Error"),
        ("", "Error"),
    ],
)
def test_error_type_in_titles_is_an_identifier_or_error(value, expected):
    assert identifier_or_error(value) == expected


def test_a_hostile_title_reads_as_plain_text():
    text = "Fixes #1 @admin <img src=x> [x](https://evil.example) `code` www.evil.example GH-2\nline"
    title = _render(text, pattern=False)["title"]
    assert title == (
        "fix: Error in unknown file: Fixes ＃1 ＠admin ‹img src=x› (x)(https(:)//evil.example) 'code' "
        "www(.)ev…"
    )
