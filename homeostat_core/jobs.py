"""Queue messages: what the scheduler and the webhook enqueue and the worker runs.

Two kinds share the FIFO queue, in two message groups so learning never waits behind repo runs:
- `repo_run` (group "homeostat"): one repository's config, one per repo per scheduled run;
- `learning` (group "learning"): a LearningJob from a webhook delivery.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeostat_core.config import ConfigError, HomeostatConfig, RepoConfig, repo_from_json

if TYPE_CHECKING:  # learning (and the pattern library) load with the first learning job, not the scheduler
    from homeostat_core.learning import LearningJob
    from homeostat_core.ports import JobQueue

REPO_RUN_GROUP = "homeostat"
LEARNING_GROUP = "learning"


class InvalidMessage(ValueError):
    """A queue message that no retry can fix (it goes to the DLQ with this reason)."""


@dataclass(frozen=True, slots=True)
class RepoRunJob:
    run_id: str
    repo: RepoConfig


def _dedup_id(*parts: str) -> str:
    # SQS caps deduplication ids at 128 characters of a limited alphabet: hash the parts.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def schedule_runs(config: HomeostatConfig, run_id: str, queue: JobQueue) -> int:
    """One message per repository; returns how many were sent."""
    for repo in config.repositories:
        queue.send(
            {"kind": "repo_run", "runId": run_id, "repo": repo.to_json()},
            group_id=REPO_RUN_GROUP,
            dedup_id=_dedup_id(run_id, repo.slug),
        )
    return len(config.repositories)


def enqueue_learning(job: LearningJob, delivery_id: str, queue: JobQueue) -> None:
    queue.send(
        {"kind": "learning", "job": job.to_json()}, group_id=LEARNING_GROUP, dedup_id=_dedup_id(delivery_id)
    )


def parse_message(body: dict[str, Any]) -> RepoRunJob | LearningJob:
    if not isinstance(body, dict):
        raise InvalidMessage("message body must be a JSON object")
    kind = body.get("kind")
    if kind == "repo_run":
        try:
            return RepoRunJob(run_id=str(body["runId"]), repo=repo_from_json(body["repo"], "queue message"))
        except KeyError as exc:
            raise InvalidMessage(f"repo_run message is missing {exc}") from None
        except ConfigError as exc:
            raise InvalidMessage(f"repo_run message has a bad repo config: {exc}") from None
    if kind == "learning":
        from homeostat_core.learning import InvalidJob, LearningJob

        try:
            return LearningJob.from_json(body["job"])
        except (KeyError, InvalidJob) as exc:
            raise InvalidMessage(f"learning message is invalid: {exc}") from None
    raise InvalidMessage(f"unknown message kind {kind!r}")


def run_message(body: dict[str, Any], *, ports, env: str, deadline=None) -> dict[str, Any]:
    """Run one queue message; returns a JSON-able summary (stored by the worker's idempotency)."""
    from homeostat_core.learning import handle_job
    from homeostat_core.observability import run_summary
    from homeostat_core.pipeline import run_repo

    job = parse_message(body)
    if isinstance(job, RepoRunJob):
        record = run_repo(job.repo, ports, deadline=deadline, run_id=job.run_id, env=env)
        return {
            "kind": "repo_run",
            "repo": record.repo,
            "runId": record.run_id,
            "summary": run_summary(record),
            "deferred": record.deferred_issues,
            "error": record.error,
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
