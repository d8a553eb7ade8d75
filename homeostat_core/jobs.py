"""Queue messages: what the scheduler and the webhook enqueue and the worker runs.

Two kinds share the FIFO queue. A FIFO message group is a lane: its messages run one at a time,
in order; different lanes run side by side up to the worker's maximum concurrency (infra).
- `repo_run`: one repository's slug, one per repo per scheduled run or wake, in the lane of the
  credential that pays for its API calls (`installation:<id>` for a GitHub App installation,
  `token` for the personal access token), so one rate limit is never spent by two runs at once
  and a repo run that fails delays only its own lane;
- `learning`: a LearningJob from a webhook delivery, in its own per-PR lane
  (`learning:<repo>#<pr>`): never behind repo runs, ordered per PR;
- `steering`: a SteeringJob, a person's comment or review on Homeostat's PR or a linked issue
  (homeostat_core/steering), in the lane of the installation it came from: a new attempt it asks
  for spends that installation's rate limit and the repository's budget like a repo run.

Messages carry identifiers, never config: the worker reads the repository's config from its own
repos.yml and refuses a slug it does not list, so whoever can send to the queue cannot change
what a run may do.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from homeostat_core.config import HomeostatConfig, RepoConfig
from homeostat_core.config_readers import SLUG_RE
from homeostat_core.ports import QueueMessage
from homeostat_core.steering.port import CommentKind

if TYPE_CHECKING:
    from homeostat_core.ports import JobQueue

TOKEN_LANE = "token"
LEARNING_LANE_PREFIX = "learning:"
# SQS caps a MessageGroupId at 128 characters.
MAX_GROUP_ID = 128


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
class SteeringJob:
    """Which comment or review to read back from the forge: nothing in it is trusted (the author,
    the text and the author's permission are read with Homeostat's own credentials)."""

    kind: CommentKind
    repo: str
    number: int  # the issue or PR the comment is on
    comment_id: int
    installation_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> SteeringJob:
        try:
            job = SteeringJob(**data)
        except TypeError as exc:
            raise InvalidJob(f"steering job has unexpected fields: {exc}") from None
        if job.kind not in ("issue_comment", "review", "review_comment"):
            raise InvalidJob(f"unknown steering job kind {job.kind!r}")
        for name in ("number", "comment_id"):
            value = getattr(job, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InvalidJob(f"steering job needs a positive {name}")
        return job


@dataclass(frozen=True, slots=True)
class RepoRunJob:
    run_id: str
    slug: str
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


def steering_lane(job: SteeringJob) -> str:
    """The installation's lane (the token's without one), like that repository's runs."""
    return f"installation:{job.installation_id}" if job.installation_id is not None else TOKEN_LANE


def repo_run_message(repo: RepoConfig, run_id: str, *, continuation: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "repo_run", "runId": run_id, "repo": repo.slug}
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
    """One message per repository, in its credential's lane, sent in batches; returns how many."""
    messages = [
        QueueMessage(repo_run_message(repo, run_id), repo_lane(repo), _dedup_id(run_id, repo.slug))
        for repo in busiest_lanes_first(config.repositories)
    ]
    queue.send_many(messages)
    return len(messages)


def enqueue_learning(job: LearningJob, delivery_id: str, queue: JobQueue) -> None:
    queue.send(
        {"kind": "learning", "job": job.to_json()},
        group_id=learning_lane(job),
        dedup_id=_dedup_id(delivery_id),
    )


def _slug(value: Any) -> str:
    # A message queued before messages carried identifiers only names its repository the old
    # way, inside its config: only the slug is read from it.
    slug = value.get("slug") if isinstance(value, dict) else value
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise InvalidMessage(f"repo_run message names no repository: {str(slug)[:80]!r}")
    return slug


def enqueue_job(job: LearningJob | SteeringJob, delivery_id: str, queue: JobQueue) -> None:
    """A webhook delivery's job, in its lane, once per delivery."""
    if isinstance(job, LearningJob):
        enqueue_learning(job, delivery_id, queue)
        return
    queue.send(
        {"kind": "steering", "job": job.to_json()},
        group_id=steering_lane(job),
        dedup_id=_dedup_id(delivery_id),
    )


def parse_message(body: dict[str, Any]) -> RepoRunJob | LearningJob | SteeringJob:
    if not isinstance(body, dict):
        raise InvalidMessage("message body must be a JSON object")
    kind = body.get("kind")
    if kind == "repo_run":
        try:
            continuation = body.get("continuation", 0)
            if not isinstance(continuation, int) or isinstance(continuation, bool) or continuation < 0:
                raise InvalidMessage(f"repo_run message has a bad continuation {continuation!r}")
            return RepoRunJob(run_id=str(body["runId"]), slug=_slug(body["repo"]), continuation=continuation)
        except KeyError as exc:
            raise InvalidMessage(f"repo_run message is missing {exc}") from None
    if kind == "learning":
        try:
            return LearningJob.from_json(body["job"])
        except (KeyError, InvalidJob) as exc:
            raise InvalidMessage(f"learning message is invalid: {exc}") from None
    if kind == "steering":
        try:
            return SteeringJob.from_json(body["job"])
        except (KeyError, InvalidJob) as exc:
            raise InvalidMessage(f"steering message is invalid: {exc}") from None
    raise InvalidMessage(f"unknown message kind {kind!r}")
