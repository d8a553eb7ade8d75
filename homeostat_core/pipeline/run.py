"""The run loop: list the trigger issues, group them, reconcile, then one handler per fingerprint."""

from __future__ import annotations

import time
import uuid

from homeostat_core.config import RepoConfig
from homeostat_core.lifecycle import POLICY, Policy
from homeostat_core.models import (
    RunRecord,
)
from homeostat_core.observability import RUN_RECORD_MESSAGE, emit_run_metrics, logger, run_summary
from homeostat_core.outcomes import (
    Deferral,
    FingerprintOutcome,
    tally,
)
from homeostat_core.pipeline.context import (
    RunContext,
    deferred,
)
from homeostat_core.pipeline.dispatch import process_fingerprint
from homeostat_core.pipeline.intake import parse_and_group
from homeostat_core.pipeline.reconcile import reconcile
from homeostat_core.ports import Deadline, PortError, Ports, RateLimitLow
from homeostat_core.settings import get_settings


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
        # opted-out issues too: a person's opt-out applies to the whole fingerprint
        issues = ports.forge.list_trigger_issues(repo, include_opted_out=True)
        record.issues_seen = len(issues)
        groups = parse_and_group(ctx, issues, outcomes, record)
        work = [g for g in groups if g.issues]
        record.issues_processed = sum(len(g.issues) for g in work) + len(outcomes)
        outcomes.extend(reconcile(ctx, groups))
        for index, group in enumerate(work):
            if ctx.deadline.near() or ctx.out_of_time:
                record.stopped_early = True
                outcomes.extend(deferred(g, Deferral.DEADLINE, "deadline") for g in work[index:])
                logger.warning("Deadline near, leaving work for the next run")
                break
            try:
                outcomes.append(process_fingerprint(ctx, group))
            except RateLimitLow as low:
                # the credential's budget is for every repo in its lane: stop cleanly, continue later
                record.stopped_early = True
                outcomes.extend(deferred(g, Deferral.RATE_LIMIT, f"rate limit: {low}") for g in work[index:])
                logger.warning("GitHub rate limit low, leaving work for the continuation")
                break
        record.stopped_early = record.stopped_early or ctx.out_of_time  # a fix stopped for time
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
        logger.info(RUN_RECORD_MESSAGE, extra={"summary": run_summary(record)})
        logger.remove_keys(["run_id", "repo"])
    return record


def _env() -> str:
    return get_settings().env
