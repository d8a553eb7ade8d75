"""Homeostat's PR is open: it waits for CI or people; a conflict with a moved base is rebuilt."""

from __future__ import annotations

import dataclasses

from homeostat_core import lifecycle
from homeostat_core.lifecycle import Stage, stage_of
from homeostat_core.models import (
    AttemptState,
    FixFailure,
)
from homeostat_core.outcomes import (
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.context import (
    Group,
    RunContext,
    outcome_for,
)
from homeostat_core.pipeline.publish import hand_over, publish
from homeostat_core.pipeline.recover import recorded_fix
from homeostat_core.settlement import apply_ci_verdict


def handle_review(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """draft / ready / handed over: Homeostat's PR is open; it waits for CI or for people."""
    stage = stage_of(state)
    if stage in (Stage.DRAFT, Stage.READY):
        rebuilt = _rebuild_if_conflicting(ctx, group, state)
        if rebuilt is not None:
            return rebuilt
    if stage is Stage.DRAFT and state.head_sha:
        verdict = ctx.forge.get_check_results(ctx.repo, state.head_sha)
        decided = apply_ci_verdict(ctx.ports, ctx.repo, state, verdict, ctx.now, ctx.policy)
        if decided is not None:
            return outcome_for(group, decided, pr=state.pr_number, reason=verdict.summary[:200] or None)
    reason = {
        Stage.DRAFT: "draft PR waiting for CI",
        Stage.READY: "PR ready, waiting for review",
        Stage.HANDED_OVER: "PR left to the people who committed on it",
    }[stage]
    return outcome_for(group, Result.WAITING, pr=state.pr_number, reason=reason)


def _rebuild_if_conflicting(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome | None:
    """The base branch moved and Homeostat's PR now conflicts: rebuild the recorded fix on the new
    base (no model call, no attempt), unless people committed on the branch (then it is theirs).
    When the recorded edits no longer apply, the next attempt regenerates the fix."""
    pr = ctx.forge.get_pr(ctx.repo, state.pr_number)
    if pr is None or pr.state != "open" or pr.mergeable is not False:
        return None
    if state.head_sha and pr.head_sha != state.head_sha:
        return hand_over(ctx, group, state)
    fix = recorded_fix(ctx, state)
    if isinstance(fix, FixFailure):
        summary = (
            f"The base branch moved and this PR conflicts with it; the fix no longer applies ({fix.reason})."
        )
        ctx.attempts.save(
            lifecycle.moved(state, Stage.CI_FAILED, ci_summary=summary, failure_summary=summary)
        )
        return outcome_for(
            group,
            Result.FAILED,
            pr=pr.number,
            reason="conflicts with the base branch",
            detail=fix.detail[:300],
        )
    outcome = publish(ctx, group, state, fix)
    return dataclasses.replace(outcome, reason="rebuilt on the base branch, which had moved and conflicted")
