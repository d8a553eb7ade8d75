"""Writing a recorded fix to the forge, and the two ways a PR leaves Homeostat's hands while open."""

from __future__ import annotations

import dataclasses

from homeostat_core import lifecycle
from homeostat_core.budget import reserve_pr
from homeostat_core.fixing.scrub import scrub
from homeostat_core.lifecycle import Stage, stage_of
from homeostat_core.models import (
    AttemptState,
    ProposedFix,
    PullRequest,
)
from homeostat_core.outcomes import (
    GAVE_UP_LABEL,
    Deferral,
    FingerprintOutcome,
    Result,
)
from homeostat_core.pipeline.context import (
    Deferred,
    Group,
    RunContext,
    capped_issues,
    has_open_pr,
    outcome_for,
)
from homeostat_core.ports import BudgetExceeded, ForeignCommits
from homeostat_core.report.comments import (
    gave_up_note,
    handed_over_note,
    no_drafts_note,
    render_issue_comment,
)
from homeostat_core.report.markers import (
    GAVE_UP_MARKER,
    HANDED_OVER_MARKER,
    NO_DRAFTS_MARKER,
    issue_comment_marker,
)
from homeostat_core.report.pr import LineLink, Sighting, render_pr_body, render_pr_title


def publish(ctx: RunContext, group: Group, state: AttemptState, fix: ProposedFix) -> FingerprintOutcome:
    """Write the recorded fix: a new draft PR, or a new commit on Homeostat's own open PR."""
    iterating = has_open_pr(state)
    if not iterating:
        try:
            reserve_pr(ctx.ports.budgets, ctx.repo.slug, ctx.repo.max_prs_per_day, ctx.now)
        except BudgetExceeded:
            # The fix stays recorded: the next run publishes it without a model call.
            raise Deferred(
                Deferral.MAX_PRS_PER_DAY, f"max_prs_per_day={ctx.repo.max_prs_per_day} reached"
            ) from None
    title, body = pr_text(ctx, group, state, fix)
    try:
        pr, created = ctx.forge.upsert_pr(
            ctx.repo,
            group.fingerprint.id,
            fix.changes,
            title,
            body,
            expected_head=state.head_sha if iterating else None,
            draft=True,
        )
    except ForeignCommits:
        return hand_over(ctx, group, state)
    if created:
        ctx.prs_opened += 1
        ctx.open_prs += 1
        if not pr.draft:
            ctx.forge.comment_on_pr(
                ctx.repo,
                pr.number,
                no_drafts_note(),
                NO_DRAFTS_MARKER,
            )
    return linked_and_recorded(ctx, group, state, fix, pr, created=created)


def linked_and_recorded(
    ctx: RunContext, group: Group, state: AttemptState, fix: ProposedFix, pr: PullRequest, *, created: bool
) -> FingerprintOutcome:
    """After the push: the issues told where the fix is, the PR and its head recorded."""
    link_issues(ctx, group, pr, fix)
    published = record_published(ctx, state, pr)
    return outcome_for(
        group,
        Result.PR_CREATED if created else Result.PR_UPDATED,
        pr=pr.number,
        source=fix.source,
        tier=fix.tier,
        model=fix.model,
        pattern_id=fix.pattern_id,
        cost_usd=fix.cost_usd,
        tokens=fix.usage.total,
        resolved_by=fix.resolution.rule if fix.resolution else None,
        extra={"draft": pr.draft, "attempt": published.attempts},
    )


def pr_text(ctx: RunContext, group: Group, state: AttemptState, fix: ProposedFix) -> tuple[str, str]:
    """The PR's title and body for `fix` (the running cost counts every earlier attempt)."""
    fp = group.fingerprint
    body = render_pr_body(
        fingerprint=fp,
        error=group.report,
        attempt=state,
        fix=fix,
        next_backoff=state.backoff_until or ctx.now,
        now=ctx.now,
        issue_numbers=group.issue_numbers,
        repo=ctx.repo,
        scrub=scrub,
        # every attempt of the fingerprint, an earlier PR's too (a regression's first fix)
        earlier_cost_usd=max(earlier_cost(ctx, state) - fix.cost_usd, 0.0),
        sightings=sightings_of(group),
        line_link=_line_link(ctx),
    )
    return render_pr_title(fp, group.report, scrub=scrub), body


def sightings_of(group: Group) -> list[Sighting]:
    """Where and when each linked report saw the error (for the PR body's reviewer)."""
    return [
        Sighting(
            issue=issue.number,
            browser=group.browsers.get(issue.number),
            version=group.versions.get(issue.number),
            message=group.messages.get(issue.number, ""),
            seen_at=issue.created_at,
        )
        for issue in group.issues
    ]


def _line_link(ctx: RunContext) -> LineLink:
    """Links to lines at the base branch's head: the commit this PR's fix is built on."""
    commit = ctx.forge.base_commit(ctx.repo)
    return lambda path, line: ctx.forge.line_url(ctx.repo, commit, path, line)


def earlier_cost(ctx: RunContext, state: AttemptState) -> float:
    """What every attempt of the fingerprint has cost so far, across all its PRs (the row's
    running total, `lifecycle.paid`)."""
    return state.spent_so_far


def link_issues(ctx: RunContext, group: Group, pr: PullRequest, fix: ProposedFix) -> None:
    """One comment per linked issue, edited in place by marker (never repeated)."""
    body = render_issue_comment(pr, group.fingerprint, fix, opt_out_label=ctx.repo.opt_out_label)
    for number in capped_issues(ctx, group.issue_numbers):
        ctx.forge.comment_on_issue(ctx.repo, number, body, issue_comment_marker(group.fingerprint.id))


def record_published(ctx: RunContext, state: AttemptState, pr: PullRequest) -> AttemptState:
    """The PR and the commit Homeostat pushed, recorded last: a row with them has nothing left to
    do (crash recovery), and `head_sha` is what Homeostat may move its branch from next time."""
    return ctx.attempts.save(
        lifecycle.moved(
            state,
            Stage.DRAFT,
            pr_number=pr.number,
            head_sha=pr.head_sha,
            branch=pr.branch,
            pr_opened_at=state.pr_opened_at if has_open_pr(state) and state.pr_opened_at else ctx.now,
            closed_at=None,  # an open PR (a row re-opened after a close keeps no stale close time)
            ci_summary=None,
            failure_summary=None,
        )
    )


def hand_over(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """People committed on Homeostat's branch: leave the PR to them, say so once."""
    if state.pr_number is None:  # an own PR this row never recorded (a crash before it did)
        pr = ctx.forge.find_open_pr(ctx.repo, group.fingerprint.id)
        if pr is None:
            raise Deferred(
                Deferral.BRANCH_WITHOUT_PR, "Homeostat's branch moved but no PR of its own is open"
            )
        state = dataclasses.replace(state, pr_number=pr.number, branch=pr.branch, head_sha=pr.head_sha)
    ctx.attempts.save(lifecycle.moved(state, Stage.HANDED_OVER))
    ctx.forge.comment_on_pr(
        ctx.repo,
        state.pr_number,
        handed_over_note(),
        HANDED_OVER_MARKER,
    )
    return outcome_for(group, Result.HANDED_OVER, pr=state.pr_number, reason="people committed on the branch")


def give_up(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """The last allowed attempt failed: close Homeostat's PR with a summary, label the issues."""
    if stage_of(state) is not Stage.GIVEN_UP:
        if has_open_pr(state) and stage_of(state) is not Stage.HANDED_OVER:
            ctx.forge.comment_on_pr(
                ctx.repo,
                state.pr_number,
                gave_up_note(state.attempts),
                GAVE_UP_MARKER,
            )
            ctx.forge.close_pr(ctx.repo, state.pr_number)
            if state.branch:
                ctx.forge.delete_branch(ctx.repo, state.branch)
        ctx.attempts.save(lifecycle.moved(state, Stage.GIVEN_UP, closed_at=ctx.now))
        for number in capped_issues(ctx, group.issue_numbers):
            ctx.forge.add_labels(ctx.repo, number, [GAVE_UP_LABEL])
    return outcome_for(group, Result.GAVE_UP, reason=f"{state.attempts} attempts made", pr=state.pr_number)
