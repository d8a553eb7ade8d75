"""One fingerprint, one handler: the stage decides which; an exception becomes its recorded failure."""

from __future__ import annotations

from collections.abc import Callable

from homeostat_core import lifecycle
from homeostat_core.lifecycle import Stage, stage_of
from homeostat_core.models import (
    AttemptState,
)
from homeostat_core.observability import logger
from homeostat_core.outcomes import (
    Deferral,
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.attempt import handle_attempt
from homeostat_core.pipeline.context import (
    Deferred,
    Group,
    RunContext,
    deferred,
    outcome_for,
)
from homeostat_core.pipeline.people import handle_opted_out
from homeostat_core.pipeline.recover import handle_recover
from homeostat_core.pipeline.release import handle_fixed
from homeostat_core.pipeline.review import handle_review
from homeostat_core.ports import PortError, RateLimitLow


def process_fingerprint(ctx: RunContext, group: Group) -> FingerprintOutcome:
    """Run the handler for the fingerprint's stage; an exception becomes its recorded failure.

    Reading the row and choosing the handler are inside the handling too: a store error or a
    stage without a handler is this fingerprint's failure, never the run's."""
    try:
        state = ctx.attempts.get(ctx.repo.slug, group.fingerprint.id)
        if state is not None and state.opted_out_at is not None and stage_of(state) not in _FINISHING:
            return handle_opted_out(ctx, group, state)
        return HANDLERS[stage_of(state)](ctx, group, state)
    except Deferred as deferral:
        return deferred(group, deferral.cause, deferral.reason)
    except RateLimitLow:
        raise  # stops the whole run (run_repo): every later call would be refused too
    except PortError as exc:
        # The forge or the store failed after its own retries: the row stays where it was (a
        # claimed attempt is recovered after the lease, at the same attempt number).
        logger.exception(
            "Fingerprint deferred after a port error", extra={"fingerprint": group.fingerprint.id}
        )
        return deferred(group, Deferral.PORT_ERROR, f"error: {type(exc).__name__}: {str(exc)[:300]}")
    except Exception as exc:  # no single input kills a run
        logger.exception("Fingerprint failed", extra={"fingerprint": group.fingerprint.id})
        return _record_error(ctx, group, exc)


def _record_error(ctx: RunContext, group: Group, exc: Exception) -> FingerprintOutcome:
    """Finish an attempt that an unexpected error interrupted before it recorded a fix, so it is
    not left pending. A recorded fix stays recorded: its PR may exist, and the next run finishes
    it (recover) without a model call."""
    detail = f"{type(exc).__name__}: {str(exc)[:300]}"
    spent = exc.spent_usd if isinstance(exc, PortError) else 0.0
    try:
        state = ctx.attempts.get(ctx.repo.slug, group.fingerprint.id)
        if stage_of(state) is Stage.CLAIMED:
            ctx.attempts.save(
                lifecycle.moved(state, Stage.ATTEMPT_FAILED, failure_summary=None, cost_usd=state.cost_usd)
            )
    except Exception:  # the store itself is failing: the lease recovers the attempt later
        logger.exception("Could not record the failure", extra={"fingerprint": group.fingerprint.id})
    return outcome_for(group, Result.ERROR, reason="error", detail=detail, cost_usd=spent)


def handle_done(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    stage = stage_of(state)
    return outcome_for(
        group, Result.DONE, pr=state.pr_number, reason=f"{stage.value} after {state.attempts} attempts"
    )


# A person's opt-out stops every stage but these: an attempt already running finishes (its PR is
# closed by the next run's reconcile), and Homeostat's open PR is closed by reconcile first.
_FINISHING = frozenset({Stage.CLAIMED, Stage.FIX_RECORDED}) | lifecycle.PR_OPEN

HANDLERS: dict[Stage, Callable[[RunContext, Group, AttemptState | None], FingerprintOutcome]] = {
    Stage.NEW: handle_attempt,
    Stage.ATTEMPT_FAILED: handle_attempt,
    Stage.CI_FAILED: handle_attempt,
    Stage.CLOSED_BY_PERSON: handle_attempt,
    Stage.OPTED_OUT: handle_attempt,
    Stage.CLAIMED: handle_recover,
    Stage.FIX_RECORDED: handle_recover,
    Stage.DRAFT: handle_review,
    Stage.READY: handle_review,
    Stage.HANDED_OVER: handle_review,
    Stage.MERGED: handle_fixed,
    Stage.VERIFIED: handle_fixed,
    Stage.REGRESSED: handle_attempt,
    Stage.GIVEN_UP: handle_done,
}
