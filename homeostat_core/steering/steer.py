"""A person's comment or review, read back from the forge, turned into what they asked for.

Trust: the delivery only says which comment to read. Its author and text come from the forge; the
author must have write access by the collaborator-permission API (never the payload's
`author_association`); the PR must be the one the attempt store recorded and Homeostat's own
(`own_pull_request`), or the issue one of the error's open reports. Anything else is ignored
without a reply, so a stranger cannot make Homeostat speak.

A new attempt (`/homeostat retry`, a review) is an attempt like any other: it counts against the
attempt cap and is paid from the repository's daily budget. On an open PR its fix is a new commit
on top of the PR's head (never a rewrite), and the PR goes back to draft until CI passes on it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from homeostat_core import lifecycle
from homeostat_core.config import RepoConfig
from homeostat_core.fixing.model_settings import load_model_settings
from homeostat_core.fixing.prompts import build_fix_messages, load_context
from homeostat_core.jobs import SteeringJob
from homeostat_core.lifecycle import POLICY, Stage, stage_of
from homeostat_core.models import AttemptState, ProposedFix, RunRecord
from homeostat_core.observability import logger
from homeostat_core.outcomes import FingerprintOutcome, Result
from homeostat_core.pipeline.attempt import claim_and_fix, claim_attempt
from homeostat_core.pipeline.context import Deferred, Group, RunContext, has_open_pr
from homeostat_core.pipeline.intake import parse_and_group
from homeostat_core.pipeline.people import opt_out
from homeostat_core.pipeline.publish import earlier_cost, hand_over, linked_and_recorded, pr_text, publish
from homeostat_core.ports import Deadline, ForeignCommits, own_pull_request
from homeostat_core.sourcing.context import IssueContext
from homeostat_core.steering.commands import (
    EXPLAIN_MARKER,
    HELP_MARKER,
    REPLY_MARKER,
    explain_text,
    help_text,
    parse_command,
    refusal_text,
)
from homeostat_core.steering.port import WRITE_PERMISSIONS, Comment

# Stages where a new attempt cannot start, and what a writer is told.
_NO_ATTEMPT = {
    Stage.CLAIMED: "an attempt for this error is running now",
    Stage.FIX_RECORDED: "an attempt for this error is being published now",
    Stage.HANDED_OVER: "people committed on this PR's branch, so it is theirs now",
    Stage.MERGED: "its fix was merged",
    Stage.VERIFIED: "its fix was merged and verified",
    Stage.GIVEN_UP: "it was given up after the last allowed attempt",
}


@dataclass(frozen=True, slots=True)
class SteeringOutcome:
    """What one steering job did: `action` (retry, stop, explain, help, review) or ignored."""

    action: str
    why: str | None = None
    fingerprint: str | None = None
    pr: int | None = None
    result: str | None = None  # the attempt's outcome, for retry and review

    def to_json(self) -> dict[str, Any]:
        data = {"action": self.action, "why": self.why, "fingerprint": self.fingerprint, "pr": self.pr}
        return {key: value for key, value in (data | {"result": self.result}).items() if value is not None}


@dataclass(frozen=True, slots=True)
class _Target:
    number: int  # where the comment is: Homeostat's PR, or an issue of the error
    is_pr: bool
    fingerprint_id: str


def steer(
    job: SteeringJob, *, ports, repo: RepoConfig, env: str, deadline: Deadline | None = None
) -> SteeringOutcome:
    forge = ports.forge
    comment = forge.get_comment(repo, job.kind, job.comment_id, job.number)
    if comment is None:
        return _ignored(job, "no such comment on that issue or PR")
    if comment.author.lower() == forge.whoami(repo).lower():
        return _ignored(job, "Homeostat's own comment")
    word = parse_command(comment.body) if comment.kind == "issue_comment" else None
    if comment.kind == "issue_comment" and word is None:
        return _ignored(job, "not a /homeostat command")
    if comment.kind == "review" and comment.review_state != "changes_requested":
        return _ignored(job, f"a review that does not request changes ({comment.review_state})")
    review_comments, answered_elsewhere = _review_comments(forge, repo, comment)
    if answered_elsewhere:
        return _ignored(job, answered_elsewhere)
    if forge.permission(repo, comment.author) not in WRITE_PERMISSIONS:
        return _ignored(job, "the author has no write access")  # no reply: strangers get nothing
    ctx = RunContext(repo, ports, deadline or Deadline.unlimited(), None, POLICY, ports.clock.now(), env)
    groups = _groups(ctx)
    target = _target(ctx, comment, groups)
    if target is None:
        return _ignored(job, "neither Homeostat's PR nor an open report of an error it works on")
    state = ctx.attempts.get(repo.slug, target.fingerprint_id)
    group = groups.get(target.fingerprint_id)
    logger.info(
        "Steering", extra={"by": comment.author, "kind": comment.kind, "command": word, "on": target.number}
    )
    if comment.kind != "issue_comment":
        return _attempt(
            ctx, target, group, state, "review", instruction=_instruction(comment, review_comments)
        )
    if word == "retry":
        return _attempt(ctx, target, group, state, "retry")
    if word == "stop":
        return _stop(ctx, target, group, state)
    if word == "explain":
        return _explain(ctx, target, group, state)
    _reply(ctx, target, help_text(word), HELP_MARKER)
    return SteeringOutcome("help", why=f"unknown command {word!r}", fingerprint=target.fingerprint_id)


def _ignored(job: SteeringJob, why: str) -> SteeringOutcome:
    logger.info("Steering ignored", extra={"why": why, "job": job.to_json()})
    return SteeringOutcome("ignored", why=why)


def _groups(ctx: RunContext) -> dict[str, Group]:
    """The repository's open reports grouped by error, as a run groups them."""
    issues = ctx.forge.list_trigger_issues(ctx.repo, include_opted_out=True)
    record = RunRecord(run_id="steering", repo=ctx.repo.slug, timestamp=ctx.now)
    return {g.fingerprint.id: g for g in parse_and_group(ctx, issues, [], record)}


def _target(ctx: RunContext, comment: Comment, groups: dict[str, Group]) -> _Target | None:
    state = ctx.attempts.find_by_pr(ctx.repo.slug, comment.number)
    if state is not None:
        pr = ctx.forge.get_pr(ctx.repo, comment.number)
        if pr is None or not own_pull_request(pr, ctx.repo.slug, ctx.forge.whoami(ctx.repo)):
            return None
        return _Target(comment.number, True, state.fingerprint_id)
    if comment.kind != "issue_comment":
        return None  # a review on a PR Homeostat did not record
    for group in groups.values():
        if comment.number in group.issue_numbers or comment.number in (i.number for i in group.opted_out):
            return _Target(comment.number, False, group.fingerprint.id)
    return None


def _review_comments(forge, repo: RepoConfig, comment: Comment) -> tuple[list[Comment], str | None]:
    """A review arrives as one delivery for the review and one per line comment in it; all of
    them are one instruction, answered once (one attempt, not one per delivery). Returns the
    review's line comments, and why this delivery is not the one that answers them."""
    if comment.kind == "review":
        return forge.review_comments(repo, comment.number, comment.id), None
    if comment.kind != "review_comment" or comment.review_id is None:
        return [comment] if comment.kind == "review_comment" else [], None
    review = forge.get_comment(repo, "review", comment.review_id, comment.number)
    if review is not None and review.review_state == "changes_requested":
        return [], "a line comment of a review that requests changes: the review's delivery answers it"
    siblings = forge.review_comments(repo, comment.number, comment.review_id) or [comment]
    if siblings[0].id != comment.id:
        return [], "a later line comment of its review: the review's first line comment answers it"
    return siblings, None


def _instruction(comment: Comment, review_comments: list[Comment]) -> str:
    """The maintainer's words: a review's body, then each of its line comments where it is."""
    parts = [comment.body] if comment.kind == "review" and comment.body.strip() else []
    for line_comment in review_comments:
        where = f" on {line_comment.path}" if line_comment.path else ""
        where += f" line {line_comment.line}" if line_comment.path and line_comment.line else ""
        parts.append(f"Review comment{where}:\n{line_comment.body}")
    return "\n\n".join(parts) or comment.body


def _reply(ctx: RunContext, target: _Target, body: str, marker: str) -> None:
    if target.is_pr:
        ctx.forge.comment_on_pr(ctx.repo, target.number, body, marker)
    else:
        ctx.forge.comment_on_issue(ctx.repo, target.number, body, marker)


def _refuse(ctx: RunContext, target: _Target, action: str, why: str) -> SteeringOutcome:
    _reply(ctx, target, refusal_text(why), REPLY_MARKER)
    return SteeringOutcome(action, why=why, fingerprint=target.fingerprint_id, result="refused")


# --- retry and review: a new attempt now ---------------------------------------------------------


def _attempt(
    ctx: RunContext,
    target: _Target,
    group: Group | None,
    state: AttemptState | None,
    action: str,
    instruction: str | None = None,
) -> SteeringOutcome:
    stage = stage_of(state)
    if group is None or not group.issues:
        return _refuse(ctx, target, action, "no open report of this error is left")
    if state is not None and state.opted_out_at is not None:
        return _refuse(ctx, target, action, "this error is opted out (remove the opt-out label to lift it)")
    if state is not None and state.attempts >= ctx.policy.max_attempts:
        return _refuse(ctx, target, action, f"all {ctx.policy.max_attempts} attempts are used")
    if stage in _NO_ATTEMPT:
        return _refuse(ctx, target, action, _NO_ATTEMPT[stage])
    on_top = has_open_pr(state) and stage in lifecycle.PR_OPEN | {Stage.CI_FAILED, Stage.ATTEMPT_FAILED}
    if on_top and _people_committed(ctx, state):
        outcome = hand_over(ctx, group, state)
        return SteeringOutcome(action, fingerprint=target.fingerprint_id, pr=outcome.pr, result="handed_over")
    try:
        outcome = claim_and_fix(
            ctx,
            group,
            state,
            claim=lambda: claim_attempt(ctx, group, state),
            instruction=instruction,
            publish_with=_publish_on_top if on_top else publish,
        )
    except Deferred as deferral:
        return _refuse(ctx, target, action, deferral.reason)
    if outcome.result in (Result.FAILED, Result.REJECTED):
        _reply(
            ctx, target, f"Homeostat tried again and found no usable fix ({outcome.reason}).\n", REPLY_MARKER
        )
    return SteeringOutcome(
        action,
        fingerprint=target.fingerprint_id,
        pr=outcome.pr,
        result=outcome.result.value,
        why=outcome.reason,
    )


def _people_committed(ctx: RunContext, state: AttemptState) -> bool:
    pr = ctx.forge.get_pr(ctx.repo, state.pr_number)
    return pr is not None and pr.state == "open" and bool(state.head_sha) and pr.head_sha != state.head_sha


def _publish_on_top(
    ctx: RunContext, group: Group, state: AttemptState, fix: ProposedFix
) -> FingerprintOutcome:
    """The fix as a new commit on the PR's head, the PR back to draft until CI passes on it."""
    title, body = pr_text(ctx, group, state, fix)
    try:
        pr = ctx.forge.push_on_top(
            ctx.repo, state.pr_number, fix.changes, title, body, expected_head=state.head_sha
        )
    except ForeignCommits:
        return hand_over(ctx, group, state)
    ctx.forge.mark_draft(ctx.repo, pr.number)
    return linked_and_recorded(ctx, group, state, fix, dataclasses.replace(pr, draft=True), created=False)


# --- stop and explain ----------------------------------------------------------------------------


def _stop(
    ctx: RunContext, target: _Target, group: Group | None, state: AttemptState | None
) -> SteeringOutcome:
    """The same as a person's opt-out label: the label goes on the error's first open report, so
    lifting it is the same too (take the label off)."""
    if group is None or not (group.issues or group.opted_out):
        return _refuse(ctx, target, "stop", "no open report of this error is left to carry the opt-out label")
    issue = (
        next((i for i in group.issues if i.number == target.number), None)
        or (group.issues or group.opted_out)[0]
    )
    ctx.forge.add_labels(ctx.repo, issue.number, [ctx.repo.opt_out_label])
    outcome = opt_out(ctx, dataclasses.replace(group, opted_out=[issue]), state)
    return SteeringOutcome(
        "stop", fingerprint=target.fingerprint_id, pr=outcome.pr, result=outcome.result.value
    )


def _explain(
    ctx: RunContext, target: _Target, group: Group | None, state: AttemptState | None
) -> SteeringOutcome:
    context: dict[str, Any] = {}
    if group is not None:
        shown = load_context(group.report, group.fingerprint, ctx.repo, ctx.sources)
        prompt = build_fix_messages(shown, load_model_settings()) if shown.has_source else None
        context = IssueContext(group.report, shown, prompt).to_json()
    total = earlier_cost(ctx, state) if has_open_pr(state) else None
    _reply(ctx, target, explain_text(state, context, total, ctx.policy.max_attempts), EXPLAIN_MARKER)
    return SteeringOutcome(
        "explain", fingerprint=target.fingerprint_id, pr=state.pr_number if state else None
    )
