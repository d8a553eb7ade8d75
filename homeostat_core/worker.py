"""What the worker does with one queue message: a repo run (continued later in its lane when it
stops early) or a learning job. functions/worker/handler.py parses the SQS record and calls
`run_message`; local mode calls it the same way."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any, Protocol

from homeostat_core.config import RepoConfig, default_config_path, load_config
from homeostat_core.jobs import RepoRunJob, parse_message, repo_lane, repo_run_message
from homeostat_core.learning import JobOutcome, handle_job
from homeostat_core.observability import logger, run_summary
from homeostat_core.outcomes import Result
from homeostat_core.pipeline import run_repo
from homeostat_core.settings import get_settings

# A run stopped by its deadline continues this soon; one stopped by the rate limit, just after the
# reset. A repo run continues at most this many times per scheduled run (the next tick takes over).
CONTINUE_AFTER_DEADLINE = timedelta(minutes=2)
AFTER_RESET = timedelta(seconds=30)
MAX_CONTINUATIONS = 8


class Continuations(Protocol):
    """Delivers a queue message later, in its lane (EventBridge Scheduler in AWS)."""

    def continue_later(self, message: dict[str, Any], *, group_id: str, at: datetime, name: str) -> None: ...


def run_message(
    body: dict[str, Any], *, ports, env: str, deadline=None, continuations: Continuations | None = None
) -> dict[str, Any]:
    """Run one queue message; returns a JSON-able summary (stored by the worker's idempotency)."""
    job = parse_message(body)
    if isinstance(job, RepoRunJob):
        set_time_budget = getattr(ports.forge, "set_time_budget", None)
        if deadline is not None and set_time_budget is not None:
            # No GitHub retry wait may run into the deadline's safety margin.
            set_time_budget(lambda: deadline.remaining_s() - deadline.margin_s)
        record = run_repo(job.repo, ports, deadline=deadline, run_id=job.run_id, env=env)
        continued = _continue_if_stopped(job, record, ports, continuations)
        return {
            "kind": "repo_run",
            "repo": record.repo,
            "runId": record.run_id,
            "summary": run_summary(record),
            "deferred": record.deferred_issues,
            "error": record.error,
            "continuesAt": continued.isoformat() if continued else None,
        }
    repo = _configured_repo(job.repo)
    if repo is None:
        return {
            "kind": "learning",
            "repo": job.repo,
            "outcome": JobOutcome(Result.IGNORED, why="repo not configured").to_json(),
        }
    outcome = handle_job(job, ports=ports, repo=repo, env=env)
    return {"kind": "learning", "repo": job.repo, "outcome": outcome.to_json()}


def _configured_repo(slug: str) -> RepoConfig | None:
    """The repository's config from the bundled repos.yml: learning acts only on configured repos."""
    config = load_config(get_settings().repos_file or default_config_path())
    for repo in config.repositories:
        if repo.slug.lower() == slug.lower():
            return repo
    return None


def _rate_limit_reset(forge, repo: RepoConfig) -> datetime | None:
    """When the repo's credential's budget is below its floor: its reset time (GitHub forges only)."""
    low = getattr(forge, "rate_limit_low", None)
    if low is None:
        return None
    try:
        return low(repo)
    except TypeError:  # a single-credential forge
        return low()


def continuation_name(job: RepoRunJob) -> str:
    """A schedule name unique per run, repo and continuation (64 characters of [0-9A-Za-z-_.])."""
    run = re.sub(r"[^0-9A-Za-z_.-]", "-", job.run_id)[:36]
    return f"{run}-{hashlib.sha256(job.repo.slug.encode()).hexdigest()[:16]}-{job.continuation + 1}"


def _continue_if_stopped(
    job: RepoRunJob, record, ports, continuations: Continuations | None
) -> datetime | None:
    """A run that stopped early (deadline near, rate-limit budget low) continues soon, in its own
    lane: never beside another run of the same repo, never behind the next 6-hour tick."""
    reset = _rate_limit_reset(ports.forge, job.repo)
    if continuations is None or not (record.stopped_early or reset is not None):
        return None
    if job.continuation >= MAX_CONTINUATIONS:
        logger.warning(
            "Run stopped early again; the next scheduled run takes over", extra={"repo": job.repo.slug}
        )
        return None
    now = ports.clock.now()
    at = max(reset + AFTER_RESET, now + AFTER_RESET) if reset is not None else now + CONTINUE_AFTER_DEADLINE
    continuations.continue_later(
        repo_run_message(job.repo, job.run_id, continuation=job.continuation + 1),
        group_id=repo_lane(job.repo),
        at=at,
        name=continuation_name(job),
    )
    logger.info(
        "Run continues later",
        extra={"repo": job.repo.slug, "at": at.isoformat(), "why": "rate limit" if reset else "deadline"},
    )
    return at
