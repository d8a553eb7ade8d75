"""Queue messages: what the scheduler and the webhook enqueue and the worker runs.

Two kinds share the FIFO queue. A FIFO message group is a lane: its messages run one at a time,
in order; different lanes run side by side up to the worker's maximum concurrency (infra).
- `repo_run`: one repository's config, one per repo per scheduled run, in the lane of the
  credential that pays for its API calls (`installation:<id>` for a GitHub App installation,
  `token` for the personal access token), so one rate limit is never spent by two runs at once
  and a repo run that fails delays only its own lane;
- `learning`: a LearningJob from a webhook delivery, in its own per-PR lane
  (`learning:<repo>#<pr>`): never behind repo runs, ordered per PR.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol

from homeostat_core.config import ConfigError, HomeostatConfig, RepoConfig, repo_from_json
from homeostat_core.observability import logger

if TYPE_CHECKING:
    from homeostat_core.ports import JobQueue

TOKEN_LANE = "token"
LEARNING_LANE_PREFIX = "learning:"
# SQS caps a MessageGroupId at 128 characters.
MAX_GROUP_ID = 128
# A run stopped by its deadline continues this soon; one stopped by the rate limit, just after the
# reset. A repo run continues at most this many times per scheduled run (the next tick takes over).
CONTINUE_AFTER_DEADLINE = timedelta(minutes=2)
AFTER_RESET = timedelta(seconds=30)
MAX_CONTINUATIONS = 8


class Continuations(Protocol):
    """Delivers a queue message later, in its lane (EventBridge Scheduler in AWS)."""

    def continue_later(self, message: dict[str, Any], *, group_id: str, at: datetime, name: str) -> None: ...


class InvalidMessage(ValueError):
    """A queue message that no retry can fix (it goes to the DLQ with this reason)."""


JobKind = Literal["pull_request_closed", "ci_completed"]


class InvalidJob(ValueError):
    """A learning job that lacks what learning needs."""


@dataclass(frozen=True, slots=True)
class LearningJob:
    """What a webhook delivery claims; handle_job verifies it before anything changes."""

    kind: JobKind
    repo: str
    head_sha: str
    pr_number: int | None = None
    head_repo: str = ""
    author: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> LearningJob:
        try:
            job = LearningJob(**data)
        except TypeError as exc:
            raise InvalidJob(f"learning job has unexpected fields: {exc}") from None
        if job.kind not in ("pull_request_closed", "ci_completed"):
            raise InvalidJob(f"unknown learning job kind {job.kind!r}")
        if job.kind == "pull_request_closed" and not isinstance(job.pr_number, int):
            raise InvalidJob("pull_request_closed job needs pr_number")
        if not isinstance(job.head_sha, str) or not job.head_sha:
            raise InvalidJob("learning job needs head_sha")
        return job


@dataclass(frozen=True, slots=True)
class RepoRunJob:
    run_id: str
    repo: RepoConfig
    continuation: int = 0  # 0: the scheduled run; n: its n-th continuation


def _dedup_id(*parts: str) -> str:
    # SQS caps deduplication ids at 128 characters of a limited alphabet: hash the parts.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _group_id(lane: str) -> str:
    return lane if len(lane) <= MAX_GROUP_ID else lane[:60] + "~" + hashlib.sha256(lane.encode()).hexdigest()


def repo_lane(repo: RepoConfig) -> str:
    """The message group of a repo's runs: the credential whose rate limit its calls spend."""
    if repo.installation_id is not None:
        return f"installation:{repo.installation_id}"
    return TOKEN_LANE


def learning_lane(job: LearningJob) -> str:
    """Learning jobs never wait behind repo runs and stay ordered per PR (CI jobs: per commit)."""
    return _group_id(f"{LEARNING_LANE_PREFIX}{job.repo}#{job.pr_number or job.head_sha}")


def repo_run_message(repo: RepoConfig, run_id: str, *, continuation: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "repo_run", "runId": run_id, "repo": repo.to_json()}
    if continuation:
        body["continuation"] = continuation
    return body


def busiest_lanes_first(repos: tuple[RepoConfig, ...]) -> list[RepoConfig]:
    """Repos ordered so the lanes with the most runs are queued first (repos.yml order within a lane).

    FIFO hands out the oldest message whose lane is free, so the longest lanes start first and the
    short ones fill in around them (longest-processing-time-first): the cycle ends close to
    max(busiest lane, total work / concurrency) instead of waiting on a long lane started last."""
    sizes: dict[str, int] = {}
    for repo in repos:
        sizes[repo_lane(repo)] = sizes.get(repo_lane(repo), 0) + 1
    first_seen = {lane: i for i, lane in reversed(list(enumerate(repo_lane(r) for r in repos)))}
    return sorted(repos, key=lambda r: (-sizes[repo_lane(r)], first_seen[repo_lane(r)]))


def schedule_runs(config: HomeostatConfig, run_id: str, queue: JobQueue) -> int:
    """One message per repository, in its credential's lane; returns how many were sent."""
    for repo in busiest_lanes_first(config.repositories):
        queue.send(
            repo_run_message(repo, run_id),
            group_id=repo_lane(repo),
            dedup_id=_dedup_id(run_id, repo.slug),
        )
    return len(config.repositories)


def enqueue_learning(job: LearningJob, delivery_id: str, queue: JobQueue) -> None:
    queue.send(
        {"kind": "learning", "job": job.to_json()},
        group_id=learning_lane(job),
        dedup_id=_dedup_id(delivery_id),
    )


def parse_message(body: dict[str, Any]) -> RepoRunJob | LearningJob:
    if not isinstance(body, dict):
        raise InvalidMessage("message body must be a JSON object")
    kind = body.get("kind")
    if kind == "repo_run":
        try:
            continuation = body.get("continuation", 0)
            if not isinstance(continuation, int) or isinstance(continuation, bool) or continuation < 0:
                raise InvalidMessage(f"repo_run message has a bad continuation {continuation!r}")
            return RepoRunJob(
                run_id=str(body["runId"]),
                repo=repo_from_json(body["repo"], "queue message"),
                continuation=continuation,
            )
        except KeyError as exc:
            raise InvalidMessage(f"repo_run message is missing {exc}") from None
        except ConfigError as exc:
            raise InvalidMessage(f"repo_run message has a bad repo config: {exc}") from None
    if kind == "learning":
        try:
            return LearningJob.from_json(body["job"])
        except (KeyError, InvalidJob) as exc:
            raise InvalidMessage(f"learning message is invalid: {exc}") from None
    raise InvalidMessage(f"unknown message kind {kind!r}")


def run_message(
    body: dict[str, Any], *, ports, env: str, deadline=None, continuations: Continuations | None = None
) -> dict[str, Any]:
    """Run one queue message; returns a JSON-able summary (stored by the worker's idempotency)."""
    from homeostat_core.learning import handle_job
    from homeostat_core.observability import run_summary
    from homeostat_core.pipeline import run_repo

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
            "outcome": {"result": "ignored", "why": "repo not configured"},
        }
    outcome = handle_job(job, ports=ports, repo=repo, env=env)
    return {"kind": "learning", "repo": job.repo, "outcome": outcome}


def _configured_repo(slug: str) -> RepoConfig | None:
    """The repository's config from the bundled repos.yml: learning acts only on configured repos."""
    from homeostat_core.config import default_config_path, load_config
    from homeostat_core.settings import get_settings

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
