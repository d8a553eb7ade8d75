"""What the worker does with one queue message: a repo run (continued later in its lane when it
stops early) or a learning job. functions/worker/handler.py parses the SQS record and calls
`run_message`; local mode calls it the same way.

Every message runs against its own invocation's deadline: the forge's retry waits and the model's
call timeouts are bounded by the time that invocation has left, set when the message starts and
cleared when it ends, so nothing carries over into the next invocation of a reused container.
A learning job draws on the same per-installation rate limit as the repo runs: below the floor
it stops and continues after the reset, in its own lane."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from homeostat_core.attempts import to_utc_seconds
from homeostat_core.config import RepoConfig
from homeostat_core.jobs import (
    LearningJob,
    RepoRunJob,
    SteeringJob,
    learning_lane,
    parse_message,
    repo_lane,
    repo_run_message,
)
from homeostat_core.learning import JobOutcome, handle_job
from homeostat_core.observability import (
    UNKNOWN_REPO_METRIC,
    WEBHOOK_REPO_RUN_METRIC,
    emit_count_metric,
    logger,
    run_summary,
)
from homeostat_core.outcomes import Result
from homeostat_core.pipeline import run_repo
from homeostat_core.ports import Deadline, RateLimitLow
from homeostat_core.repos_file import configured_repo
from homeostat_core.steering.steer import steer

# A run stopped by its deadline continues this soon; one stopped by the rate limit, just after the
# reset. A repo run continues at most this many times per scheduled run (the next tick takes over).
CONTINUE_AFTER_DEADLINE = timedelta(minutes=2)
AFTER_RESET = timedelta(seconds=30)
MAX_CONTINUATIONS = 8


class Continuations(Protocol):
    """Delivers a queue message later, in its lane (EventBridge Scheduler in AWS)."""

    def continue_later(self, message: dict[str, Any], *, group_id: str, at: datetime, name: str) -> None: ...


def run_message(
    body: dict[str, Any],
    *,
    ports,
    env: str,
    deadline=None,
    continuations: Continuations | None = None,
    configured: Callable[[str], RepoConfig | None] = configured_repo,
    from_webhook: bool = False,
) -> dict[str, Any]:
    """Run one queue message; returns a JSON-able summary (stored by the worker's idempotency).

    `configured`: the repository's config by slug (the deployment's repos.yml); a message naming
    a repository it does not list is refused: counted, logged, and consumed (never retried).
    `from_webhook`: the queue says the webhook's role sent it; that role sends learning and
    steering jobs only, so a repo run from it is refused the same way."""
    job = parse_message(body)
    deadline = deadline or Deadline.unlimited()
    if isinstance(job, RepoRunJob) and from_webhook:
        emit_count_metric(WEBHOOK_REPO_RUN_METRIC)
        logger.warning("Repo run refused: sent by the webhook's role", extra={"repo": job.slug})
        return {"kind": "repo_run", "repo": job.slug, "refused": "sent by the webhook"}
    repo = configured(job.slug) if isinstance(job, RepoRunJob) else None
    if isinstance(job, RepoRunJob) and repo is None:
        emit_count_metric(UNKNOWN_REPO_METRIC)
        logger.warning("Repo run refused: repository not in repos.yml", extra={"repo": job.slug})
        return {"kind": "repo_run", "repo": job.slug, "refused": "not in repos.yml"}
    with _time_budget(ports, deadline):
        if isinstance(job, RepoRunJob):
            record = run_repo(repo, ports, deadline=deadline, run_id=job.run_id, env=env)
            continued = _continue_if_stopped(job, repo, record, ports, continuations)
            return {
                "kind": "repo_run",
                "repo": record.repo,
                "runId": record.run_id,
                "summary": run_summary(record),
                "deferred": record.deferred_issues,
                "error": record.error,
                "continuesAt": to_utc_seconds(continued) if continued else None,
            }
        if isinstance(job, SteeringJob):
            return _steer(job, ports, env, deadline, configured)
        return _learn(job, body, ports, env, continuations, configured)


def _steer(job: SteeringJob, ports, env: str, deadline: Deadline, configured) -> dict[str, Any]:
    """A person's comment or review; a stop for the rate limit raises, and the queue delivers
    the message again after its visibility timeout (in the same lane)."""
    repo = configured(job.repo)
    if repo is None:
        return {
            "kind": "steering",
            "repo": job.repo,
            "outcome": {"action": "ignored", "why": "repo not configured"},
        }
    outcome = steer(job, ports=ports, repo=repo, env=env, deadline=deadline)
    return {"kind": "steering", "repo": job.repo, "outcome": outcome.to_json()}


@contextmanager
def _time_budget(ports, deadline: Deadline) -> Iterator[None]:
    """The forge's retry waits and the model's calls fit in this invocation's time, and only in
    this invocation (a reused container starts the next one without a stale deadline)."""
    budgeted = [port for port in (ports.forge, ports.llm) if hasattr(port, "set_time_budget")]
    for port in budgeted:
        port.set_time_budget(deadline.time_left)
    try:
        yield
    finally:
        for port in budgeted:
            port.set_time_budget(Deadline.unlimited().time_left)


def _learn(
    job: LearningJob, body: dict[str, Any], ports, env: str, continuations, configured
) -> dict[str, Any]:
    repo = configured(job.repo)
    if repo is None:
        return {
            "kind": "learning",
            "repo": job.repo,
            "outcome": JobOutcome(Result.IGNORED, why="repo not configured").to_json(),
        }
    try:
        outcome = handle_job(job, ports=ports, repo=repo, env=env).to_json()
    except RateLimitLow as low:
        at = _continue_learning_later(job, body, low, ports, continuations)
        if at is None:
            raise  # no continuations here: the queue delivers the message again
        outcome = JobOutcome(Result.DEFERRED, why=str(low)[:300]).to_json() | {
            "continuesAt": to_utc_seconds(at)
        }
    return {"kind": "learning", "repo": job.repo, "outcome": outcome}


def _continue_learning_later(
    job: LearningJob, body: dict[str, Any], low: RateLimitLow, ports, continuations
) -> datetime | None:
    count = body.get("continuation", 0) if isinstance(body.get("continuation"), int) else 0
    if continuations is None or count >= MAX_CONTINUATIONS:
        return None
    now = ports.clock.now()
    at = max(low.reset_at + AFTER_RESET, now + AFTER_RESET) if low.reset_at else now + CONTINUE_AFTER_DEADLINE
    digest = hashlib.sha256(json.dumps(job.to_json(), sort_keys=True).encode()).hexdigest()[:24]
    continuations.continue_later(
        {**body, "continuation": count + 1},
        group_id=learning_lane(job),
        at=at,
        name=f"learn-{digest}-{count + 1}",
    )
    logger.info(
        "Learning job continues after the rate-limit reset",
        extra={"repo": job.repo, "at": to_utc_seconds(at)},
    )
    return at


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
    return f"{run}-{hashlib.sha256(job.slug.encode()).hexdigest()[:16]}-{job.continuation + 1}"


def _continue_if_stopped(
    job: RepoRunJob, repo: RepoConfig, record, ports, continuations: Continuations | None
) -> datetime | None:
    """A run that stopped early (deadline near, rate-limit budget low) continues soon, in its own
    lane: never beside another run of the same repo, never behind the next 6-hour tick."""
    reset = _rate_limit_reset(ports.forge, repo)
    if continuations is None or not (record.stopped_early or reset is not None):
        return None
    if job.continuation >= MAX_CONTINUATIONS:
        logger.warning(
            "Run stopped early again; the next scheduled run takes over", extra={"repo": repo.slug}
        )
        return None
    now = ports.clock.now()
    at = max(reset + AFTER_RESET, now + AFTER_RESET) if reset is not None else now + CONTINUE_AFTER_DEADLINE
    continuations.continue_later(
        repo_run_message(repo, job.run_id, continuation=job.continuation + 1),
        group_id=repo_lane(repo),
        at=at,
        name=continuation_name(job),
    )
    logger.info(
        "Run continues later",
        extra={"repo": repo.slug, "at": to_utc_seconds(at), "why": "rate limit" if reset else "deadline"},
    )
    return at
