"""What Homeostat writes for people: the PR title and body, and the comments on issues.

The PR body follows the seed's template (homeostat/templates/pr-template.ts): fingerprint, error
type, file, attempt n/3, what changed, the error with a sanitized stack, reproduction steps from
the breadcrumbs, a machine-readable state block, how to opt out, where the fix came from, a
"Fixes #n" line per linked issue and the hidden marker that ties the PR to its fingerprint.

Everything here that came from an issue, a model or a repository is untrusted, and is published
inert (docs/SECURITY.md, "What Homeostat publishes"):
- it is scrubbed (secrets, personal data) and truncated first;
- titles (which are also the commit message) hold only an identifier-shaped error type, a
  path-shaped file and the message as plain text with every character that could link, mention,
  format or hide something replaced (`_plain`);
- in bodies and comments it sits only inside code spans and fences longer than any backtick run
  it contains (`_code_span`, `_fence`), where GitHub renders no Markdown, HTML, link or mention;
- inside code it still cannot forge Homeostat's hidden markers or state block, or close an issue
  when the body becomes a squash-merge commit message (`_defuse`).
The only references Homeostat writes are its own: "Fixes #n" for issue numbers it read from the
forge, and the link to its own PR.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from homeostat_core.config import RepoConfig
from homeostat_core.fixing.scrub import scrub as scrub_secrets
from homeostat_core.models import (
    COOLDOWN_HOURS,
    MAX_ATTEMPTS,
    AttemptState,
    ErrorFingerprint,
    ErrorReport,
    ProposedFix,
    PullRequest,
)
from homeostat_core.ports import issue_comment_marker, pr_marker

Scrub = Callable[[str], str]
TITLE_LIMIT = 100
STACK_FRAME_LIMIT = 10
STACK_LINE_LIMIT = 30
# GitHub refuses an issue/PR body or a comment longer than this many characters.
GITHUB_TEXT_LIMIT = 65_536
# Caps per untrusted field, so a body stays far below GITHUB_TEXT_LIMIT by construction.
MESSAGE_CHARS = 1_000
SUMMARY_CHARS = 4_000
LINE_CHARS = 300  # one stack line, one breadcrumb
BREADCRUMB_LIMIT = 30
DETAIL_CHARS = 1_000
NAME_CHARS = 200  # paths, model names, pattern ids, reason codes
FIXES_LINE_LIMIT = 1_000
UNPARSEABLE_MARKER = "<!-- homeostat:unparseable -->"
REJECTED_MARKER = "<!-- homeostat:rejected -->"
# The labels pipeline.py adds (named here for the comments that explain them).
UNPARSEABLE_LABEL_NAME = "homeostat-unparseable"
REJECTED_LABEL_NAME = "homeostat-rejected"
STATE_BLOCK = re.compile(r"### Homeostat State\n```json\n(.*?)\n```", re.DOTALL)
# A JS error type as a name (TypeError, DOMException, chrome.runtime.LastError); anything else is "Error".
IDENTIFIER = re.compile(r"[A-Za-z_$][\w$.]{0,63}", re.ASCII)
_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)*", re.ASCII)
TRUNCATED = " … (truncated)"


def render_pr_title(
    fingerprint: ErrorFingerprint, error: ErrorReport, *, scrub: Scrub = scrub_secrets
) -> str:
    """`fix: TypeError in src/app.js: Cannot read properties of undefined`, at most 100 chars.

    The title is also the commit message, so it is plain text with nothing that links, mentions,
    closes an issue or renders as Markdown (see `_plain`)."""
    error_type = _plain(identifier_or_error(fingerprint.error_type or error.error_type))
    path = _plain(fingerprint.file_path) if _is_path(fingerprint.file_path) else "unknown file"
    title = f"fix: {error_type} in {path}"
    message = _plain(scrub(_precap(error.message, TITLE_LIMIT)))
    if message:
        title = f"{title}: {message}"
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1].rstrip() + "…"


def render_pr_body(
    *,
    fingerprint: ErrorFingerprint,
    error: ErrorReport,
    attempt: AttemptState,
    fix: ProposedFix,
    next_backoff: datetime,
    now: datetime,
    issue_numbers: Sequence[int],
    repo: RepoConfig,
    scrub: Scrub = scrub_secrets,
    earlier_cost_usd: float = 0.0,
) -> str:
    """The PR body. `attempt` is this attempt's state (after begin_attempt): `attempts` counts it.

    (The seed passed the state before the attempt and added one; the pipeline here starts the
    attempt with a conditional write first, so the number is already current.)
    `earlier_cost_usd` is what earlier attempts of this fingerprint cost (the previous state
    block's totalCost); this attempt's cost is `fix.cost_usd`, counted once.
    """
    number = max(attempt.attempts, 1)
    error_type = fingerprint.error_type or error.error_type
    head = [
        "## 🤖 Homeostat Auto-Fix",
        "\n".join(
            [
                f"**Fingerprint**: {_code_span(fingerprint.id)}",
                f"**Error Type**: {_code_span(_capped(error_type, NAME_CHARS, scrub))}",
                f"**File**: {_code_span(fingerprint.file_path or 'unknown')}",
                f"**Attempt**: {number}/{MAX_ATTEMPTS}",
                f"**Fix source**: {_fix_source(fix)}",
            ]
        ),
        "### What Changed\n" + _what_changed(fix, scrub),
        "### Error Details\n"
        + f"**Message**: {_code_span(_capped(error.message, MESSAGE_CHARS, scrub), MESSAGE_CHARS)}\n\n"
        + "**Stack Trace** (sanitized, in-app frames):\n"
        + _fence(_stack_summary(error, scrub)),
        "### Reproduction Steps\n" + _reproduction_steps(error, scrub),
        "### Checks\nHomeostat does not run tests itself: this repository's CI reports on this PR, "
        "and a failing run is fed into the next attempt.",
    ]
    # Everything from here on is Homeostat's own and bounded: kept whole if the text must be cut.
    tail = [
        "### Homeostat State\n```json\n"
        + _inert_json(_state(fingerprint, attempt, fix, next_backoff, now, earlier_cost_usd))
        + "\n```",
        "### How to Opt Out\n"
        f"Add the label {_code_span(repo.opt_out_label)} to the linked issue to stop further attempts "
        "for this error; closing this PR without merging also counts as a failed attempt.",
        "### Safety Checks\n"
        + "\n".join(
            [
                f"- Diff size: {fix.lines_changed} lines (limit: {repo.max_lines_changed})",
                f"- Files changed: {len(_changed_paths(fix))} files (limit: {repo.max_files_changed})",
                "- Path filters passed: " + ", ".join(_code_span(p) for p in repo.path_filters.include),
                "- Secrets and personal data scrubbed from the error text",
            ]
        ),
        _fixes_lines(issue_numbers),
        "---\n*Generated by Homeostat | "
        + f"Pattern: {_code_span(fix.pattern_id) if fix.pattern_id else 'N/A'} | "
        + f"Confidence: {_percent(fix.confidence)} | "
        + f"Strategy: {_code_span(fix.pattern_strategy) if fix.pattern_strategy else 'N/A'}*",
        pr_marker(fingerprint.id),
    ]
    return fit_github_limit("\n\n".join(head), "\n\n".join(tail) + "\n")


def parse_state_block(body: str) -> dict[str, Any] | None:
    """The state JSON written by render_pr_body, or None when the body has none (or it is broken).

    The last block counts: Homeostat writes its own after every piece of untrusted text, so a
    look-alike inside a quoted summary or stack cannot stand in for it."""
    matches = list(STATE_BLOCK.finditer(body or ""))
    if not matches:
        return None
    try:
        data = json.loads(matches[-1].group(1))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def render_issue_comment(
    pr: PullRequest, fingerprint: ErrorFingerprint, fix: ProposedFix, *, opt_out_label: str = "do-not-fix"
) -> str:
    """The one comment on each linked issue (edited on later attempts, never repeated)."""
    link = f"[#{pr.number}]({pr.url})" if pr.url else f"#{pr.number}"
    return fit_github_limit(
        f"🤖 Homeostat proposed a fix for this error in {link} "
        f"(branch {_code_span(pr.branch)}, fingerprint {_code_span(fingerprint.id)}).\n\n"
        f"Source: {_fix_source(fix)}. {fix.lines_changed} lines changed in "
        f"{len(_changed_paths(fix))} file(s).\n\n"
        f"Add the {_code_span(opt_out_label)} label to this issue to stop further attempts.",
        f"{issue_comment_marker(fingerprint.id)}\n",
    )


def render_unparseable_comment(reason: str, *, scrub: Scrub = scrub_secrets) -> str:
    return fit_github_limit(
        "🤖 Homeostat could not read this issue as an error report, so it will not try to fix it.\n\n"
        f"Reason: {_code_span(_capped(reason, DETAIL_CHARS, scrub), DETAIL_CHARS)}\n\n"
        "Homeostat expects the error logger's issue format (error type, message and stack trace). "
        f"Edit the issue and remove the {_code_span(UNPARSEABLE_LABEL_NAME)} label to have it read again.",
        f"{UNPARSEABLE_MARKER}\n",
    )


def render_rejected_comment(reason_code: str, detail: str, *, scrub: Scrub = scrub_secrets) -> str:
    """Why no PR was opened, and what the `homeostat-rejected` label does: Homeostat skips the
    issue until a person removes the label (pipeline.py); only then do the cooldown and the
    attempt limit decide when it tries again."""
    code = _code_span(reason_code)
    if reason_code == "no_source":
        what = (
            "🤖 Homeostat did not try to fix this error: it could not read the source files the "
            f"error points at (they are missing or outside this repository's path filters; {code})."
        )
    else:
        what = (
            "🤖 Homeostat found a candidate fix for this error but did not open a PR: it failed "
            f"validation ({code})."
        )
    cooldowns = ", ".join(f"{COOLDOWN_HOURS * 2**n} h after attempt {n + 1}" for n in range(MAX_ATTEMPTS - 1))
    return fit_github_limit(
        f"{what}\n\n"
        f"Detail: {_code_span(_capped(detail, DETAIL_CHARS, scrub), DETAIL_CHARS)}\n\n"
        f"Homeostat will not look at this issue again while it carries the "
        f"{_code_span(REJECTED_LABEL_NAME)} label. Remove the label to let it try again: the next "
        f"attempt still waits for this error's cooldown ({cooldowns}), and an error gets at most "
        f"{MAX_ATTEMPTS} attempts.",
        f"{REJECTED_MARKER}\n",
    )


def fit_github_limit(head: str, tail: str, limit: int = GITHUB_TEXT_LIMIT) -> str:
    """`head` + "\\n\\n" + `tail` within GitHub's length limit: when too long, `head` is cut at a
    line, a fence left open by the cut is closed, and a note says so; `tail` (the "Fixes" lines
    and the hidden marker) is always kept whole."""
    text = f"{head}\n\n{tail}"
    if len(text) <= limit:
        return text
    note = "\n\n_(Homeostat truncated this text to fit GitHub's 65,536-character limit.)_"
    budget = limit - len(tail) - len(note) - 2 - 64  # 64: room for a closing fence
    cut = head[: max(budget, 0)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    closer = _open_fence(cut)
    if closer:
        cut = f"{cut}\n{closer}"
    return f"{cut}{note}\n\n{tail}"[:limit]


# --- pieces ----------------------------------------------------------------------------------


def identifier_or_error(value: str) -> str:
    """`value` when it is shaped like a JS identifier (dots allowed), else `Error`."""
    return value if IDENTIFIER.fullmatch(value or "") else "Error"


def _is_path(value: str) -> bool:
    return bool(value) and len(value) <= NAME_CHARS and bool(_PATH.fullmatch(value))


def _fix_source(fix: ProposedFix) -> str:
    if fix.source == "pattern":
        strategy = f"{fix.pattern_strategy} match, " if fix.pattern_strategy in ("exact", "fuzzy") else ""
        return (
            f"learned pattern {_code_span(fix.pattern_id or 'unknown')} "
            f"({strategy}confidence {_percent(fix.confidence)})"
        )
    model = f" ({_code_span(fix.model)})" if fix.model else ""
    return f"AI, tier {int(fix.tier)}{model}"


def _what_changed(fix: ProposedFix, scrub: Scrub) -> str:
    summary = _capped(fix.summary.strip(), SUMMARY_CHARS, scrub).strip()
    counts = Counter(edit.path for edit in fix.edits)
    lines = [_fence(summary) if summary else "_Patch summary unavailable_", ""]
    for path in _changed_paths(fix):
        edits = counts.get(path, 0)
        lines.append(
            f"- {_code_span(path)}" + (f": {edits} edit{'s' if edits != 1 else ''}" if edits else "")
        )
    return "\n".join(lines).rstrip()


def _changed_paths(fix: ProposedFix) -> list[str]:
    return list(dict.fromkeys([c.path for c in fix.changes] + [e.path for e in fix.edits]))


def _stack_summary(error: ErrorReport, scrub: Scrub) -> str:
    frames = [f for f in error.frames if f.in_app][:STACK_FRAME_LIMIT]
    if frames:
        lines = []
        for frame in frames:
            where = frame.path or frame.file or "unknown"
            position = ":".join(str(n) for n in (frame.line, frame.column) if n is not None)
            lines.append(
                f"at {frame.function or '<anonymous>'} ({where}{':' + position if position else ''})"
            )
    else:
        lines = [line.strip() for line in error.stack.strip().splitlines()[:STACK_LINE_LIMIT]]
    text = "\n".join(_one_line(_capped(line, LINE_CHARS, scrub)) for line in lines)
    return text or "(no stack trace)"


def _reproduction_steps(error: ErrorReport, scrub: Scrub) -> str:
    crumbs = [crumb for crumb in error.breadcrumbs if crumb.strip()]
    steps = [_code_span(_capped(crumb, LINE_CHARS, scrub), LINE_CHARS) for crumb in crumbs[:BREADCRUMB_LIMIT]]
    if not steps:
        return "_Not available (the report carried no breadcrumbs)_"
    more = len(crumbs) - len(steps)
    listed = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
    return listed + (f"\n\n_…and {more} earlier steps not shown._" if more > 0 else "")


def _fixes_lines(issue_numbers: Sequence[int]) -> str:
    """Homeostat's own closing references, one per issue number it read from the forge."""
    numbers = sorted({int(n) for n in issue_numbers})
    if not numbers:
        return "_No linked issue_"
    lines = [f"Fixes #{n}" for n in numbers[:FIXES_LINE_LIMIT]]
    if len(numbers) > FIXES_LINE_LIMIT:
        lines.append(f"_…and {len(numbers) - FIXES_LINE_LIMIT} more issues with the same fingerprint._")
    return "\n".join(lines)


def _state(
    fingerprint: ErrorFingerprint,
    attempt: AttemptState,
    fix: ProposedFix,
    next_backoff: datetime,
    now: datetime,
    earlier_cost_usd: float,
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "fingerprint": fingerprint.id,
        "tier": fix.tier,
        "attempts": max(attempt.attempts, 1),
        "lastAttemptAt": _iso(now),
        "backoffUntil": _iso(next_backoff),
        "cost": f"{fix.cost_usd:.4f}",
        "totalCost": f"{max(earlier_cost_usd, 0.0) + fix.cost_usd:.4f}",
        "tokens": {"input": fix.usage.prompt, "output": fix.usage.completion, "cached": fix.usage.cached},
        "source": fix.source,
    }
    if fix.source == "pattern":
        state["patternId"] = _visible(fix.pattern_id)[:NAME_CHARS] if fix.pattern_id is not None else None
        state["confidence"] = fix.confidence
    else:
        state["model"] = _visible(fix.model)[:NAME_CHARS]
    return state


def _inert_json(state: dict[str, Any]) -> str:
    """JSON that stays inside its ```json fence and means nothing to GitHub even as plain text: a
    string cannot hold a backtick, `<`, `>`, `&`, `#`, `@` or `//` (written as escapes, which JSON
    reads back as the same characters)."""
    text = json.dumps(state, indent=2)
    for char in "`<>&#@":
        text = text.replace(char, f"\\u{ord(char):04x}")
    text = _GH_REFERENCE.sub(lambda m: m.group(0)[:2] + "\\u002d", text)
    return text.replace("//", "\\/\\/")  # no URL either


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _percent(confidence: float | None) -> str:
    return "N/A" if confidence is None else f"{round(confidence * 1000) / 10}%"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- making untrusted text inert -------------------------------------------------------------

# Characters that are invisible or reorder text (controls, bidi overrides and isolates, zero-width
# joiners, BOM, private use, unassigned): dropped; line and paragraph separators become newlines.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})


def _visible(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in _HIDDEN_CATEGORIES)


def _precap(text: str, limit: int) -> str:
    """A generous first cut (4x) before scrubbing, so the scrubber never sees megabytes; the
    final cut after scrubbing removes any secret this cut could have split."""
    return (text or "")[: limit * 4]


def _capped(text: str, limit: int, scrub: Scrub) -> str:
    """Scrubbed, visible, defused and at most `limit` characters (with a note when cut)."""
    text = _visible(scrub(_precap(text, limit)))
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    return _defuse(text)


# A closing keyword followed by a reference (GitHub closes the issue when the PR merges, and when
# a squash-merge commit message carries the PR body, also from inside code).
CLOSING_KEYWORD = r"(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"
_REFERENCE = re.compile(r"#(?=\d)|\bGH-(?=\d)", re.I)
_CLOSING_URL = re.compile(rf"(\b{CLOSING_KEYWORD}\b\W{{0,3}}[a-z][a-z0-9+.-]*):(?=//)", re.I)
_COMMENT_OPEN = re.compile(r"<!-(?=-)")


def _defuse(text: str) -> str:
    """What must not work even inside code: a `#n`/`GH-n` reference (a squash-merge commit
    message is plain text), a closing keyword before a URL, and a `<!--` that could forge one of
    Homeostat's hidden markers (they are found by substring)."""
    text = _REFERENCE.sub(lambda m: "＃" if m.group(0) == "#" else m.group(0)[:2] + "–", text)
    text = _CLOSING_URL.sub(r"\1(:)", text)
    return _COMMENT_OPEN.sub("<! -", text)


_PLAIN_TABLE = str.maketrans(
    {
        "`": "'",
        "<": "‹",
        ">": "›",
        "[": "(",
        "]": ")",
        "*": "∗",
        "~": "∼",
        "|": "¦",
        "\\": "/",
        "#": "＃",
        "@": "＠",
    }
)
_URL_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):(?=//)", re.I)
_WWW = re.compile(r"\bwww\.", re.I)
_GH_REFERENCE = re.compile(r"\bGH-(?=\d)", re.I)


def _plain(text: str) -> str:
    """One line of plain text (a title, a commit message) where nothing links, mentions, renders
    as code or HTML, or hides: no `#`, `@`, backtick, angle or square bracket, URL scheme, `www.`,
    `GH-n`, newline, control, bidi or zero-width character survives as itself."""
    text = _one_line(_visible(text)).translate(_PLAIN_TABLE)
    text = _URL_SCHEME.sub(r"\1(:)", text)
    text = _WWW.sub("www(.)", text)
    return _GH_REFERENCE.sub(lambda m: m.group(0)[:2] + "–", text)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _code_span(text: str | None, limit: int = NAME_CHARS) -> str:
    """`text` (one line, cut at `limit`) as a code span no content can close: the delimiter is
    longer than any backtick run inside, and padded when the content starts or ends with one."""
    text = _defuse(_one_line(_visible((text or "")[: limit * 4])))
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    if not text:
        return "_empty_"
    ticks = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str) -> str:
    """`text` as a fenced code block no line inside can close (fence longer than any run)."""
    text = _defuse(_visible(text))
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}\n{text}\n{fence}"


_FENCE_LINE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")


def _open_fence(text: str) -> str | None:
    """The line that closes the fenced block still open at the end of `text`, if any."""
    opener: str | None = None
    for line in text.split("\n"):
        match = _FENCE_LINE.fullmatch(line)
        if not match:
            continue
        run, rest = match.groups()
        if opener is None:
            if not (run[0] == "`" and "`" in rest):
                opener = run
        elif run[0] == opener[0] and len(run) >= len(opener) and not rest.strip():
            opener = None
    return opener
