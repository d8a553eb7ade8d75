"""A new attempt: gate, limits, claim, pattern or model, record the fix, publish."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from homeostat_core import lifecycle
from homeostat_core.attempts import as_utc, to_utc_seconds
from homeostat_core.budget import BudgetReservation
from homeostat_core.fixing.engine import (
    MODEL_UNAVAILABLE_REASONS,
    REJECTION_REASONS,
    STOPPED_BY_DEADLINE,
    apply_pattern,
    attempt_fix,
    max_attempt_cost_usd,
)
from homeostat_core.lifecycle import Stage, stage_of
from homeostat_core.models import (
    AttemptState,
    FixFailure,
    PatternMatch,
    ProposedFix,
)
from homeostat_core.observability import logger
from homeostat_core.outcomes import (
    REJECTED_LABEL,
    Deferral,
    FingerprintOutcome,
    Result,
)
from homeostat_core.patterns.matcher import hint_reason, match_pattern, should_auto_apply
from homeostat_core.pipeline.context import (
    Deferred,
    Group,
    RunContext,
    capped_issues,
    has_open_pr,
    outcome_for,
)
from homeostat_core.pipeline.people import reopen_wait
from homeostat_core.pipeline.publish import give_up, hand_over, publish
from homeostat_core.ports import BudgetExceeded, ConflictError, PortError
from homeostat_core.report.comments import render_rejected_comment
from homeostat_core.report.markers import REJECTED_MARKER


def handle_attempt(ctx: RunContext, group: Group, state: AttemptState | None) -> FingerprintOutcome:
    """new, attempt failed, CI failed, regressed; closed by people (a PR closed, every issue
    closed) once a report comes from a version released after the close (pipeline.people)."""
    stage = stage_of(state)
    if state is not None and state.attempts >= ctx.policy.max_attempts:
        return give_up(ctx, group, state)
    if stage in lifecycle.REOPENABLE:
        waiting = reopen_wait(ctx, group, state)
        if waiting is not None:
            return outcome_for(group, Result.DONE, pr=state.pr_number, reason=waiting)
    if state is not None and state.backoff_until and as_utc(ctx.now) < as_utc(state.backoff_until):
        return outcome_for(
            group, Result.COOLDOWN, reason=f"backoff until {to_utc_seconds(state.backoff_until)}"
        )
    if not has_open_pr(state):
        _check_new_pr_limits(ctx)
    elif _people_committed(ctx, state):
        # Checked before paying for a model: Homeostat will not push over people's commits.
        return hand_over(ctx, group, state)
    return claim_and_fix(ctx, group, state, claim=lambda: claim_attempt(ctx, group, state))


def _people_committed(ctx: RunContext, state: AttemptState) -> bool:
    pr = ctx.forge.get_pr(ctx.repo, state.pr_number)
    return pr is not None and pr.state == "open" and bool(state.head_sha) and pr.head_sha != state.head_sha


def claim_and_fix(
    ctx: RunContext,
    group: Group,
    before: AttemptState | None,
    claim: Callable[[], AttemptState],
    *,
    instruction: str | None = None,
    publish_with: Callable[[RunContext, Group, AttemptState, ProposedFix], FingerprintOutcome] = publish,
) -> FingerprintOutcome:
    """Pattern at $0 when one applies, else a model call paid from the day's budget; then publish.

    Money is reserved before the claim and settled at what the calls really cost, whatever happens.
    `instruction`: a maintainer's review, shown to the model (never answered by a pattern);
    `publish_with`: how the fix reaches the forge (steering pushes on top of the open PR).
    """
    match = _pattern_for(ctx, group)
    # A regression means the learned fix did not work: show it to the model, never re-apply it.
    regressed = stage_of(before) is Stage.REGRESSED
    fix: ProposedFix | FixFailure | None = None if regressed or instruction else _pattern_fix(ctx, match)
    if fix is not None:
        claimed = claim()
    else:
        try:
            with BudgetReservation(
                ctx.ports.budgets,
                ctx.repo.slug,
                amount=max_attempt_cost_usd(ctx.model_settings),
                cap=ctx.repo.daily_budget_usd,
                now=ctx.now,
            ) as money:
                claimed = claim()
                fix = _ask_model(ctx, group, claimed, match, money, instruction)
        except BudgetExceeded:
            raise Deferred(
                Deferral.DAILY_BUDGET, f"daily_budget_usd={ctx.repo.daily_budget_usd} reached"
            ) from None
    if isinstance(fix, FixFailure):
        return _fix_failed(ctx, group, claimed, before, fix)
    hint = {} if match is None or fix.source == "pattern" else _hint(ctx, match, regressed=regressed)
    recorded = ctx.attempts.save(
        lifecycle.moved(
            claimed,
            Stage.FIX_RECORDED,
            tier=fix.tier,
            **lifecycle.paid(claimed, fix.cost_usd),
            pattern_id=fix.pattern_id,
            edits=fix.edits,
        )
    )
    outcome = publish_with(ctx, group, recorded, fix)
    return dataclasses.replace(outcome, extra={**outcome.extra, **hint}) if hint else outcome


def _hint(ctx: RunContext, match: PatternMatch, *, regressed: bool) -> dict[str, str]:
    """The pattern the model was shown instead of applying it at $0, and why (for the record)."""
    why = "the earlier fix, which did not stop the error" if regressed else hint_reason(match, ctx.repo.slug)
    return {"patternHint": match.pattern.pattern_id, "hintWhy": why}


def _check_new_pr_limits(ctx: RunContext) -> None:
    repo = ctx.repo
    if ctx.prs_opened >= repo.max_prs_per_run:
        raise Deferred(Deferral.MAX_PRS_PER_RUN, f"max_prs_per_run={repo.max_prs_per_run} reached")
    if ctx.open_prs >= repo.max_open_prs:
        raise Deferred(Deferral.MAX_OPEN_PRS, f"max_open_prs={repo.max_open_prs} reached")
    if ctx.ports.budgets.prs_opened(repo.slug, ctx.now.date()) >= repo.max_prs_per_day:
        raise Deferred(Deferral.MAX_PRS_PER_DAY, f"max_prs_per_day={repo.max_prs_per_day} reached")


def _pattern_for(ctx: RunContext, group: Group) -> PatternMatch | None:
    return match_pattern(
        ctx.ports.patterns, group.fingerprint, repo=ctx.repo.slug, share=ctx.repo.share_patterns
    )


def _pattern_fix(ctx: RunContext, match: PatternMatch | None) -> ProposedFix | None:
    if not should_auto_apply(match):
        return None
    fix = apply_pattern(match, ctx.repo, ctx.forge)
    if isinstance(fix, FixFailure):
        logger.info("Pattern did not apply; asking a model", extra={"reason": fix.reason})
        return None
    return fix


def claim_attempt(ctx: RunContext, group: Group, state: AttemptState | None) -> AttemptState:
    """Attempt n+1, with one conditional write (ConflictError: another worker has it)."""
    fp = group.fingerprint
    before = state or AttemptState(repo=ctx.repo.slug, fingerprint_id=fp.id)
    claimed = lifecycle.claimed(
        before,
        ctx.now,
        ctx.policy,
        error_type=fp.error_type or before.error_type,
        file_path=fp.file_path or before.file_path,
        fingerprint_version=fp.version or before.fingerprint_version,
    )
    if stage_of(before) in lifecycle.REOPENABLE:
        # work people closed, re-opened by a later release: a new PR; the attempts count on
        claimed = lifecycle.without_pr(claimed, before, reopened_at=ctx.now)
    elif stage_of(before) is Stage.REGRESSED:
        # the merged PR is history: a new PR, the attempts count on (a fix that keeps regressing
        # is given up like any other)
        claimed = lifecycle.without_pr(claimed, before)
    try:
        if state is None:
            return ctx.attempts.start_attempt(claimed, expected_attempts=0)
        return ctx.attempts.save(claimed)
    except ConflictError:
        raise Deferred(Deferral.CLAIM_CONFLICT, "another worker holds this attempt") from None


def _ask_model(
    ctx: RunContext,
    group: Group,
    claimed: AttemptState,
    match: PatternMatch | None,
    money: BudgetReservation,
    instruction: str | None = None,
) -> ProposedFix | FixFailure:
    # We only get here when no pattern applied: the best one (if any) is an example for the model.
    hint = match
    try:
        fix = attempt_fix(
            group.report,
            group.fingerprint,
            ctx.repo,
            ctx.forge,
            ctx.ports.llm,
            model_settings=ctx.model_settings,
            pattern_hint=hint,
            ci_failure=claimed.ci_summary or claimed.failure_summary,
            sources=ctx.sources,
            deadline=ctx.deadline,
            instruction=instruction,
            # the fix the maintainer reviewed: the recorded edits of the PR's last commit
            current_edits=claimed.edits if instruction else (),
        )
    except Exception as exc:
        # Model calls made before the error were still paid for: settle to that, not to zero.
        money.settle(exc.spent_usd if isinstance(exc, PortError) else 0.0)
        raise
    money.settle(fix.cost_usd)
    return fix


def _fix_failed(
    ctx: RunContext, group: Group, claimed: AttemptState, before: AttemptState | None, fix: FixFailure
) -> FingerprintOutcome:
    cost = {"cost_usd": fix.cost_usd, "tokens": fix.usage.total, "tier": fix.tier}
    if fix.reason == STOPPED_BY_DEADLINE:
        # Not the fix's failure: the attempt is given back and the run stops for its continuation.
        _restore(ctx, claimed, before)
        ctx.out_of_time = True
        return outcome_for(
            group, Result.DEFERRED, reason="deadline: the fix continues in the next run", **cost
        )
    if fix.reason in MODEL_UNAVAILABLE_REASONS and fix.cost_usd == 0:
        _restore(ctx, claimed, before)
        raise Deferred(
            Deferral.MODEL_UNAVAILABLE, f"no model answered ({fix.reason}); the attempt was not counted"
        )
    last = claimed.attempts >= ctx.policy.max_attempts
    failed = ctx.attempts.save(
        lifecycle.moved(
            claimed,
            Stage.ATTEMPT_FAILED,
            tier=fix.tier or claimed.tier,
            **lifecycle.paid(claimed, fix.cost_usd),
        )
    )
    rejected = fix.reason in REJECTION_REASONS
    if rejected:
        for number in capped_issues(ctx, group.issue_numbers):
            ctx.forge.add_labels(ctx.repo, number, [REJECTED_LABEL])
            ctx.forge.comment_on_issue(
                ctx.repo, number, render_rejected_comment(fix.reason, fix.detail), REJECTED_MARKER
            )
    if last and not rejected:
        give_up(ctx, group, failed)
    return outcome_for(
        group,
        Result.REJECTED if rejected else Result.FAILED,
        reason=fix.reason,
        detail=fix.detail[:500],
        resolved_by=fix.resolution.rule if fix.resolution else None,
        **cost,
    )


def _restore(ctx: RunContext, claimed: AttemptState, before: AttemptState | None) -> None:
    """Give back an attempt that no model answered: the row returns to what it was before the
    claim (optimistic locking keeps a concurrent change from being overwritten)."""
    restored = before or AttemptState(repo=claimed.repo, fingerprint_id=claimed.fingerprint_id)
    ctx.attempts.save(dataclasses.replace(restored, version=claimed.version))
