"""Finishing what a crashed worker started: claimed or fix recorded, no PR recorded yet."""

from __future__ import annotations

import dataclasses

from homeostat_core import lifecycle
from homeostat_core.attempts import as_utc
from homeostat_core.fixing.engine import (
    apply_pattern,
)
from homeostat_core.fixing.validation import unified_diff
from homeostat_core.lifecycle import Stage, stage_of
from homeostat_core.models import (
    AttemptState,
    FixFailure,
    Pattern,
    PatternMatch,
    ProposedFix,
    PullRequest,
)
from homeostat_core.outcomes import (
    Deferral,
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.attempt import claim_and_fix
from homeostat_core.pipeline.context import (
    Deferred,
    Group,
    RunContext,
    outcome_for,
)
from homeostat_core.pipeline.publish import link_issues, publish, record_published
from homeostat_core.ports import ConflictError
from homeostat_core.report.markers import parse_state_block


def handle_recover(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """claimed / fix recorded: a worker died mid-attempt (or is still running it)."""
    if state.last_attempt_at and as_utc(ctx.now) < as_utc(state.last_attempt_at) + ctx.policy.claim_lease:
        raise Deferred(
            Deferral.ATTEMPT_RUNNING,
            f"attempt {state.attempts} is still running (claimed less than the lease ago)",
        )
    pr = ctx.forge.find_open_pr(ctx.repo, group.fingerprint.id)
    if (
        pr is not None
        and state.edits
        and (parse_state_block(pr.body) or {}).get("attempts") == state.attempts
    ):
        return _finish_recovered(ctx, group, state, pr)
    if stage_of(state) is Stage.FIX_RECORDED:
        fix = recorded_fix(ctx, state)
        if not isinstance(fix, FixFailure):
            return publish(ctx, group, state, fix)

    def resume() -> AttemptState:
        # The same attempt number again: the crashed try does not count or burn a backoff.
        renewed = lifecycle.moved(
            state,
            Stage.CLAIMED,
            last_attempt_at=ctx.now,
            backoff_until=ctx.policy.backoff(max(state.attempts - 1, 0), ctx.now),
            tests_passed=None,
        )
        try:
            return ctx.attempts.save(renewed)
        except ConflictError:
            raise Deferred(Deferral.CLAIM_CONFLICT, "another worker holds this attempt") from None

    return claim_and_fix(ctx, group, state, claim=resume)


def recorded_fix(ctx: RunContext, state: AttemptState) -> ProposedFix | FixFailure:
    """The attempt's recorded edits, validated against today's files (no model call)."""
    pattern = Pattern(
        pattern_id=state.pattern_id or "",
        fingerprint_id=state.fingerprint_id,
        error_type=state.error_type,
        file_path=state.file_path,
        edits=state.edits,
    )
    fix = apply_pattern(PatternMatch(pattern, 1.0, "exact"), ctx.repo, ctx.forge)
    if isinstance(fix, FixFailure):
        return fix
    return dataclasses.replace(
        fix,
        source="pattern" if state.pattern_id else "ai",
        pattern_id=state.pattern_id,
        tier=state.tier or 0,
        cost_usd=0.0,
        summary="",
    )


def _finish_recovered(
    ctx: RunContext, group: Group, state: AttemptState, pr: PullRequest
) -> FingerprintOutcome:
    """An attempt died after writing its PR: post the comments and record it, nothing more."""
    fix = ProposedFix(
        edits=state.edits,
        changes=(),
        summary="",
        source="pattern" if state.pattern_id else "ai",
        tier=state.tier or 0,
        model=str((parse_state_block(pr.body) or {}).get("model") or ""),
        cost_usd=state.cost_usd,
        pattern_id=state.pattern_id,
        lines_changed=sum(unified_diff(e.path, e.search, e.replace)[1] for e in state.edits),
    )
    link_issues(ctx, group, pr, fix)
    record_published(ctx, state, pr)
    return outcome_for(
        group, Result.PR_RECOVERED, pr=pr.number, reason=f"finished attempt {state.attempts} after a crash"
    )
