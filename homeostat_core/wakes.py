"""Event-driven runs: a new report wakes its repository's lane within minutes, not hours.

An `issues` delivery (opened, reopened, edited, or labelled with the trigger label) of an issue
the run would take in (trigger label, not opted out, author trusted by `allowed_authors`) asks for
a wake. The wake is claimed in the WakeStore with a conditional write on the repository's
`wake#<repo>` item, so of any number of concurrent deliveries exactly one sends a wake message;
the rest are coalesced into it. The message is delayed until the wake is due:
`wake_debounce_seconds` after the first report (a burst of reports within it becomes one run),
and never sooner than `min_minutes_between_runs` after the repository's last event-driven run.

When the delayed message arrives, `fire_wake` releases the claim first (a report heard from then
on asks for the next wake) and then queues one ordinary `repo_run` message in the repository's
FIFO lane: the same lane, budgets and caps as the 6-hour sweep, which stays as the safety net.
Both messages carry identifiers only; the worker reads the repository's config from repos.yml.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeostat_core.attempts import parse_utc_iso, to_utc_iso
from homeostat_core.config import RepoConfig
from homeostat_core.jobs import InvalidJob, repo_lane, repo_run_message
from homeostat_core.observability import logger
from homeostat_core.ports import Clock, JobQueue
from homeostat_core.wake_ports import WakeSender, WakeState, WakeStore

WAKE_KIND = "wake"
ISSUE_ACTIONS = ("opened", "reopened", "edited", "labeled")
WAKE_RUN_PREFIX = "wake-"
# The longest a wake waits past its due time for a burst of reports to end.
MAX_QUIET_WAIT = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class WakeRequest:
    """A delivery that asks for a wake: its repository and why."""

    repo: RepoConfig
    issue: int
    action: str


def issue_wake_request(
    payload: dict[str, Any], configured: Callable[[str], RepoConfig | None]
) -> WakeRequest | str:
    """The wake an `issues` delivery asks for, or why it asks for none (a short reason).

    The same trust rule as intake: the trigger label, not opted out, the author allowed. A label
    added by someone else does not make a stranger's report trusted: the issue's author decides.
    Raises InvalidJob when the fields this needs are missing or mistyped (answered 400).
    """
    action = payload.get("action")
    if action not in ISSUE_ACTIONS:
        return f"action {action!r} does not wake"
    try:
        issue = payload["issue"]
        slug = payload["repository"]["full_name"]
        number = issue["number"]
        author = issue["user"]["login"]
        labels = [label["name"] for label in issue.get("labels") or []]
        added = payload["label"]["name"] if action == "labeled" else None
    except (KeyError, TypeError) as exc:
        raise InvalidJob(f"issues payload is missing {exc}") from None
    if not all(isinstance(v, str) for v in (slug, author, *labels)) or not isinstance(number, int):
        raise InvalidJob("issues payload has mistyped fields")
    if issue.get("pull_request"):
        return "a pull request, not a report"
    if issue.get("state", "open") != "open":
        return "the issue is closed"
    repo = configured(slug)
    if repo is None:
        return "repository not configured"
    lowered = {label.lower() for label in labels}
    if action == "labeled" and (not isinstance(added, str) or added.lower() != repo.trigger_label.lower()):
        return "a label other than the trigger label"
    if repo.trigger_label.lower() not in lowered:
        return "no trigger label"
    if repo.opt_out_label.lower() in lowered:
        return "opted out"
    allowed = {a.lower() for a in repo.allowed_authors}
    if allowed and author.lower() not in allowed:
        return "author not in allowed_authors"
    return WakeRequest(repo=repo, issue=number, action=action)


@dataclass(frozen=True, slots=True)
class WakeDecision:
    queued: bool
    due_at: datetime | None
    why: str

    def message(self, slug: str) -> str:
        if self.queued and self.due_at is not None:
            return f"wake queued for {slug} at {self.due_at:%Y-%m-%d %H:%M:%S} UTC"
        return f"no new wake for {slug}: {self.why}"


def due_time(repo: RepoConfig, now: datetime, last_run_at: datetime | None) -> datetime:
    """Debounced after the first report, and spaced from the last event-driven run."""
    due = now + timedelta(seconds=repo.wake_debounce_seconds)
    if last_run_at is not None:
        due = max(due, last_run_at + timedelta(minutes=repo.min_minutes_between_runs))
    return due


def quiet_time(repo: RepoConfig, due: datetime, state: WakeState | None) -> datetime:
    """When the wake due at `due` may fire: once no report came for `wake_debounce_seconds` (a
    burst that outlasts the debounce stays one run), but never later than MAX_QUIET_WAIT after
    `due` (a steady stream of reports still gets its run)."""
    last = state.last_report_at if state is not None and state.pending and state.due_at == due else None
    if last is None:
        return due
    return min(max(due, last + timedelta(seconds=repo.wake_debounce_seconds)), due + MAX_QUIET_WAIT)


def request_wake(repo: RepoConfig, *, store: WakeStore, sender: WakeSender, clock: Clock) -> WakeDecision:
    """Claim the repository's next wake and send its delayed message; or join the pending one."""
    now = clock.now()
    seen = store.get(repo.slug)
    if seen is not None and seen.pending:
        store.heard(repo.slug, now)
        return WakeDecision(False, seen.due_at, "a wake is already pending (coalesced)")
    due = due_time(repo, now, seen.last_run_at if seen else None)
    if not store.claim(repo.slug, due, seen):
        store.heard(repo.slug, now)
        return WakeDecision(False, None, "another delivery claimed the wake (coalesced)")
    sender.send_wake(wake_message(repo.slug, due), due)
    return WakeDecision(True, due, "claimed")


def wake_message(slug: str, due_at: datetime) -> dict[str, Any]:
    return {"kind": WAKE_KIND, "repo": slug, "dueAt": to_utc_iso(due_at)}


def parse_wake(body: Any) -> tuple[str, datetime]:
    if not isinstance(body, dict) or body.get("kind") != WAKE_KIND:
        raise InvalidJob("not a wake message")
    slug, due = body.get("repo"), body.get("dueAt")
    if not isinstance(slug, str) or not isinstance(due, str):
        raise InvalidJob("wake message needs repo and dueAt")
    try:
        return slug, parse_utc_iso(due)
    except ValueError:
        raise InvalidJob(f"wake message has a bad dueAt {due!r}") from None


def wake_run_id(due_at: datetime) -> str:
    return WAKE_RUN_PREFIX + due_at.strftime("%Y%m%dT%H%M%SZ")


def fire_wake(
    body: Any,
    *,
    store: WakeStore,
    queue: JobQueue,
    sender: WakeSender,
    clock: Clock,
    configured: Callable[[str], RepoConfig | None],
) -> str:
    """A wake message arrived: queue the repository's run in its lane. Returns what happened.

    Early (a queue's delay is capped, SQS: 15 minutes), or reports still arriving (`quiet_time`):
    sent again for the time left. A retried
    message whose claim was already released queues the same run again, which the FIFO queue
    drops as a duplicate (same deduplication id).
    """
    slug, due = parse_wake(body)
    repo = configured(slug)
    if repo is None:
        return f"{slug} is not configured: no run"
    deliver_at = quiet_time(repo, due, store.get(repo.slug))
    if deliver_at > clock.now():
        sender.send_wake(body, deliver_at)
        return f"{slug}: not due yet (reports still arriving), delayed until {to_utc_iso(deliver_at)}"
    if not store.fire(repo.slug, due, clock.now()):
        return f"{slug}: the wake due {to_utc_iso(due)} is no longer claimed: no run"
    run_id = wake_run_id(due)
    queue.send(
        repo_run_message(repo, run_id),
        group_id=repo_lane(repo),
        dedup_id=hashlib.sha256(f"{WAKE_KIND}\x1f{repo.slug}\x1f{run_id}".encode()).hexdigest(),
    )
    return f"{slug}: run {run_id} queued in lane {repo_lane(repo)}"


@dataclass(frozen=True)
class Waker:
    """What the webhook and the waker function need: the claims, the delayed sender, the clock and
    the deployment's repos.yml."""

    store: WakeStore
    sender: WakeSender
    clock: Clock
    configured: Callable[[str], RepoConfig | None]

    def on_issue_event(self, payload: dict[str, Any]) -> str:
        """Answer an `issues` delivery (the webhook's 202 message)."""
        request = issue_wake_request(payload, self.configured)
        if isinstance(request, str):
            return f"ignored issues: {request}"
        decision = request_wake(request.repo, store=self.store, sender=self.sender, clock=self.clock)
        logger.info(
            "Wake requested",
            extra={"repo": request.repo.slug, "issue": request.issue, "queued": decision.queued},
        )
        return decision.message(request.repo.slug)

    def fire(self, body: Any, queue: JobQueue) -> str:
        result = fire_wake(
            body,
            store=self.store,
            queue=queue,
            sender=self.sender,
            clock=self.clock,
            configured=self.configured,
        )
        logger.info("Wake fired", extra={"result": result})
        return result
