"""After the merge: what the repository released decides what new reports mean (fixed in a
release, awaiting one, a regression, or an unverified claim), and when a fix is verified.

Versions in reports are claims; releases come from the repository (homeostat_core.releases).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from homeostat_core import lifecycle
from homeostat_core.attempts import as_utc
from homeostat_core.lifecycle import Stage
from homeostat_core.models import AttemptState, ForgeIssue
from homeostat_core.observability import emit_outcome_metric
from homeostat_core.outcomes import (
    FIXED_IN_RELEASE_LABEL,
    PENDING_RELEASE_LABEL,
    REGRESSED_LABEL,
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.attempt import handle_attempt
from homeostat_core.pipeline.context import Group, RunContext, capped_issues, outcome_for
from homeostat_core.releases import Claim, Decision, FixRelease, ReleaseRule, regression_rule
from homeostat_core.report.comments import (
    fixed_in_release_comment,
    pending_release_comment,
    regressed_comment,
)
from homeostat_core.report.markers import (
    FIXED_IN_RELEASE_MARKER,
    PENDING_RELEASE_MARKER,
    REGRESSED_MARKER,
)
from homeostat_core.settlement import edits_diff, learn_regression, learn_verified
from homeostat_core.versions import parse_version


def handle_fixed(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """merged / verified, and the error is reported again: what each report's version says.

    - older than the first release with the fix (or any release while none has it): answered
      once, labelled and (by default) closed: fixed in a release, or awaiting one. $0.
    - a version the repository released with the fix: a regression when the trusted logger
      reported it or two independent reporters did; then the fingerprint is attempted again with
      the earlier fix in the prompt. One other reporter: noted, nothing else (yet).
    - a version the repository never released: unverified, nothing happens.
    - no version: as before (done), counted on the run record.
    """
    state, fix = fix_release_of(ctx, state)
    claims = {
        issue.number: ctx.releases.claim(group.versions.get(issue.number), fix, state.version_at_merge)
        for issue in group.issues
    }

    def having(claim: Claim) -> list[ForgeIssue]:
        return [issue for issue in group.issues if claims[issue.number] is claim]

    without, with_fix, unverified = (
        having(Claim.WITHOUT_FIX),
        having(Claim.WITH_FIX),
        having(Claim.UNVERIFIED),
    )
    ctx.reports_without_version += len(having(Claim.NO_VERSION))
    answered = _answer_without_fix(ctx, group, state, fix, without) if without else None
    if with_fix:
        rule = regression_rule(ctx.repo, [(i, group.installs.get(i.number)) for i in with_fix])
        if rule is not Decision.AWAITING_CORROBORATION:
            # the reports from versions without the fix were answered above; the new PR links the rest
            rest = [i for i in group.issues if i not in without]
            outcome = regress(ctx, dataclasses.replace(group, issues=rest), state, with_fix, fix, rule)
            if answered is not None:
                key = "fixedInRelease" if answered is Result.FIXED_IN_RELEASE else "awaitingRelease"
                outcome = dataclasses.replace(
                    outcome, extra={**outcome.extra, key: [i.number for i in without]}
                )
            return outcome
    notes = []
    if with_fix:
        notes.append(
            f"{_numbers(with_fix)} from v{_newest(group, with_fix)}, a release with the fix, by one "
            "reporter: a regression needs the trusted logger or a second, independent reporter"
        )
    if unverified:
        notes.append(
            f"{_numbers(unverified)} from v{_newest(group, unverified)}, a version the repository has "
            "not released: unverified"
        )
    decision = _decision(with_fix, answered, unverified)
    if decision is not None and decision.value != state.decided_by:
        state = ctx.attempts.save(lifecycle.annotated(state, decided_by=decision.value))
    if answered is not None:
        where = (
            f"first released in v{fix.version}"
            if answered is Result.FIXED_IN_RELEASE
            else "no release has it"
        )
        notes.insert(0, f"fixed by PR #{state.pr_number}, {where}; not in these installs")
        return outcome_for(group, answered, pr=state.pr_number, reason="; ".join(notes))
    if notes:
        return outcome_for(group, Result.DONE, pr=state.pr_number, reason="; ".join(notes))
    return outcome_for(group, Result.DONE, pr=state.pr_number, reason="fixed; the reports name no version")


def fix_release_of(ctx: RunContext, state: AttemptState) -> tuple[AttemptState, FixRelease | None]:
    """The first version with the merged fix: recorded on the row once found (no more forge
    calls for it), looked up in the repository until then."""
    if state.released_in:
        return state, FixRelease(state.released_in, ReleaseRule(state.release_rule or ReleaseRule.TAG))
    merge_sha = state.merge_sha
    if merge_sha is None and state.pr_number is not None:  # merged before merge commits were recorded
        pr = ctx.forge.get_pr(ctx.repo, state.pr_number)
        merge_sha = pr.merge_commit_sha if pr is not None and pr.merged else None
    fix = ctx.releases.fix_release(merge_sha, state.version_at_merge)
    if fix is not None:
        state = ctx.attempts.save(
            lifecycle.annotated(
                state,
                merge_sha=merge_sha,
                released_in=fix.version,
                release_rule=fix.rule.value,
                release_seen_at=ctx.now,
            )
        )
    elif merge_sha != state.merge_sha:
        state = ctx.attempts.save(lifecycle.annotated(state, merge_sha=merge_sha))
    return state, fix


def _answer_without_fix(
    ctx: RunContext, group: Group, state: AttemptState, fix: FixRelease | None, issues: list[ForgeIssue]
) -> Result:
    """Reports from versions without the fix: labelled, answered once and (by default) closed."""
    closing = ctx.repo.close_fixed_pending_release
    released = fix is not None and fix.released
    label = FIXED_IN_RELEASE_LABEL if released else PENDING_RELEASE_LABEL
    for number in capped_issues(ctx, [i.number for i in issues if label not in i.labels]):
        seen = group.versions.get(number) or ""
        if released:
            body = fixed_in_release_comment(state.pr_number, seen, fix.version, closing=closing)
        else:
            ships_in = fix.version if fix is not None else None
            body = pending_release_comment(state.pr_number, seen, ships_in, closing=closing)
        ctx.forge.add_labels(ctx.repo, number, [label])
        ctx.forge.comment_on_issue(
            ctx.repo, number, body, FIXED_IN_RELEASE_MARKER if released else PENDING_RELEASE_MARKER
        )
        if closing:
            ctx.forge.close_issue(ctx.repo, number)
    return Result.FIXED_IN_RELEASE if released else Result.AWAITING_RELEASE


def _decision(with_fix: list, answered: Result | None, unverified: list) -> Decision | None:
    """The strongest rule that decided this run, short of a regression (recorded as decided_by)."""
    if with_fix:
        return Decision.AWAITING_CORROBORATION
    if answered is Result.FIXED_IN_RELEASE:
        return Decision.FIXED_IN_RELEASE
    if answered is Result.AWAITING_RELEASE:
        return Decision.PENDING_RELEASE
    return Decision.UNVERIFIED_VERSION if unverified else None


_RULE_WORDS = {
    Decision.REGRESSED_TRUSTED_LOGGER: "reported by the trusted logger (allowed_authors)",
    Decision.REGRESSED_INDEPENDENT_REPORTS: "reported by two independent reporters",
}


def regress(
    ctx: RunContext,
    group: Group,
    state: AttemptState,
    issues: list[ForgeIssue],
    fix: FixRelease,
    rule: Decision,
) -> FingerprintOutcome:
    """Reported from a released version that contains the merged fix: the fix did not stop it."""
    seen = _newest(group, issues)
    where = (
        f"first released in {fix.version}"
        if fix.released
        else f"{fix.version} is the default branch's version since the merge"
    )
    note = (
        f"An earlier fix for this error (PR #{state.pr_number}, {where}) did not stop it: it was "
        f"reported again from version {seen}, {_RULE_WORDS[rule]}. The earlier fix's edits were:\n"
        + edits_diff(state.edits)[:1500]
    )
    regressed = ctx.attempts.save(
        lifecycle.moved(
            state,
            Stage.REGRESSED,
            regressed_at=ctx.now,
            ci_summary=note,
            failure_summary=note,
            decided_by=rule.value,
        )
    )
    learn_regression(ctx.ports, state, env=ctx.env, now=ctx.now)
    emit_outcome_metric(ctx.repo.slug, "Regressions")
    body = regressed_comment(seen, state.pr_number, where, _RULE_WORDS[rule])
    for number in capped_issues(ctx, [i.number for i in issues if REGRESSED_LABEL not in i.labels]):
        ctx.forge.add_labels(ctx.repo, number, [REGRESSED_LABEL])
        ctx.forge.comment_on_issue(ctx.repo, number, body, REGRESSED_MARKER)
    outcome = handle_attempt(ctx, group, regressed)
    return dataclasses.replace(
        outcome, extra={**outcome.extra, "regressedFrom": state.pr_number, "decidedBy": rule.value}
    )


def verify_release(ctx: RunContext, state: AttemptState, group: Group | None) -> FingerprintOutcome | None:
    """A merged fix is verified in production when the repository released it (a release found
    from the repository, never from a report) and no report from a version with the fix arrived
    for verify_after_days since Homeostat found that release."""
    state, fix = fix_release_of(ctx, state)
    if fix is None or state.release_seen_at is None:
        return None
    if group is not None and any(
        ctx.releases.claim(v, fix, state.version_at_merge) is Claim.WITH_FIX
        for v in (group.versions.get(n) for n in group.issue_numbers)
    ):
        return None  # reported from a version with the fix: the fingerprint's handler decides
    if as_utc(ctx.now) - as_utc(state.release_seen_at) < timedelta(days=ctx.repo.verify_after_days):
        return None
    ctx.attempts.save(lifecycle.moved(state, Stage.VERIFIED, verified_at=ctx.now))
    learn_verified(ctx.ports, state, env=ctx.env, now=ctx.now)
    emit_outcome_metric(ctx.repo.slug, "FixesVerified")
    return FingerprintOutcome(
        Result.VERIFIED,
        fingerprint=state.fingerprint_id,
        pr=state.pr_number,
        reason=(
            f"released in {fix.version}; no report from a version with the fix for "
            f"{ctx.repo.verify_after_days} days"
        ),
    )


def _numbers(issues: list[ForgeIssue]) -> str:
    return ", ".join(f"#{i.number}" for i in issues)


def _newest(group: Group, issues: list[ForgeIssue]) -> str:
    versions = [group.versions.get(i.number) or "" for i in issues]
    return max(versions, key=lambda v: parse_version(v) or ())
