"""The PR title (also the commit message) and body Homeostat writes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from homeostat_core.config import RepoConfig
from homeostat_core.fixing.scrub import scrub as scrub_secrets
from homeostat_core.models import (
    MAX_ATTEMPTS,
    AttemptState,
    ErrorFingerprint,
    ErrorReport,
    ProposedFix,
    SourceResolution,
)
from homeostat_core.report.inert import (
    BREADCRUMB_LIMIT,
    FIXES_LINE_LIMIT,
    LINE_CHARS,
    MESSAGE_CHARS,
    NAME_CHARS,
    STACK_FRAME_LIMIT,
    STACK_LINE_LIMIT,
    SUMMARY_CHARS,
    TITLE_LIMIT,
    Scrub,
    capped,
    code_span,
    fence,
    fit_github_limit,
    identifier_or_error,
    is_path,
    one_line,
    plain,
    precap,
    visible,
)
from homeostat_core.report.markers import pr_marker, state_marker
from homeostat_core.versions import parse_version


def render_pr_title(
    fingerprint: ErrorFingerprint, error: ErrorReport, *, scrub: Scrub = scrub_secrets
) -> str:
    """`fix: TypeError in src/app.js: Cannot read properties of undefined`, at most 100 chars.

    The title is also the commit message, so it is plain text with nothing that links, mentions,
    closes an issue or renders as Markdown (see `plain`)."""
    error_type = plain(identifier_or_error(fingerprint.error_type or error.error_type))
    path = plain(fingerprint.file_path) if is_path(fingerprint.file_path) else "unknown file"
    title = f"fix: {error_type} in {path}"
    message = plain(scrub(precap(error.message, TITLE_LIMIT)))
    if message:
        title = f"{title}: {message}"
    return title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class Sighting:
    """One linked report of the error: where and when it was seen."""

    issue: int
    browser: str | None = None
    version: str | None = None
    message: str = ""
    seen_at: datetime | None = None


# (path, line) -> a link to that line at the PR's base commit, from the forge; None: no link
LineLink = Callable[[str, int | None], str | None]


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
    sightings: Sequence[Sighting] = (),
    line_link: LineLink | None = None,
) -> str:
    """The PR body, written for its reviewer. `attempt` is this attempt's state (after the claim
    and the recorded fix): `attempts` counts it, `pr_history` holds the fingerprint's earlier PRs,
    and a `ci_summary` on an open PR is the CI failure this commit answers.
    `earlier_cost_usd` is what every earlier attempt of this fingerprint cost; this attempt's cost
    is `fix.cost_usd`, counted once. Internal state goes only into the hidden state marker.
    """
    error_type = capped(fingerprint.error_type or error.error_type, NAME_CHARS, scrub)
    path = fix.resolution.path if fix.resolution and fix.resolution.path else fingerprint.file_path
    where = f" in {code_span(path)}" if is_path(path) else ""  # the repository file, once found
    head = [
        f"## 🤖 Homeostat fix: {code_span(error_type)}{where}",
        "### What broke\n" + _what_broke(error, error_type, sightings, scrub, line_link),
        *_section("How often and where", _how_often(sightings, issue_numbers)),
        "### Why this fix\n" + _why_this_fix(attempt, fix),
        "### What changed in this commit\n" + _what_changed(fix, attempt, scrub),
        *_section("Regression", _regression(attempt, sightings)),
        *_section("Reproduction steps", _reproduction_steps(error, scrub)),
        "### Checks\nHomeostat does not run tests itself: this repository's CI reports on this PR, "
        "and a failing run is answered by a new commit on top of this one.",
    ]
    total = max(earlier_cost_usd, 0.0) + fix.cost_usd
    # Everything from here on is Homeostat's own and bounded: kept whole if the text must be cut.
    tail = [
        "### Cost so far\n" + _cost_line(total, fix.cost_usd, attempt),
        "### How to stop it\n"
        f"Add the label {code_span(repo.opt_out_label)} to a linked issue, or comment "
        "`/homeostat stop` on this PR: no further attempts for this error. Closing this PR without "
        "merging also stops them until a newer release reports the error again.",
        "### Safety checks\n"
        + "\n".join(
            [
                f"- Diff size: {counted(fix.lines_changed, 'line')} (limit {repo.max_lines_changed})",
                f"- Files changed: {counted(len(changed_paths(fix)), 'file')} "
                f"(limit {repo.max_files_changed})",
                "- Path filters passed: " + ", ".join(code_span(p) for p in repo.path_filters.include),
                "- Secrets and personal data scrubbed from the error text",
            ]
        ),
        *([_fixes_lines(issue_numbers)] if issue_numbers else []),
        state_marker(_state(fingerprint, attempt, fix, next_backoff, now, earlier_cost_usd)),
        pr_marker(fingerprint.id),
    ]
    return fit_github_limit("\n\n".join(head), "\n\n".join(tail) + "\n")


def _section(title: str, text: str) -> list[str]:
    """A section only when there is something to say (never an empty or N/A one)."""
    return [f"### {title}\n{text}"] if text else []


def counted(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _what_broke(
    error: ErrorReport, error_type: str, sightings: Sequence[Sighting], scrub: Scrub, link: LineLink | None
) -> str:
    lines = [
        f"{code_span(error_type)}: {code_span(capped(error.message, MESSAGE_CHARS, scrub), MESSAGE_CHARS)}"
    ]
    # the same error in other browsers' words (a Chrome and a Firefox report word it differently)
    by_browser: dict[str, str] = {}
    for seen in sightings:
        if seen.browser and seen.message and seen.message != error.message:
            by_browser.setdefault(seen.browser, seen.message)
    for browser, message in sorted(by_browser.items()):
        lines.append(f"{browser}: {code_span(capped(message, MESSAGE_CHARS, scrub), MESSAGE_CHARS)}")
    frames = [f for f in error.frames if f.in_app][:STACK_FRAME_LIMIT]
    if frames:
        lines += ["", "Top frames in this repository:"]
        lines += [f"{i}. {_frame_line(frame, scrub, link)}" for i, frame in enumerate(frames, 1)]
    else:
        lines += ["", "Stack trace (sanitized):", fence(_stack_summary(error, scrub))]
    return "\n".join(lines)


def _frame_line(frame, scrub: Scrub, link: LineLink | None) -> str:
    function = code_span(capped(frame.function or "<anonymous>", NAME_CHARS, scrub))
    path = frame.path if frame.path and is_path(frame.path) else None
    position = ":".join(str(n) for n in (frame.line, frame.column) if n is not None)
    if path is None:
        where = code_span(capped(frame.path or frame.file or "unknown", LINE_CHARS, scrub))
        return f"{function} at {where}" + (f" (line {position})" if position else "")
    text = code_span(f"{path}:{position}" if position else path)
    url = link(path, frame.line) if link and frame.line else None  # a link to a line, or none
    return f"{function} at " + (f"[{text}]({url})" if url else text)


def _how_often(sightings: Sequence[Sighting], issue_numbers: Sequence[int]) -> str:
    numbers = sorted({int(n) for n in issue_numbers} | {s.issue for s in sightings})
    if not numbers:
        return ""
    shown = ", ".join(f"#{n}" for n in numbers[:FIXES_LINE_LIMIT])
    more = f" and {len(numbers) - FIXES_LINE_LIMIT} more" if len(numbers) > FIXES_LINE_LIMIT else ""
    lines = [f"- {counted(len(numbers), 'report')}: {shown}{more}"]
    browsers = Counter(s.browser for s in sightings if s.browser)
    if browsers:
        lines.append("- Browsers: " + ", ".join(f"{b} ({n})" for b, n in sorted(browsers.items())))
    versions = Counter(s.version for s in sightings if s.version)
    if versions:
        ordered = sorted(versions.items(), key=lambda item: _version_key(item[0]))
        lines.append("- Extension versions: " + ", ".join(f"{code_span(v)} ({n})" for v, n in ordered))
    times = sorted(s.seen_at for s in sightings if s.seen_at is not None)
    if times:
        first, last = _when(times[0]), _when(times[-1])
        lines.append(f"- First seen {first}, last seen {last}" if first != last else f"- Seen {first}")
    return "\n".join(lines)


def _version_key(version: str) -> tuple:
    parsed = parse_version(version)
    return (0, parsed, "") if parsed is not None else (1, (), version)


def _when(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _why_this_fix(attempt: AttemptState, fix: ProposedFix) -> str:
    lines = []
    if fix.resolution and fix.resolution.path:
        lines.append(f"- File: {found_line(fix.resolution)}")
    if fix.windows:
        lines.append("- Shown to the model: " + ", ".join(code_span(w) for w in fix.windows))
    lines.append(f"- Fix: {fix_source(fix)}" + (f"; {fix.route}" if fix.route else ""))
    lines.append(f"- Attempt {max(attempt.attempts, 1)} of {MAX_ATTEMPTS}")
    return "\n".join(lines)


def _what_changed(fix: ProposedFix, attempt: AttemptState, scrub: Scrub) -> str:
    lines = []
    if attempt.pr_number is not None and attempt.head_sha and attempt.ci_summary:
        # a follow-up on Homeostat's open PR: a new commit on top, answering what CI said
        lines += [
            f"A new commit on top of {code_span(attempt.head_sha[:7])}, which CI failed:",
            fence(capped(attempt.ci_summary, SUMMARY_CHARS, scrub)),
            "",
        ]
    summary = capped(fix.summary.strip(), SUMMARY_CHARS, scrub).strip()
    if summary:
        lines += [fence(summary), ""]
    counts = Counter(edit.path for edit in fix.edits)
    for path in changed_paths(fix):
        edits = counts.get(path, 0)
        lines.append(f"- {code_span(path)}" + (f": {counted(edits, 'edit')}" if edits else ""))
    return "\n".join(lines).rstrip()


def _regression(attempt: AttemptState, sightings: Sequence[Sighting]) -> str:
    merged = [pr for pr in attempt.pr_history if pr.merged]
    if not merged or attempt.regressed_at is None:
        return ""
    last = merged[-1]
    text = f"A regression of merged #{last.number}"
    if last.fixed_in:
        text += f": its fix shipped in {code_span(last.fixed_in)}"
    versions = sorted({s.version for s in sightings if s.version}, key=_version_key)
    if versions:
        shipped = last.fixed_in and versions[-1] == last.fixed_in
        reported = "that release" if shipped else code_span(versions[-1])
        text += f"{',' if last.fixed_in else ':'} and this error is still reported from {reported}"
    return text + ". The earlier fix is shown to the model as what did not work."


def _cost_line(total: float, this_commit: float, attempt: AttemptState) -> str:
    attempts = max(attempt.attempts, 1)  # counts on across a regression's new PR
    text = f"${total:.4f} in model calls"
    if total != this_commit:
        text += f" (this commit ${this_commit:.4f})"
    return text + f", over every attempt at this error ({counted(attempts, 'attempt')})."


def fix_source(fix: ProposedFix) -> str:
    if fix.source == "pattern":
        strategy = f"{fix.pattern_strategy} match, " if fix.pattern_strategy in ("exact", "fuzzy") else ""
        return (
            f"learned pattern {code_span(fix.pattern_id or 'unknown')} "
            f"({strategy}confidence {percent(fix.confidence)})"
        )
    model = f" ({code_span(fix.model)})" if fix.model else ""
    return f"AI, tier {int(fix.tier)}{model}"


def found_line(found: SourceResolution) -> str:
    """How the file was found, honestly: `background.js` → `src/background.js` (extension root
    `src/`); a suffix or a name is said to be a guess."""
    served, path = code_span(found.served), code_span(found.path)
    # A frame served at the path it has in the repository needs no arrow: `a.js` → `a.js` says nothing.
    moved = path if found.served == found.path else f"{served} → {path}"
    if found.rule in ("source_roots", "manifest_root"):
        where = f"extension root {code_span(found.root + '/')}" if found.root else "the repository root"
        text = f"{moved} ({where}, from {'source_roots' if found.rule == 'source_roots' else 'its manifest.json'})"
    elif found.rule == "path_map":
        text = f"{moved} (path_map {code_span(found.root)})"
    elif found.rule == "suffix":
        text = (
            f"{moved}, the only file with that name and folders "
            f"(confidence {percent(found.confidence)}: a guess, check that it is the right file)"
        )
    elif found.rule == "symbol":
        text = (
            f"{served} is not in this repository (a bundle without a source map); {path} defines the "
            f"function the trace names (confidence {percent(found.confidence)}: a guess, check that it "
            "is the right file)"
        )
    else:
        text = f"{path} (the path in the trace)"
    if found.twins:
        text += ". Per-browser copies, fixed alike: " + ", ".join(code_span(t) for t in found.twins)
    return text


def changed_paths(fix: ProposedFix) -> list[str]:
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
    text = "\n".join(one_line(capped(line, LINE_CHARS, scrub)) for line in lines)
    return text or "(no stack trace)"


def _reproduction_steps(error: ErrorReport, scrub: Scrub) -> str:
    crumbs = [crumb for crumb in error.breadcrumbs if crumb.strip()]
    steps = [code_span(capped(crumb, LINE_CHARS, scrub), LINE_CHARS) for crumb in crumbs[:BREADCRUMB_LIMIT]]
    if not steps:
        return ""
    more = len(crumbs) - len(steps)
    listed = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
    return listed + (f"\n\n_…and {counted(more, 'earlier step')} not shown._" if more > 0 else "")


def _fixes_lines(issue_numbers: Sequence[int]) -> str:
    """Homeostat's own closing references, one per issue number it read from the forge."""
    numbers = sorted({int(n) for n in issue_numbers})
    lines = [f"Fixes #{n}" for n in numbers[:FIXES_LINE_LIMIT]]
    if len(numbers) > FIXES_LINE_LIMIT:
        lines.append(
            f"_…and {counted(len(numbers) - FIXES_LINE_LIMIT, 'more issue')} with the same fingerprint._"
        )
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
        state["patternId"] = visible(fix.pattern_id)[:NAME_CHARS] if fix.pattern_id is not None else None
        state["confidence"] = fix.confidence
    else:
        state["model"] = visible(fix.model)[:NAME_CHARS]
    return state


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def percent(confidence: float | None) -> str:
    return "unknown" if confidence is None else f"{round(confidence * 1000) / 10}%"
