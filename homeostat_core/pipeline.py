"""One repo run: eligible issues in, at most one PR per fingerprint out, a RunRecord back.

Pure orchestration over the ports (ARCHITECTURE.md, "One repo run"). Every step that can fail
for one fingerprint is recorded on the run record and the run goes on with the next one; an
issue is either processed, skipped for a stated reason, or listed as deferred.

Crash recovery (exactly-once effects). An attempt is claimed (attempts+1, lastResult pending,
no PR number, backoff set) with a conditional write before anything else; the validated fix is
recorded on it (edits, tier, cost; still pending, no PR) before any forge write; the PR number is
recorded last, after the PR and the issue comments. A worker that dies in between leaves an
"unfinished" attempt: pending with no PR number. The next run that meets one:
- claimed less than CLAIM_LEASE ago: it may still be running; the issues are deferred;
- an open PR on the fingerprint's branch whose state block names this attempt number: the PR
  was written; post the issue comments (edited in place by marker, never repeated) and record
  the PR number. No new attempt, no model call, no second PR;
- otherwise the attempt died before its PR: run the same attempt number again (renewed claim,
  optimistic lock), so the crash does not burn an attempt or a backoff. Forge writes are
  idempotent (one branch per fingerprint, upsert by branch, comments by marker), so redoing
  them cannot duplicate anything.
The money reserved by a crashed run stays counted as spent (the safe side).
"""

from __future__ import annotations

import difflib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from homeostat_core import attempts as attempt_rules
from homeostat_core.config import RepoConfig
from homeostat_core.fingerprint import fingerprint
from homeostat_core.fixing.engine import apply_pattern, attempt_fix, max_attempt_cost_usd
from homeostat_core.fixing.scrub import scrub
from homeostat_core.intake import UnparseableIssue, parse_issue
from homeostat_core.models import (
    AttemptState,
    ErrorFingerprint,
    ErrorReport,
    FixFailure,
    ForgeIssue,
    ProposedFix,
    PullRequest,
    RunRecord,
)
from homeostat_core.observability import emit_run_metrics, logger, run_summary
from homeostat_core.patterns.matcher import match_pattern, should_auto_apply
from homeostat_core.ports import (
    AttemptStore,
    BudgetExceeded,
    BudgetStore,
    ChatModel,
    Clock,
    ConflictError,
    Forge,
    PatternStore,
    PortError,
    RunStore,
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

UNPARSEABLE_LABEL = "homeostat-unparseable"
# No worker can still be running an attempt claimed this long ago: the worker Lambda's timeout
# (infra/worker.py, 900 s). SQS redelivers a failed message only after 6x that.
CLAIM_LEASE = timedelta(minutes=15)
REJECTED_LABEL = "homeostat-rejected"

# Failure reasons that come from validating the model's (or a pattern's) edits: the issue gets a
# `homeostat-rejected` label and one comment naming the reason.
# A fix that failed only because no model answered (and so cost nothing) is not the
# fingerprint's fault: the attempt is given back and the issues wait for the next run.
MODEL_UNAVAILABLE_REASONS = frozenset({"llm_timeout", "llm_rate_limit", "llm_server", "llm_auth"})

REJECTION_REASONS = frozenset(
    {
        "no_source",  # the error's own files are unreadable or outside path_filters
        "path_filtered",
        "forbidden_path",
        "manifest_permissions",
        "package_scripts",
        "too_many_files",
        "too_many_lines",
        "syntax_error",
        "binary_file",
        "sensitive_path",
    }
)


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


@dataclass
class _Group:
    """Issues that share a fingerprint: one piece of work, one PR."""

    fingerprint: ErrorFingerprint
    report: ErrorReport
    issues: list[ForgeIssue] = field(default_factory=list)

    @property
    def issue_numbers(self) -> list[int]:
        return [issue.number for issue in self.issues]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def run_repo(
    repo: RepoConfig,
    ports: Ports,
    *,
    deadline: Deadline | None = None,
    run_id: str | None = None,
    model_settings=None,
) -> RunRecord:
    """Process one repository's eligible issues and return (and save) its run record."""
    deadline = deadline or Deadline.unlimited()
    started = time.monotonic()
    calls_before = ports.forge.api_calls
    record = RunRecord(run_id=run_id or uuid.uuid4().hex[:12], repo=repo.slug, timestamp=ports.clock.now())
    log = logger.append_keys
    log(run_id=record.run_id, repo=repo.slug)
    try:
        issues = ports.forge.list_trigger_issues(repo)
        record.issues_seen = len(issues)
        groups = _parse_and_group(repo, issues, ports, record)
        prs_opened = 0
        for index, group in enumerate(groups):
            if deadline.near():
                record.stopped_early = True
                for later in groups[index:]:
                    _defer(record, later, "deadline")
                logger.warning(
                    "Deadline near, leaving work for the next run", extra={"deferred": record.deferred_issues}
                )
                break
            try:
                outcome = _process_group(repo, group, ports, record, prs_opened, model_settings)
            except _Deferred as deferral:
                _defer(record, group, deferral.reason)
                continue
            except PortError as exc:
                logger.exception("Fingerprint failed", extra={"fingerprint": group.fingerprint.id})
                _defer(record, group, f"error: {type(exc).__name__}: {exc}")
                continue
            record.outcomes.append(outcome)
            record.fingerprints_processed += 1
            prs_opened += outcome["result"] == "pr_created"
    except PortError as exc:
        # Listing issues failed after the adapter's retries: record it; the message is not retried
        # forever (a FIFO message that keeps failing would block the group until the DLQ).
        logger.exception("Repo run failed")
        record.error = f"{type(exc).__name__}: {exc}"
    finally:
        record.latency_ms = int((time.monotonic() - started) * 1000)
        record.api_calls = ports.forge.api_calls - calls_before
        ports.runs.save(record)
        emit_run_metrics(record)
        logger.info("Repo run finished", extra={"summary": run_summary(record)})
        logger.remove_keys(["run_id", "repo"])
    return record


class _Deferred(Exception):
    """This fingerprint waits for a later run (budget, lease); the reason goes in the record."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _defer(record: RunRecord, group: _Group, reason: str) -> None:
    record.deferred_issues.extend(group.issue_numbers)
    record.outcomes.append(
        {
            "fingerprint": group.fingerprint.id,
            "issues": group.issue_numbers,
            "result": "deferred",
            "reason": reason,
        }
    )


def _parse_and_group(
    repo: RepoConfig, issues: list[ForgeIssue], ports: Ports, record: RunRecord
) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for issue in sorted(issues, key=lambda i: i.number):
        if UNPARSEABLE_LABEL in issue.labels or REJECTED_LABEL in issue.labels:
            continue  # already answered once; a human relabels to retry
        record.issues_processed += 1
        try:
            report = parse_issue(issue.title, issue.body, issue.labels, issue.number)
        except UnparseableIssue as exc:
            record.unparseable += 1
            record.outcomes.append({"issues": [issue.number], "result": "unparseable", "reason": exc.reason})
            logger.info("Unparseable issue", extra={"issue": issue.number, "reason": exc.reason})
            ports.forge.add_labels(repo, issue.number, [UNPARSEABLE_LABEL])
            ports.forge.comment_on_issue(
                repo, issue.number, render_unparseable_comment(exc.reason), UNPARSEABLE_MARKER
            )
            continue
        fp = fingerprint(report)
        group = groups.setdefault(fp.id, _Group(fingerprint=fp, report=report))
        group.issues.append(issue)
    return list(groups.values())


def _process_group(
    repo: RepoConfig, group: _Group, ports: Ports, record: RunRecord, prs_opened: int, model_settings
) -> dict:
    """Handle one fingerprint; returns its outcome (`result` says what happened).

    Raises _Deferred when the fingerprint must wait for a later run. Counters that reflect work
    really done (cost, tokens, PRs, rejections) are added to `record` as it happens.
    """
    fp = group.fingerprint
    now = ports.clock.now()
    outcome: dict = {
        "fingerprint": fp.id,
        "issues": group.issue_numbers,
        "errorType": fp.error_type,
        "file": fp.file_path,
    }

    state = ports.attempts.get(repo.slug, fp.id)
    resuming = False
    existing = None
    if attempt_rules.is_unfinished(state):
        # Crash recovery (see the module docstring's rule).
        if not attempt_rules.claim_expired(state, now, CLAIM_LEASE):
            raise _Deferred(
                f"attempt {state.attempts} is still running (claimed less than {CLAIM_LEASE} ago)"
            )
        existing = ports.forge.find_open_pr(repo, fp.id)
        if existing is not None and _pr_is_from_attempt(existing, state):
            return _finish_recovered(repo, group, ports, record, outcome, state, existing)
        resuming = True
    elif not attempt_rules.can_attempt(state, now):
        record.cooldowns += 1
        return {**outcome, "result": "cooldown", "reason": attempt_rules.cooldown_reason(state, now)}
    else:
        existing = ports.forge.find_open_pr(repo, fp.id)

    if existing is None and prs_opened >= repo.max_prs_per_run:
        raise _Deferred(f"max_prs_per_run={repo.max_prs_per_run} reached")

    match = match_pattern(ports.patterns, fp)
    fix: ProposedFix | FixFailure | None = None
    if match is not None and should_auto_apply(match):
        fix = apply_pattern(match, repo, ports.forge)
        if isinstance(fix, FixFailure):
            logger.info("Pattern did not apply; asking a model", extra={"reason": fix.reason})
            fix = None

    reserved = 0.0
    day = now.date()
    if fix is None:
        reserved = max_attempt_cost_usd(model_settings)
        try:
            ports.budgets.reserve_usd(repo.slug, day, reserved, repo.daily_budget_usd)
        except BudgetExceeded:
            raise _Deferred(f"daily_budget_usd={repo.daily_budget_usd} reached") from None

    before_claim = state
    try:
        if resuming:
            state = attempt_rules.resume_attempt(ports.attempts, state, now)
        else:
            state = attempt_rules.begin_attempt(
                ports.attempts, repo.slug, fp.id, now, error_type=fp.error_type, file_path=fp.file_path
            )
    except (ConflictError, attempt_rules.AttemptNotAllowed):
        # AttemptNotAllowed: another worker claimed it between our read and begin_attempt's read
        if reserved:
            ports.budgets.settle_usd(repo.slug, day, reserved, 0.0)
        return {**outcome, "result": "skipped", "reason": "another worker holds this attempt"}

    cost = 0.0
    try:
        if fix is None:
            hint = match if match is not None and not should_auto_apply(match) else None
            try:
                fix = attempt_fix(
                    group.report,
                    fp,
                    repo,
                    ports.forge,
                    ports.llm,
                    model_settings=model_settings,
                    pattern_hint=hint,
                    ci_failure=state.failure_summary,
                )
            except PortError as exc:
                # A forge error after some model calls: those calls were still paid for (the
                # engine tags the error with their cost); settle to that, not to zero.
                cost = float(getattr(exc, "spent_usd", 0.0))
                raise
            cost = fix.cost_usd
    finally:
        if reserved:
            ports.budgets.settle_usd(repo.slug, day, reserved, cost)

    record.cost_usd += fix.cost_usd
    record.tokens += fix.usage.total

    if isinstance(fix, FixFailure) and fix.reason in MODEL_UNAVAILABLE_REASONS and fix.cost_usd == 0:
        attempt_rules.release_attempt(ports.attempts, state, before_claim)
        raise _Deferred(f"no model answered ({fix.reason}); the attempt was not counted")

    if isinstance(fix, FixFailure):
        attempt_rules.finish_attempt(
            ports.attempts,
            state,
            result="failure",
            pr_number=None,
            tier=fix.tier,
            cost_usd=fix.cost_usd,
            pattern_id=None,
            edits=(),
        )
        outcome.update(
            result="failed", reason=fix.reason, detail=fix.detail[:500], costUsd=round(fix.cost_usd, 6)
        )
        if fix.reason in REJECTION_REASONS:
            record.validation_rejected += 1
            for number in group.issue_numbers:
                ports.forge.add_labels(repo, number, [REJECTED_LABEL])
                ports.forge.comment_on_issue(
                    repo, number, render_rejected_comment(fix.reason, fix.detail), REJECTED_MARKER
                )
        return outcome

    if fix.source == "pattern":
        record.pattern_hits += 1
    # Record the fix before any side effect, still pending and without a PR: if the worker dies
    # after the PR exists, the next run finishes this attempt from what is stored here.
    state = attempt_rules.finish_attempt(
        ports.attempts,
        state,
        result="pending",
        pr_number=None,
        tier=fix.tier,
        cost_usd=fix.cost_usd,
        pattern_id=fix.pattern_id,
        edits=fix.edits,
    )
    pr, created = ports.forge.upsert_pr(
        repo,
        fp.id,
        fix.changes,
        render_pr_title(fp, group.report, scrub=scrub),
        render_pr_body(
            fingerprint=fp,
            error=group.report,
            attempt=state,
            fix=fix,
            next_backoff=state.backoff_until or now,
            now=now,
            issue_numbers=group.issue_numbers,
            repo=repo,
            scrub=scrub,
        ),
    )
    _link_pr(repo, group, ports, state, pr, fix)
    if created:
        record.prs_created += 1
    else:
        record.prs_updated += 1
    return {
        **outcome,
        "result": "pr_created" if created else "pr_updated",
        "pr": pr.number,
        "source": fix.source,
        "tier": fix.tier,
        "model": fix.model,
        "patternId": fix.pattern_id,
        "costUsd": round(fix.cost_usd, 6),
    }


def _link_pr(
    repo: RepoConfig, group: _Group, ports: Ports, state: AttemptState, pr: PullRequest, fix: ProposedFix
) -> None:
    """Comment on every issue of the group (edited in place by marker), then record the PR
    number: written last, so an attempt with a PR number has nothing left to do."""
    for number in group.issue_numbers:
        ports.forge.comment_on_issue(
            repo,
            number,
            render_issue_comment(pr, group.fingerprint, fix),
            issue_comment_marker(group.fingerprint.id),
        )
    attempt_rules.finish_attempt(
        ports.attempts,
        state,
        result="pending",
        pr_number=pr.number,
        tier=fix.tier,
        cost_usd=fix.cost_usd,
        pattern_id=fix.pattern_id,
        edits=fix.edits,
    )


def _pr_is_from_attempt(pr: PullRequest, state: AttemptState) -> bool:
    """The open PR was written by this (unfinished) attempt: its state block names the attempt
    number and the attempt had recorded its edits before the PR was written."""
    block = parse_state_block(pr.body) or {}
    return bool(state.edits) and block.get("attempts") == state.attempts


def _finish_recovered(
    repo: RepoConfig,
    group: _Group,
    ports: Ports,
    record: RunRecord,
    outcome: dict,
    state: AttemptState,
    pr: PullRequest,
) -> dict:
    """An attempt died after writing its PR: post the comments and record the PR, nothing more
    (no new attempt, no model call, no second PR)."""
    block = parse_state_block(pr.body) or {}
    fix = ProposedFix(
        edits=state.edits,
        changes=(),
        summary="",
        source="pattern" if state.pattern_id else "ai",
        tier=state.tier or 0,
        model=str(block.get("model") or ""),
        cost_usd=state.cost_usd,
        pattern_id=state.pattern_id,
        lines_changed=_lines_changed(state.edits),
    )
    _link_pr(repo, group, ports, state, pr, fix)
    record.prs_updated += 1
    return {
        **outcome,
        "result": "pr_recovered",
        "pr": pr.number,
        "reason": f"finished attempt {state.attempts} after a crash",
    }


def _lines_changed(edits) -> int:
    """Added + removed lines of search/replace edits (what the issue comment reports)."""
    total = 0
    for edit in edits:
        diff = difflib.ndiff(edit.search.splitlines(), edit.replace.splitlines())
        total += sum(1 for line in diff if line[:2] in ("+ ", "- "))
    return total
