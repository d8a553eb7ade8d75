"""One repo run: eligible issues in, at most one PR per fingerprint out, a RunRecord back.

Pure orchestration over the ports. A run first reconciles Homeostat's open PRs with what people
did (closed issues, opt-outs, merges, closes), then takes each fingerprint through one handler
chosen by its lifecycle stage (homeostat_core/lifecycle.py):

- attempt (new, attempt failed, CI failed, re-opened): gate → limits → fix → record → publish;
- recover (claimed, fix recorded): finish what a crashed worker started;
- review (draft, ready, handed over): the PR waits for CI or people; no new attempt;
- done (merged, given up): nothing to do.

Each handler returns one FingerprintOutcome; the run record is derived from them (outcomes.tally).
Any exception while handling one fingerprint becomes that fingerprint's recorded failure (the
money settled at what was really spent, the attempt finished), and the run goes on.

Crash recovery (exactly-once effects). An attempt is claimed with a conditional write before
anything else; the validated fix is recorded (stage fix_recorded) before any forge write; the PR
number and the pushed head commit are recorded last. A worker that dies in between leaves the row
at claimed or fix_recorded. The next run that meets one:
- claimed less than the claim lease ago: it may still be running; the issues are deferred;
- Homeostat's own open PR whose state block names this attempt: the PR was written; record it and
  post the issue comments (edited in place by marker, never repeated). No model call, no second PR;
- fix recorded, no PR from this attempt: publish the recorded edits (no model call);
- claimed, no fix recorded: run the same attempt number again (renewed claim).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from homeostat_core import lifecycle
from homeostat_core.attempts import as_utc
from homeostat_core.budget import BudgetReservation, reserve_pr
from homeostat_core.config import RepoConfig
from homeostat_core.fingerprint import fingerprint_with_history, is_minified_frame
from homeostat_core.fixing.engine import (
    MODEL_UNAVAILABLE_REASONS,
    REJECTION_REASONS,
    apply_pattern,
    attempt_fix,
    max_attempt_cost_usd,
)
from homeostat_core.fixing.scrub import scrub
from homeostat_core.intake import UnparseableIssue, parse_issue
from homeostat_core.lifecycle import POLICY, Policy, Stage, stage_of
from homeostat_core.models import (
    AttemptState,
    ErrorFingerprint,
    ErrorReport,
    FixFailure,
    ForgeIssue,
    Pattern,
    PatternMatch,
    ProposedFix,
    PullRequest,
    RunRecord,
)
from homeostat_core.observability import emit_outcome_metric, emit_run_metrics, logger, run_summary
from homeostat_core.outcomes import (
    GAVE_UP_LABEL,
    PENDING_RELEASE_LABEL,
    REGRESSED_LABEL,
    REJECTED_LABEL,
    UNPARSEABLE_LABEL,
    FingerprintOutcome,
    Result,
    tally,
)
from homeostat_core.patterns.matcher import match_pattern, should_auto_apply
from homeostat_core.ports import (
    AttemptStore,
    BudgetExceeded,
    BudgetStore,
    ChatModel,
    Clock,
    ConflictError,
    ForeignCommits,
    Forge,
    PatternStore,
    PortError,
    RateLimitLow,
    RunStore,
    SourceMapStore,
    issue_comment_marker,
)
from homeostat_core.report import (
    REJECTED_MARKER,
    UNPARSEABLE_MARKER,
    parse_state_block,
    render_issue_comment,
    render_pr_body,
    render_pr_title,
    render_rejected_comment,
    render_unparseable_comment,
)
from homeostat_core.versions import parse_version

GAVE_UP_MARKER = "<!-- homeostat:gave-up -->"
HANDED_OVER_MARKER = "<!-- homeostat:handed-over -->"
CLOSED_MARKER = "<!-- homeostat:closed -->"
PENDING_RELEASE_MARKER = "<!-- homeostat:fixed-pending-release -->"
NO_DRAFTS_MARKER = "<!-- homeostat:no-drafts -->"
REGRESSED_MARKER = "<!-- homeostat:regressed -->"


@dataclass(frozen=True)
class Ports:
    """Everything a repo run talks to; handlers and local mode wire adapters in."""

    forge: Forge
    llm: ChatModel
    attempts: AttemptStore
    patterns: PatternStore
    budgets: BudgetStore
    runs: RunStore
    clock: Clock
    # Where a repository's source maps come from, per extension version (wiring: the S3 bucket,
    # then maps committed in the repository). None: only maps committed in the repository.
    source_maps: Callable[[RepoConfig, str | None], SourceMapStore | None] | None = None


@dataclass(frozen=True)
class Deadline:
    """Stops new work when fewer than `margin_s` seconds are left (Lambda's remaining time)."""

    remaining_s: Callable[[], float]
    margin_s: float = 60.0

    def near(self) -> bool:
        return self.remaining_s() < self.margin_s

    @staticmethod
    def unlimited() -> Deadline:
        return Deadline(remaining_s=lambda: float("inf"), margin_s=0.0)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Group:
    """Issues that share a fingerprint: one piece of work, one PR."""

    fingerprint: ErrorFingerprint
    report: ErrorReport
    issues: list[ForgeIssue] = field(default_factory=list)  # the ones to work on
    answered: list[ForgeIssue] = field(default_factory=list)  # labelled rejected / gave up already
    versions: dict[int, str | None] = field(default_factory=dict)  # extension version per issue

    @property
    def issue_numbers(self) -> tuple[int, ...]:
        return tuple(issue.number for issue in self.issues)

    def newest_report(self) -> datetime | None:
        dates = [issue.created_at for issue in self.issues if issue.created_at is not None]
        return max(dates) if dates else None


@dataclass
class RunContext:
    repo: RepoConfig
    ports: Ports
    deadline: Deadline
    model_settings: object
    policy: Policy
    now: datetime
    env: str
    prs_opened: int = 0
    open_prs: int = 0
    symbolicators: dict = field(default_factory=dict)  # per extension version, one per run
    newest_version: tuple | None = None  # the newest extension version any report names
    reports_without_version: int = 0

    @property
    def attempts(self) -> AttemptStore:
        return self.ports.attempts

    @property
    def forge(self) -> Forge:
        return self.ports.forge


class Deferred(Exception):
    """This fingerprint waits for a later run; the reason goes in the record."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def run_repo(
    repo: RepoConfig,
    ports: Ports,
    *,
    deadline: Deadline | None = None,
    run_id: str | None = None,
    model_settings=None,
    policy: Policy = POLICY,
    env: str | None = None,
) -> RunRecord:
    """Process one repository's eligible issues and return (and save) its run record."""
    started = time.monotonic()
    calls_before = ports.forge.api_calls
    now = ports.clock.now()
    record = RunRecord(run_id=run_id or uuid.uuid4().hex[:12], repo=repo.slug, timestamp=now)
    ctx = RunContext(
        repo, ports, deadline or Deadline.unlimited(), model_settings, policy, now, env or _env()
    )
    outcomes: list[FingerprintOutcome] = []
    logger.append_keys(run_id=record.run_id, repo=repo.slug)
    try:
        issues = ports.forge.list_trigger_issues(repo)
        record.issues_seen = len(issues)
        groups = _parse_and_group(ctx, issues, outcomes, record)
        work = [g for g in groups if g.issues]
        record.issues_processed = sum(len(g.issues) for g in work) + len(outcomes)
        outcomes.extend(reconcile(ctx, groups))
        for index, group in enumerate(work):
            if ctx.deadline.near():
                record.stopped_early = True
                outcomes.extend(_deferred(g, "deadline") for g in work[index:])
                logger.warning("Deadline near, leaving work for the next run")
                break
            try:
                outcomes.append(process_fingerprint(ctx, group))
            except RateLimitLow as low:
                # the credential's budget is for every repo in its lane: stop cleanly, continue later
                record.stopped_early = True
                outcomes.extend(_deferred(g, f"rate limit: {low}") for g in work[index:])
                logger.warning("GitHub rate limit low, leaving work for the continuation")
                break
    except RateLimitLow:
        record.stopped_early = True
        logger.warning("GitHub rate limit low before the run could start; it continues after the reset")
    except PortError as exc:
        # Listing issues failed after the adapter's retries: record it; the message is not retried
        # forever (a FIFO message that keeps failing would block its group until the DLQ).
        logger.exception("Repo run failed")
        record.error = f"{type(exc).__name__}: {exc}"
    finally:
        tally(record, outcomes)
        record.reports_without_version = ctx.reports_without_version
        record.latency_ms = int((time.monotonic() - started) * 1000)
        record.api_calls = ports.forge.api_calls - calls_before
        ports.runs.save(record)
        emit_run_metrics(record)
        logger.info("Repo run finished", extra={"summary": run_summary(record)})
        logger.remove_keys(["run_id", "repo"])
    return record


def _deferred(group: Group, reason: str) -> FingerprintOutcome:
    return _outcome(group, Result.DEFERRED, reason=reason)


def _outcome(group: Group, result: Result, **fields) -> FingerprintOutcome:
    fp = group.fingerprint
    return FingerprintOutcome(
        result=result,
        issues=group.issue_numbers,
        fingerprint=fp.id,
        error_type=fp.error_type,
        file=fp.file_path,
        **fields,
    )


# --- intake -------------------------------------------------------------------------------------


def _parse_and_group(
    ctx: RunContext, issues: list[ForgeIssue], outcomes: list, record: RunRecord
) -> list[Group]:
    """Group parseable issues by fingerprint. Issues Homeostat already answered (rejected, gave up)
    stay in their group only as evidence that the error is still reported; they get no new work."""
    groups: dict[str, Group] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        labels = {label.lower() for label in issue.labels}
        if UNPARSEABLE_LABEL in labels:
            continue  # already answered once; a person removes the label to retry
        answered = bool(labels & {REJECTED_LABEL, GAVE_UP_LABEL})
        try:
            report = parse_issue(issue.title, issue.body, issue.labels, issue.number)
        except UnparseableIssue as exc:
            if not answered:
                outcomes.append(
                    FingerprintOutcome(Result.UNPARSEABLE, issues=(issue.number,), reason=exc.reason)
                )
                ctx.forge.add_labels(ctx.repo, issue.number, [UNPARSEABLE_LABEL])
                ctx.forge.comment_on_issue(
                    ctx.repo, issue.number, render_unparseable_comment(exc.reason), UNPARSEABLE_MARKER
                )
            continue
        report = _symbolicated(ctx, report, record)
        fp = _known_fingerprint(ctx, fingerprint_with_history(report))
        group = groups.setdefault(fp.id, Group(fingerprint=fp, report=report))
        group.versions[issue.number] = report.extension_version
        version = parse_version(report.extension_version)
        if version is not None and (ctx.newest_version is None or version > ctx.newest_version):
            ctx.newest_version = version
        if answered:
            group.answered.append(issue)
        else:
            if not group.issues:
                group.report = report
            group.issues.append(issue)
    return list(groups.values())


def _symbolicated(ctx: RunContext, report: ErrorReport, record: RunRecord) -> ErrorReport:
    """Minified in-app frames mapped to their original files and functions, when a map exists, so
    the fingerprint survives rebuilds and the fix engine reads the real source."""
    if not any(frame.in_app and is_minified_frame(frame) for frame in report.frames):
        return report
    from homeostat_core.symbolication.forge_maps import ForgeSourceMaps
    from homeostat_core.symbolication.symbolicate import Symbolicator

    version = report.extension_version
    if version not in ctx.symbolicators:
        factory = ctx.ports.source_maps
        maps = (
            factory(ctx.repo, version) if factory else ForgeSourceMaps(ctx.forge, ctx.repo, ctx.repo.branch)
        )
        ctx.symbolicators[version] = Symbolicator(maps) if maps is not None else None
    symbolicator = ctx.symbolicators[version]
    if symbolicator is None:
        record.frames_minified += sum(1 for f in report.frames if f.in_app and is_minified_frame(f))
        return report
    mapped, stats = symbolicator.symbolicate(report)
    record.frames_symbolicated += stats.symbolicated
    record.frames_minified += stats.still_minified
    for where, reason in stats.skipped_maps:
        if f"{where}: {reason}" not in record.maps_skipped:
            record.maps_skipped.append(f"{where}: {reason}")
    return mapped


def _known_fingerprint(ctx: RunContext, fp: ErrorFingerprint) -> ErrorFingerprint:
    """The fingerprint under the id its history is kept under: an error attempted, fixed or learned
    under an older algorithm version keeps that id (no second PR, no lost cooldown, the pattern
    still matches). New errors get the current id."""
    if not fp.previous_ids or ctx.attempts.get(ctx.repo.slug, fp.id) is not None:
        return fp
    for old in fp.previous_ids:
        if ctx.attempts.get(ctx.repo.slug, old) is not None or ctx.ports.patterns.active_for_fingerprint(old):
            return dataclasses.replace(fp, id=old)
    return fp


# --- dispatcher ---------------------------------------------------------------------------------


def process_fingerprint(ctx: RunContext, group: Group) -> FingerprintOutcome:
    """Run the handler for the fingerprint's stage; an exception becomes its recorded failure."""
    state = ctx.attempts.get(ctx.repo.slug, group.fingerprint.id)
    handler = HANDLERS[stage_of(state)]
    try:
        return handler(ctx, group, state)
    except Deferred as deferral:
        return _deferred(group, deferral.reason)
    except RateLimitLow:
        raise  # stops the whole run (run_repo): every later call would be refused too
    except PortError as exc:
        # The forge or the store failed after its own retries: the row stays where it was (a
        # claimed attempt is recovered after the lease, at the same attempt number).
        logger.exception(
            "Fingerprint deferred after a port error", extra={"fingerprint": group.fingerprint.id}
        )
        return _deferred(group, f"error: {type(exc).__name__}: {str(exc)[:300]}")
    except Exception as exc:  # no single input kills a run
        logger.exception("Fingerprint failed", extra={"fingerprint": group.fingerprint.id})
        return _record_error(ctx, group, exc)


def _record_error(ctx: RunContext, group: Group, exc: Exception) -> FingerprintOutcome:
    """Finish an attempt that an unexpected error interrupted before it recorded a fix, so it is
    not left pending. A recorded fix stays recorded: its PR may exist, and the next run finishes
    it (recover) without a model call."""
    detail = f"{type(exc).__name__}: {str(exc)[:300]}"
    spent = float(getattr(exc, "spent_usd", 0.0) or 0.0)
    try:
        state = ctx.attempts.get(ctx.repo.slug, group.fingerprint.id)
        if stage_of(state) is Stage.CLAIMED:
            ctx.attempts.save(
                lifecycle.moved(state, Stage.ATTEMPT_FAILED, failure_summary=None, cost_usd=state.cost_usd)
            )
    except Exception:  # the store itself is failing: the lease recovers the attempt later
        logger.exception("Could not record the failure", extra={"fingerprint": group.fingerprint.id})
    return _outcome(group, Result.ERROR, reason="error", detail=detail, cost_usd=spent)


# --- attempt ------------------------------------------------------------------------------------


def handle_attempt(ctx: RunContext, group: Group, state: AttemptState | None) -> FingerprintOutcome:
    """new, attempt failed, CI failed, closed by a person / opted out (with a newer report)."""
    stage = stage_of(state)
    if stage in lifecycle.REOPENABLE:
        newest = group.newest_report()
        closed = state.closed_at
        if closed is None or newest is None or as_utc(newest) <= as_utc(closed):
            return _outcome(
                group, Result.DONE, reason=f"{stage.value}: waiting for a report filed after the close"
            )
    if state is not None and state.attempts >= ctx.policy.max_attempts:
        return give_up(ctx, group, state)
    if state is not None and state.backoff_until and as_utc(ctx.now) < as_utc(state.backoff_until):
        return _outcome(group, Result.COOLDOWN, reason=f"backoff until {state.backoff_until.isoformat()}")
    if not _has_open_pr(state):
        _check_new_pr_limits(ctx)
    elif _people_committed(ctx, state):
        # Checked before paying for a model: Homeostat will not push over people's commits.
        return hand_over(ctx, group, state)
    return _claim_and_fix(ctx, group, state, claim=lambda: _claim(ctx, group, state))


def _people_committed(ctx: RunContext, state: AttemptState) -> bool:
    pr = ctx.forge.get_pr(ctx.repo, state.pr_number)
    return pr is not None and pr.state == "open" and bool(state.head_sha) and pr.head_sha != state.head_sha


def _claim_and_fix(
    ctx: RunContext, group: Group, before: AttemptState | None, claim: Callable[[], AttemptState]
) -> FingerprintOutcome:
    """Pattern at $0 when one applies, else a model call paid from the day's budget; then publish.

    Money is reserved before the claim and settled at what the calls really cost, whatever happens.
    """
    match = _pattern_for(ctx, group)
    # A regression means the learned fix did not work: show it to the model, never re-apply it.
    regressed = stage_of(before) is Stage.REGRESSED
    fix: ProposedFix | FixFailure | None = None if regressed else _pattern_fix(ctx, match)
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
                fix = _ask_model(ctx, group, claimed, match, money)
        except BudgetExceeded:
            raise Deferred(f"daily_budget_usd={ctx.repo.daily_budget_usd} reached") from None
    if isinstance(fix, FixFailure):
        return _fix_failed(ctx, group, claimed, before, fix)
    recorded = ctx.attempts.save(
        lifecycle.moved(
            claimed,
            Stage.FIX_RECORDED,
            tier=fix.tier,
            cost_usd=fix.cost_usd,
            pattern_id=fix.pattern_id,
            edits=fix.edits,
        )
    )
    return publish(ctx, group, recorded, fix)


def _has_open_pr(state: AttemptState | None) -> bool:
    return state is not None and state.pr_number is not None and state.closed_at is None


def _check_new_pr_limits(ctx: RunContext) -> None:
    repo = ctx.repo
    if ctx.prs_opened >= repo.max_prs_per_run:
        raise Deferred(f"max_prs_per_run={repo.max_prs_per_run} reached")
    if ctx.open_prs >= repo.max_open_prs:
        raise Deferred(f"max_open_prs={repo.max_open_prs} reached")
    if ctx.ports.budgets.prs_opened(repo.slug, ctx.now.date()) >= repo.max_prs_per_day:
        raise Deferred(f"max_prs_per_day={repo.max_prs_per_day} reached")


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


def _claim(ctx: RunContext, group: Group, state: AttemptState | None) -> AttemptState:
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
        # a new occurrence after a close starts over: a fresh PR, a fresh count
        claimed = dataclasses.replace(
            claimed, attempts=1, backoff_until=ctx.policy.backoff(0, ctx.now), pr_number=None, head_sha=None
        )
    elif stage_of(before) is Stage.REGRESSED:
        # the merged PR is history: a new PR, the attempts count on (a fix that keeps regressing
        # is given up like any other)
        claimed = dataclasses.replace(claimed, pr_number=None, head_sha=None, branch=None)
    try:
        if state is None:
            return ctx.attempts.start_attempt(claimed, expected_attempts=0)
        return ctx.attempts.save(claimed)
    except ConflictError:
        raise Deferred("another worker holds this attempt") from None


def _ask_model(
    ctx: RunContext,
    group: Group,
    claimed: AttemptState,
    match: PatternMatch | None,
    money: BudgetReservation,
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
        )
    except Exception as exc:
        # Model calls made before the error were still paid for: settle to that, not to zero.
        money.settle(float(getattr(exc, "spent_usd", 0.0)))
        raise
    money.settle(fix.cost_usd)
    return fix


def _fix_failed(
    ctx: RunContext, group: Group, claimed: AttemptState, before: AttemptState | None, fix: FixFailure
) -> FingerprintOutcome:
    cost = {"cost_usd": fix.cost_usd, "tokens": fix.usage.total, "tier": fix.tier}
    if fix.reason in MODEL_UNAVAILABLE_REASONS and fix.cost_usd == 0:
        _restore(ctx, claimed, before)
        raise Deferred(f"no model answered ({fix.reason}); the attempt was not counted")
    last = claimed.attempts >= ctx.policy.max_attempts
    failed = ctx.attempts.save(
        lifecycle.moved(claimed, Stage.ATTEMPT_FAILED, cost_usd=fix.cost_usd, tier=fix.tier or claimed.tier)
    )
    rejected = fix.reason in REJECTION_REASONS
    if rejected:
        for number in _capped(ctx, group.issue_numbers):
            ctx.forge.add_labels(ctx.repo, number, [REJECTED_LABEL])
            ctx.forge.comment_on_issue(
                ctx.repo, number, render_rejected_comment(fix.reason, fix.detail), REJECTED_MARKER
            )
    if last and not rejected:
        give_up(ctx, group, failed)
    return _outcome(
        group,
        Result.REJECTED if rejected else Result.FAILED,
        reason=fix.reason,
        detail=fix.detail[:500],
        **cost,
    )


def _restore(ctx: RunContext, claimed: AttemptState, before: AttemptState | None) -> None:
    """Give back an attempt that no model answered: the row returns to what it was before the
    claim (optimistic locking keeps a concurrent change from being overwritten)."""
    restored = before or AttemptState(repo=claimed.repo, fingerprint_id=claimed.fingerprint_id)
    ctx.attempts.save(dataclasses.replace(restored, version=claimed.version))


def publish(ctx: RunContext, group: Group, state: AttemptState, fix: ProposedFix) -> FingerprintOutcome:
    """Write the recorded fix: a new draft PR, or a new commit on Homeostat's own open PR."""
    iterating = _has_open_pr(state)
    if not iterating:
        try:
            reserve_pr(ctx.ports.budgets, ctx.repo.slug, ctx.repo.max_prs_per_day, ctx.now)
        except BudgetExceeded:
            # The fix stays recorded: the next run publishes it without a model call.
            raise Deferred(f"max_prs_per_day={ctx.repo.max_prs_per_day} reached") from None
    fp = group.fingerprint
    try:
        pr, created = ctx.forge.upsert_pr(
            ctx.repo,
            fp.id,
            fix.changes,
            render_pr_title(fp, group.report, scrub=scrub),
            render_pr_body(
                fingerprint=fp,
                error=group.report,
                attempt=state,
                fix=fix,
                next_backoff=state.backoff_until or ctx.now,
                now=ctx.now,
                issue_numbers=group.issue_numbers,
                repo=ctx.repo,
                scrub=scrub,
                earlier_cost_usd=_earlier_cost(ctx, state) if iterating else 0.0,
            ),
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
                "This repository cannot have draft pull requests, so Homeostat opened this one ready "
                "for review before its CI has run. Please wait for the checks before merging.\n",
                NO_DRAFTS_MARKER,
            )
    _link_issues(ctx, group, pr, fix)
    published = _record_published(ctx, state, pr)
    return _outcome(
        group,
        Result.PR_CREATED if created else Result.PR_UPDATED,
        pr=pr.number,
        source=fix.source,
        tier=fix.tier,
        model=fix.model,
        pattern_id=fix.pattern_id,
        cost_usd=fix.cost_usd,
        tokens=fix.usage.total,
        extra={"draft": pr.draft, "attempt": published.attempts},
    )


def _earlier_cost(ctx: RunContext, state: AttemptState) -> float:
    """What the PR's earlier commits cost (its state block's running total)."""
    pr = ctx.forge.get_pr(ctx.repo, state.pr_number)
    try:
        return float((parse_state_block(pr.body if pr else "") or {}).get("totalCost") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _capped(ctx: RunContext, numbers) -> Iterator[int]:
    """At most max_issue_comments_per_run issues (the PR body lists them all), deadline-checked."""
    for index, number in enumerate(numbers):
        if index >= ctx.repo.max_issue_comments_per_run or ctx.deadline.near():
            return
        yield number


def _link_issues(ctx: RunContext, group: Group, pr: PullRequest, fix: ProposedFix) -> None:
    """One comment per linked issue, edited in place by marker (never repeated)."""
    body = render_issue_comment(pr, group.fingerprint, fix, opt_out_label=ctx.repo.opt_out_label)
    for number in _capped(ctx, group.issue_numbers):
        ctx.forge.comment_on_issue(ctx.repo, number, body, issue_comment_marker(group.fingerprint.id))


def hand_over(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """People committed on Homeostat's branch: leave the PR to them, say so once."""
    if state.pr_number is None:  # an own PR this row never recorded (a crash before it did)
        pr = ctx.forge.find_open_pr(ctx.repo, group.fingerprint.id)
        if pr is None:
            raise Deferred("Homeostat's branch moved but no PR of its own is open")
        state = dataclasses.replace(state, pr_number=pr.number, branch=pr.branch, head_sha=pr.head_sha)
    ctx.attempts.save(lifecycle.moved(state, Stage.HANDED_OVER))
    ctx.forge.comment_on_pr(
        ctx.repo,
        state.pr_number,
        "Someone else has pushed commits to this branch, so Homeostat will not push to it again "
        "and makes no further attempts on this error while this PR is open.\n",
        HANDED_OVER_MARKER,
    )
    return _outcome(group, Result.HANDED_OVER, pr=state.pr_number, reason="people committed on the branch")


def give_up(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """The last allowed attempt failed: close Homeostat's PR with a summary, label the issues."""
    if stage_of(state) is not Stage.GIVEN_UP:
        if _has_open_pr(state) and stage_of(state) is not Stage.HANDED_OVER:
            ctx.forge.comment_on_pr(
                ctx.repo,
                state.pr_number,
                f"Homeostat made {state.attempts} attempts at this error and none passed; closing "
                "this PR. The linked issues are labelled `homeostat-gave-up`.\n",
                GAVE_UP_MARKER,
            )
            ctx.forge.close_pr(ctx.repo, state.pr_number)
            if state.branch:
                ctx.forge.delete_branch(ctx.repo, state.branch)
        ctx.attempts.save(lifecycle.moved(state, Stage.GIVEN_UP, closed_at=ctx.now))
        for number in _capped(ctx, group.issue_numbers):
            ctx.forge.add_labels(ctx.repo, number, [GAVE_UP_LABEL])
    return _outcome(group, Result.GAVE_UP, reason=f"{state.attempts} attempts made", pr=state.pr_number)


# --- recover ------------------------------------------------------------------------------------


def handle_recover(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """claimed / fix recorded: a worker died mid-attempt (or is still running it)."""
    if state.last_attempt_at and as_utc(ctx.now) < as_utc(state.last_attempt_at) + ctx.policy.claim_lease:
        raise Deferred(f"attempt {state.attempts} is still running (claimed less than the lease ago)")
    pr = ctx.forge.find_open_pr(ctx.repo, group.fingerprint.id)
    if (
        pr is not None
        and state.edits
        and (parse_state_block(pr.body) or {}).get("attempts") == state.attempts
    ):
        return _finish_recovered(ctx, group, state, pr)
    if stage_of(state) is Stage.FIX_RECORDED:
        fix = _recorded_fix(ctx, state)
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
            raise Deferred("another worker holds this attempt") from None

    return _claim_and_fix(ctx, group, state, claim=resume)


def _recorded_fix(ctx: RunContext, state: AttemptState) -> ProposedFix | FixFailure:
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


def _record_published(ctx: RunContext, state: AttemptState, pr: PullRequest) -> AttemptState:
    """The PR and the commit Homeostat pushed, recorded last: a row with them has nothing left to
    do (crash recovery), and `head_sha` is what Homeostat may move its branch from next time."""
    return ctx.attempts.save(
        lifecycle.moved(
            state,
            Stage.DRAFT,
            pr_number=pr.number,
            head_sha=pr.head_sha,
            branch=pr.branch,
            pr_opened_at=state.pr_opened_at if _has_open_pr(state) and state.pr_opened_at else ctx.now,
            closed_at=None,  # an open PR (a row re-opened after a close keeps no stale close time)
            ci_summary=None,
            failure_summary=None,
        )
    )


def _finish_recovered(
    ctx: RunContext, group: Group, state: AttemptState, pr: PullRequest
) -> FingerprintOutcome:
    """An attempt died after writing its PR: post the comments and record it, nothing more."""
    from homeostat_core.fixing.validation import unified_diff

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
    _link_issues(ctx, group, pr, fix)
    _record_published(ctx, state, pr)
    return _outcome(
        group, Result.PR_RECOVERED, pr=pr.number, reason=f"finished attempt {state.attempts} after a crash"
    )


# --- review -------------------------------------------------------------------------------------


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
            return _outcome(group, decided, pr=state.pr_number, reason=verdict.summary[:200] or None)
    reason = {
        Stage.DRAFT: "draft PR waiting for CI",
        Stage.READY: "PR ready, waiting for review",
        Stage.HANDED_OVER: "PR left to the people who committed on it",
    }[stage]
    return _outcome(group, Result.WAITING, pr=state.pr_number, reason=reason)


def _rebuild_if_conflicting(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome | None:
    """The base branch moved and Homeostat's PR now conflicts: rebuild the recorded fix on the new
    base (no model call, no attempt), unless people committed on the branch (then it is theirs).
    When the recorded edits no longer apply, the next attempt regenerates the fix."""
    pr = ctx.forge.get_pr(ctx.repo, state.pr_number)
    if pr is None or pr.state != "open" or pr.mergeable is not False:
        return None
    if state.head_sha and pr.head_sha != state.head_sha:
        return hand_over(ctx, group, state)
    fix = _recorded_fix(ctx, state)
    if isinstance(fix, FixFailure):
        summary = (
            f"The base branch moved and this PR conflicts with it; the fix no longer applies ({fix.reason})."
        )
        ctx.attempts.save(
            lifecycle.moved(state, Stage.CI_FAILED, ci_summary=summary, failure_summary=summary)
        )
        return _outcome(
            group,
            Result.FAILED,
            pr=pr.number,
            reason="conflicts with the base branch",
            detail=fix.detail[:300],
        )
    outcome = publish(ctx, group, state, fix)
    return dataclasses.replace(outcome, reason="rebuilt on the base branch, which had moved and conflicted")


def apply_ci_verdict(
    ports, repo: RepoConfig, state: AttemptState, verdict, now: datetime, policy: Policy = POLICY
):
    """A CI verdict on Homeostat's own head commit → ready / CI failed; None when undecided.

    Called by the run (polling) and by the learning job (check events), so both agree.
    """
    stage = stage_of(state)
    if verdict.state == "success" and stage in (Stage.DRAFT, Stage.CI_FAILED):
        _mark_ready(ports, repo, state)
        ports.attempts.save(lifecycle.moved(state, Stage.READY, tests_passed=True, ci_summary=None))
        return Result.READY
    if verdict.state == "none" and stage is Stage.DRAFT:
        opened = state.last_attempt_at or state.pr_opened_at or now  # the push being waited on
        if as_utc(now) - as_utc(opened) >= timedelta(hours=repo.ready_after_hours):
            _mark_ready(ports, repo, state, note="No CI checks ran on this PR; it is ready for review.")
            ports.attempts.save(lifecycle.moved(state, Stage.READY, tests_passed=None))
            return Result.READY
        return None
    if verdict.state == "failure" and stage in (Stage.DRAFT, Stage.READY):
        summary = scrub(verdict.summary or "CI failed")[: policy.ci_summary_chars]
        ports.attempts.save(
            lifecycle.moved(
                state, Stage.CI_FAILED, tests_passed=False, ci_summary=summary, failure_summary=summary
            )
        )
        return Result.FAILED
    return None


def _mark_ready(ports, repo: RepoConfig, state: AttemptState, note: str | None = None) -> None:
    ports.forge.mark_ready(repo, state.pr_number)
    if repo.reviewers:
        ports.forge.request_reviewers(repo, state.pr_number, list(repo.reviewers))
    if note:
        ports.forge.comment_on_pr(repo, state.pr_number, note + "\n", "<!-- homeostat:no-ci -->")


def handle_fixed(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    """merged / verified, and the error is reported again: sort the reports by version.

    From a version without the fix (≤ the version at the merge): fixed, awaiting release — no
    attempt, no cost, labelled and answered once (and closed, by default). From a version with
    the fix: a regression — the fingerprint is eligible again and the next prompt says the earlier
    fix did not stop the error. No version in the report: as before (done), counted on the record.
    """
    fixed = parse_version(state.fixed_in_version)
    if fixed is None:
        return _outcome(group, Result.DONE, pr=state.pr_number, reason=f"fixed by PR #{state.pr_number}")
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
        return _outcome(
            group,
            Result.AWAITING_RELEASE,
            pr=state.pr_number,
            reason=f"fixed by PR #{state.pr_number} after v{state.fixed_in_version}; not in these installs yet",
        )
    return _outcome(group, Result.DONE, pr=state.pr_number, reason="fixed; the reports name no version")


def _answer_pending_release(ctx: RunContext, group: Group, state: AttemptState, issues: list[ForgeIssue]):
    body = (
        f"This error was fixed by #{state.pr_number}, which ships in the versions after "
        f"{state.fixed_in_version}. This report comes from a version without the fix, so Homeostat "
        "makes no new attempt."
        + (
            " Closing it; reopen it if the error appears in a newer version."
            if ctx.repo.close_fixed_pending_release
            else ""
        )
        + "\n"
    )
    for number in _capped(ctx, [i.number for i in issues if PENDING_RELEASE_LABEL not in i.labels]):
        ctx.forge.add_labels(ctx.repo, number, [PENDING_RELEASE_LABEL])
        ctx.forge.comment_on_issue(ctx.repo, number, body, PENDING_RELEASE_MARKER)
        if ctx.repo.close_fixed_pending_release:
            ctx.forge.close_issue(ctx.repo, number)


def regress(
    ctx: RunContext, group: Group, state: AttemptState, issues: list[ForgeIssue]
) -> FingerprintOutcome:
    """Reported from a version that contains the merged fix: the fix did not stop the error."""
    from homeostat_core.learning import edits_diff, learn_regression

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
    body = (
        f"This error was reported from version {seen}, which contains the fix merged in "
        f"#{state.pr_number}: the fix did not stop it. Homeostat will try again.\n"
    )
    for number in _capped(ctx, [i.number for i in issues if REGRESSED_LABEL not in i.labels]):
        ctx.forge.add_labels(ctx.repo, number, [REGRESSED_LABEL])
        ctx.forge.comment_on_issue(ctx.repo, number, body, REGRESSED_MARKER)
    outcome = handle_attempt(ctx, group, regressed)
    return dataclasses.replace(outcome, extra={**outcome.extra, "regressedFrom": state.pr_number})


def handle_done(ctx: RunContext, group: Group, state: AttemptState) -> FingerprintOutcome:
    stage = stage_of(state)
    return _outcome(
        group, Result.DONE, pr=state.pr_number, reason=f"{stage.value} after {state.attempts} attempts"
    )


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


# --- reconcile ----------------------------------------------------------------------------------


def reconcile(ctx: RunContext, groups: list[Group]) -> list[FingerprintOutcome]:
    """Bring every fingerprint with a Homeostat PR in line with what people did since the last run.

    - PR merged → merged (branch deleted, linked issues closed where the forge did not);
    - PR closed unmerged by a person → closed_by_person (not attempted again until a newer report);
    - PR open but no open, opted-in issue reports the error any more → PR closed, branch deleted.
    """
    from homeostat_core.learning import settle_closed_pr

    reported = {g.fingerprint.id: g for g in groups}
    rows = ctx.attempts.list(ctx.repo.slug)
    # Homeostat's open PRs are the ones its rows recorded: an idle repository costs no listing
    ctx.open_prs = sum(1 for row in rows if _has_open_pr(row))
    own_open = {pr.number: pr for pr in ctx.forge.list_own_open_prs(ctx.repo)} if ctx.open_prs else {}
    outcomes = []
    for state in rows:
        if ctx.deadline.near():
            break
        if stage_of(state) is Stage.MERGED:
            verified = _verify(ctx, state, reported.get(state.fingerprint_id))
            if verified is not None:
                outcomes.append(verified)
            continue
        if not _has_open_pr(state) or stage_of(state) in (Stage.CLAIMED, Stage.FIX_RECORDED):
            continue
        group = reported.get(state.fingerprint_id)
        issues = group.issue_numbers if group else ()
        try:
            pr = own_open.get(state.pr_number) or ctx.forge.get_pr(ctx.repo, state.pr_number)
            if pr is None:
                continue
            if pr.state != "open":
                result = settle_closed_pr(ctx.ports, ctx.repo, state, pr, env=ctx.env, now=ctx.now)
                if result is not None:
                    if pr.merged and group is not None:
                        for number in _capped(ctx, issues):
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
                    "Every issue that reported this error is closed or opted out, so Homeostat is "
                    "closing this PR and deleting its branch.\n",
                    CLOSED_MARKER,
                )
                ctx.forge.close_pr(ctx.repo, pr.number)
                ctx.forge.delete_branch(ctx.repo, pr.branch)
                ctx.attempts.save(lifecycle.moved(state, Stage.OPTED_OUT, closed_at=ctx.now))
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


def _verify(ctx: RunContext, state: AttemptState, group: Group | None) -> FingerprintOutcome | None:
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


def _env() -> str:
    from homeostat_core.settings import get_settings

    return get_settings().env
