"""Every run first brings Homeostat's PRs in line with what people did since the last run."""

from __future__ import annotations

from homeostat_core import lifecycle
from homeostat_core.lifecycle import Stage, stage_of
from homeostat_core.observability import logger
from homeostat_core.outcomes import (
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.context import (
    Group,
    RunContext,
    capped_issues,
    has_open_pr,
)
from homeostat_core.pipeline.people import record_opt_outs
from homeostat_core.pipeline.release import verify_release
from homeostat_core.report.comments import closed_note
from homeostat_core.report.markers import (
    CLOSED_MARKER,
)
from homeostat_core.settlement import settle_closed_pr


def reconcile(ctx: RunContext, groups: list[Group]) -> list[FingerprintOutcome]:
    """Bring every fingerprint with a Homeostat PR in line with what people did since the last run.

    - an issue of the fingerprint carries the opt-out label → the fingerprint is opted out, its PR
      closed (pipeline.people);
    - PR merged → merged (branch deleted, linked issues closed where the forge did not);
    - PR closed unmerged by a person → closed_by_person (not attempted again until a report from
      a version released after the close);
    - PR open but no open issue reports the error any more → PR closed, branch deleted.
    """
    reported = {g.fingerprint.id: g for g in groups}
    rows = ctx.attempts.list(ctx.repo.slug)
    # Homeostat's open PRs are the ones its rows recorded: an idle repository costs no listing
    ctx.open_prs = sum(1 for row in rows if has_open_pr(row))
    # a person's opt-out first: it closes Homeostat's PR for the whole fingerprint
    outcomes, handled = record_opt_outs(ctx, groups, {row.fingerprint_id: row for row in rows})
    own_open = {pr.number: pr for pr in ctx.forge.list_own_open_prs(ctx.repo)} if ctx.open_prs else {}
    for state in rows:
        if ctx.deadline.near():
            break
        if state.fingerprint_id in handled:
            continue
        if stage_of(state) is Stage.MERGED:
            verified = verify_release(ctx, state, reported.get(state.fingerprint_id))
            if verified is not None:
                outcomes.append(verified)
            continue
        if not has_open_pr(state) or stage_of(state) in (Stage.CLAIMED, Stage.FIX_RECORDED):
            continue
        group = reported.get(state.fingerprint_id)
        issues = group.issue_numbers if group else ()
        try:
            pr = own_open.get(state.pr_number) or ctx.forge.get_pr(ctx.repo, state.pr_number)
            if pr is None:
                continue
            if pr.state != "open":
                result = settle_closed_pr(
                    ctx.ports, ctx.repo, state, pr, env=ctx.env, now=ctx.now, releases=ctx.releases
                )
                if result is not None:
                    if pr.merged and group is not None:
                        for number in capped_issues(ctx, issues):
                            ctx.forge.close_issue(ctx.repo, number)
                    outcomes.append(
                        FingerprintOutcome(
                            result, issues=issues, fingerprint=state.fingerprint_id, pr=pr.number
                        )
                    )
                continue
            if group is None and stage_of(state) is not Stage.HANDED_OVER:
                ctx.forge.comment_on_pr(
                    ctx.repo,
                    pr.number,
                    closed_note(),
                    CLOSED_MARKER,
                )
                ctx.forge.close_pr(ctx.repo, pr.number)
                ctx.forge.delete_branch(ctx.repo, pr.branch)
                ctx.attempts.save(
                    lifecycle.moved(
                        state,
                        Stage.OPTED_OUT,
                        closed_at=ctx.now,
                        closed_at_version=ctx.releases.floor_for_close(),
                    )
                )
                ctx.open_prs -= 1
                outcomes.append(
                    FingerprintOutcome(
                        Result.CLOSED,
                        fingerprint=state.fingerprint_id,
                        pr=pr.number,
                        reason="issues closed or opted out",
                    )
                )
        except Exception as exc:  # one PR's trouble does not stop the run
            logger.exception("Reconcile failed", extra={"fingerprint": state.fingerprint_id})
            outcomes.append(
                FingerprintOutcome(
                    Result.ERROR,
                    fingerprint=state.fingerprint_id,
                    pr=state.pr_number,
                    reason="reconcile",
                    detail=f"{type(exc).__name__}: {str(exc)[:300]}",
                )
            )
    return outcomes
