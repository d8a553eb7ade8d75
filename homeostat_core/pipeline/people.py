"""People's decisions stand: an opt-out covers the whole fingerprint, and work a person closed
starts again only for a report from a version the repository released after the close."""

from __future__ import annotations

from datetime import timedelta

from homeostat_core import lifecycle
from homeostat_core.attempts import as_utc
from homeostat_core.lifecycle import Stage, stage_of
from homeostat_core.models import AttemptState
from homeostat_core.observability import logger
from homeostat_core.outcomes import OPTED_OUT_LABEL, FingerprintOutcome, Result
from homeostat_core.pipeline.context import Group, RunContext, capped_issues, has_open_pr, outcome_for
from homeostat_core.report.comments import opted_out_comment, opted_out_note
from homeostat_core.report.markers import OPTED_OUT_MARKER
from homeostat_core.versions import parse_version

# After a person's close, new work may start at most once per this long (the attempt cap still
# ends it: the attempt counter is never reset).
REOPEN_EVERY = timedelta(days=30)


def record_opt_outs(
    ctx: RunContext, groups: list[Group], rows: dict[str, AttemptState]
) -> tuple[list[FingerprintOutcome], set[str]]:
    """Record each opt-out label a person put on an issue as the fingerprint's (creating its row
    if needed), close Homeostat's open PR for it, and lift the opt-out when a person took the
    label off the issue that carried it. Returns the outcomes and the fingerprints it handled."""
    outcomes, handled = [], set()
    for group in groups:
        if ctx.deadline.near():
            break
        fp = group.fingerprint
        state = rows.get(fp.id)
        try:
            if group.opted_out and (state is None or state.opted_out_at is None or _pr_left_open(state)):
                outcomes.append(opt_out(ctx, group, state))
                handled.add(fp.id)
            elif state is not None and state.opt_out_issue in group.issue_numbers:
                # the issue that carried the label is listed without it: a person lifted the opt-out
                ctx.attempts.save(lifecycle.annotated(state, opted_out_at=None, opt_out_issue=None))
                handled.add(fp.id)
        except Exception as exc:  # one fingerprint's trouble does not stop the run
            logger.exception("Recording an opt-out failed", extra={"fingerprint": fp.id})
            outcomes.append(
                outcome_for(group, Result.ERROR, reason="opt-out", detail=f"{type(exc).__name__}")
            )
            handled.add(fp.id)
    return outcomes, handled


def _pr_left_open(state: AttemptState) -> bool:
    """An opt-out recorded while Homeostat's PR stayed open (a crash between the two writes)."""
    return has_open_pr(state) and stage_of(state) in lifecycle.PR_OPEN - {Stage.HANDED_OVER}


def opt_out(ctx: RunContext, group: Group, state: AttemptState | None) -> FingerprintOutcome:
    """Record the opt-out of `group.opted_out[0]` (a person put the label on it, or a writer said
    `/homeostat stop`): Homeostat's open PR closed, its branch deleted."""
    fp = group.fingerprint
    issue = group.opted_out[0].number
    before = state or AttemptState(
        repo=ctx.repo.slug, fingerprint_id=fp.id, error_type=fp.error_type, file_path=fp.file_path
    )
    marked = lifecycle.annotated(before, opted_out_at=before.opted_out_at or ctx.now, opt_out_issue=issue)
    closes = _pr_left_open(before)
    if closes:
        # people committed on a handed-over PR: theirs, left open; otherwise Homeostat's PR goes
        ctx.forge.comment_on_pr(
            ctx.repo, before.pr_number, opted_out_note(ctx.repo.opt_out_label, issue), OPTED_OUT_MARKER
        )
        ctx.forge.close_pr(ctx.repo, before.pr_number)
        if before.branch:
            ctx.forge.delete_branch(ctx.repo, before.branch)
        marked = lifecycle.moved(
            marked, Stage.OPTED_OUT, closed_at=ctx.now, closed_at_version=ctx.releases.floor_for_close()
        )
        ctx.open_prs -= 1
    ctx.attempts.save(marked)
    return FingerprintOutcome(
        Result.CLOSED if closes else Result.OPTED_OUT,
        issues=tuple(i.number for i in group.opted_out),
        fingerprint=fp.id,
        pr=before.pr_number if closes else None,
        reason=f"opted out by a person (#{issue})",
    )


def handle_opted_out(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """A report of an error a person opted out: answered once (label + comment), no PR."""
    body = opted_out_comment(ctx.repo.opt_out_label, state.opt_out_issue)
    for number in capped_issues(ctx, [i.number for i in group.issues if OPTED_OUT_LABEL not in i.labels]):
        ctx.forge.add_labels(ctx.repo, number, [OPTED_OUT_LABEL])
        ctx.forge.comment_on_issue(ctx.repo, number, body, OPTED_OUT_MARKER)
    return outcome_for(group, Result.OPTED_OUT, reason=f"opted out by a person (#{state.opt_out_issue})")


def reopen_wait(ctx: RunContext, group: Group, state: AttemptState) -> str | None:
    """Why work people closed (a closed PR, or every issue closed) does not start again yet; None
    when it may: a report filed after the close, from a version the repository released after
    it, and no other re-open in the last 30 days."""
    stage = stage_of(state).value
    newest = group.newest_report()
    if state.closed_at is None or newest is None or as_utc(newest) <= as_utc(state.closed_at):
        return f"{stage}: waiting for a report filed after the close"
    if state.closed_at_version is None:  # closed before releases were recorded: from now on
        state = ctx.attempts.save(
            lifecycle.annotated(state, closed_at_version=ctx.releases.floor_for_close())
        )
    floor = parse_version(state.closed_at_version)
    newer = [
        v
        for v in (group.versions.get(n) for n in group.issue_numbers)
        if ctx.releases.is_release(v) and floor is not None and parse_version(v) > floor
    ]
    if not newer:
        return (
            f"{stage}: waiting for a report from a version released after {state.closed_at_version} "
            "(people closed it; new reports alone do not re-open it)"
        )
    if state.reopened_at is not None and as_utc(ctx.now) - as_utc(state.reopened_at) < REOPEN_EVERY:
        return (
            f"{stage}: re-opened on {state.reopened_at:%Y-%m-%d}; at most once per {REOPEN_EVERY.days} days"
        )
    return None
