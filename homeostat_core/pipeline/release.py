"""After the merge: reports sorted by version (awaiting release, regression) and verification."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from homeostat_core import lifecycle
from homeostat_core.attempts import as_utc
from homeostat_core.lifecycle import Stage
from homeostat_core.models import (
    AttemptState,
    ForgeIssue,
)
from homeostat_core.observability import emit_outcome_metric
from homeostat_core.outcomes import (
    PENDING_RELEASE_LABEL,
    REGRESSED_LABEL,
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.attempt import handle_attempt
from homeostat_core.pipeline.context import (
    Group,
    RunContext,
    capped_issues,
    outcome_for,
)
from homeostat_core.report.comments import pending_release_comment, regressed_comment
from homeostat_core.report.markers import (
    PENDING_RELEASE_MARKER,
    REGRESSED_MARKER,
)
from homeostat_core.settlement import edits_diff, learn_regression
from homeostat_core.versions import parse_version


def handle_fixed(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """merged / verified, and the error is reported again: sort the reports by version.

    From a version without the fix (≤ the version at the merge): fixed, awaiting release — no
    attempt, no cost, labelled and answered once (and closed, by default). From a version with
    the fix: a regression — the fingerprint is eligible again and the next prompt says the earlier
    fix did not stop the error. No version in the report: as before (done), counted on the record.
    """
    fixed = parse_version(state.fixed_in_version)
    if fixed is None:
        return outcome_for(group, Result.DONE, pr=state.pr_number, reason=f"fixed by PR #{state.pr_number}")
    pending, regressed, unknown = [], [], []
    for issue in group.issues:
        version = parse_version(group.versions.get(issue.number))
        (unknown if version is None else pending if version <= fixed else regressed).append(issue)
    ctx.reports_without_version += len(unknown)
    if pending:
        _answer_pending_release(ctx, group, state, pending)
    if regressed:
        # the reports from versions without the fix are answered above; the new PR links the rest
        outcome = regress(ctx, dataclasses.replace(group, issues=regressed + unknown), state, regressed)
        if pending:
            awaiting = [i.number for i in pending]
            outcome = dataclasses.replace(outcome, extra={**outcome.extra, "awaitingRelease": awaiting})
        return outcome
    if pending:
        return outcome_for(
            group,
            Result.AWAITING_RELEASE,
            pr=state.pr_number,
            reason=f"fixed by PR #{state.pr_number} after v{state.fixed_in_version}; not in these installs yet",
        )
    return outcome_for(group, Result.DONE, pr=state.pr_number, reason="fixed; the reports name no version")


def _answer_pending_release(ctx: RunContext, group: Group, state: AttemptState, issues: list[ForgeIssue]):
    body = pending_release_comment(
        state.pr_number, state.fixed_in_version, closing=ctx.repo.close_fixed_pending_release
    )
    for number in capped_issues(ctx, [i.number for i in issues if PENDING_RELEASE_LABEL not in i.labels]):
        ctx.forge.add_labels(ctx.repo, number, [PENDING_RELEASE_LABEL])
        ctx.forge.comment_on_issue(ctx.repo, number, body, PENDING_RELEASE_MARKER)
        if ctx.repo.close_fixed_pending_release:
            ctx.forge.close_issue(ctx.repo, number)


def regress(
    ctx: RunContext, group: Group, state: AttemptState, issues: list[ForgeIssue]
) -> FingerprintOutcome:
    """Reported from a version that contains the merged fix: the fix did not stop the error."""
    seen = max((group.versions.get(i.number) or "" for i in issues), key=lambda v: parse_version(v) or ())
    note = (
        f"An earlier fix for this error (PR #{state.pr_number}, shipped after version "
        f"{state.fixed_in_version}) did not stop it: it was reported again from version {seen}. "
        "The earlier fix's edits were:\n" + edits_diff(state.edits)[:1500]
    )
    regressed = ctx.attempts.save(
        lifecycle.moved(state, Stage.REGRESSED, regressed_at=ctx.now, ci_summary=note, failure_summary=note)
    )
    learn_regression(ctx.ports, state, env=ctx.env, now=ctx.now)
    emit_outcome_metric(ctx.repo.slug, "Regressions")
    body = regressed_comment(seen, state.pr_number)
    for number in capped_issues(ctx, [i.number for i in issues if REGRESSED_LABEL not in i.labels]):
        ctx.forge.add_labels(ctx.repo, number, [REGRESSED_LABEL])
        ctx.forge.comment_on_issue(ctx.repo, number, body, REGRESSED_MARKER)
    outcome = handle_attempt(ctx, group, regressed)
    return dataclasses.replace(outcome, extra={**outcome.extra, "regressedFrom": state.pr_number})


def verify_release(ctx: RunContext, state: AttemptState, group: Group | None) -> FingerprintOutcome | None:
    """A merged fix counts as verified in production when no report from a version containing it
    arrived for verify_after_days after such a version was first reported (by any error)."""
    fixed = parse_version(state.fixed_in_version)
    if fixed is None or ctx.newest_version is None or ctx.newest_version <= fixed:
        return None
    if group is not None and any((parse_version(v) or ()) > fixed for v in group.versions.values()):
        return None  # reported from a fixed version: the fingerprint's handler calls it a regression
    if state.release_seen_at is None:
        ctx.attempts.save(lifecycle.annotated(state, release_seen_at=ctx.now))
        return None
    if as_utc(ctx.now) - as_utc(state.release_seen_at) < timedelta(days=ctx.repo.verify_after_days):
        return None
    ctx.attempts.save(lifecycle.moved(state, Stage.VERIFIED, verified_at=ctx.now))
    emit_outcome_metric(ctx.repo.slug, "FixesVerified")
    return FingerprintOutcome(
        Result.VERIFIED,
        fingerprint=state.fingerprint_id,
        pr=state.pr_number,
        reason=f"no report from a version after {state.fixed_in_version} for {ctx.repo.verify_after_days} days",
    )
