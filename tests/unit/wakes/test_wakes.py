"""Event-driven runs: a report wakes its repository's lane, once per burst, only when trusted."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.adapters.memory_wakes import ListWakeSender, MemoryWakeStore
from homeostat_core.config import ConfigError, parse_config
from homeostat_core.jobs import parse_message
from homeostat_core.wakes import Waker, wake_message
from homeostat_core.webhook import receive_delivery, sign

SECRET = "wake-secret"
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
CONFIG = parse_config(
    {
        "version": 1,
        "repositories": [
            {
                "slug": f"acme/{name}",
                "branch": "main",
                "max_prs_per_run": 2,
                "labels": [],
                "path_filters": {"include": ["src/"]},
                "allowed_authors": ["logger-bot"],
                "installation_id": 7,
            }
            for name in ("web", "api", "cli")
        ],
    }
)
REPOS = {repo.slug.lower(): repo for repo in CONFIG.repositories}


class Clock:
    def __init__(self, now: datetime):
        self.moment = now

    def now(self) -> datetime:
        return self.moment


class ListQueue:
    def __init__(self):
        self.sent: list[tuple[dict, str, str]] = []

    def send(self, body, *, group_id, dedup_id):
        if dedup_id not in {d for _, _, d in self.sent}:  # FIFO deduplication
            self.sent.append((body, group_id, dedup_id))


def issue_event(
    slug: str, number: int, *, action="opened", author="logger-bot", labels=("robot",), added=None
):
    payload = {
        "action": action,
        "issue": {
            "number": number,
            "state": "open",
            "user": {"login": author},
            "labels": [{"name": name} for name in labels],
        },
        "repository": {"full_name": slug},
    }
    if added is not None:
        payload["label"] = {"name": added}
    return payload


def deliver(payload: dict, waker: Waker, *, secret: str = SECRET) -> tuple[int, str]:
    body = json.dumps(payload).encode()
    headers = {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": "d",
        "x-hub-signature-256": sign(secret, body),
    }
    response = receive_delivery(headers, body, secret=SECRET, queue=ListQueue(), wakes=waker)
    return response.status, response.message


@pytest.fixture
def world():
    clock = Clock(START)
    return Waker(
        store=MemoryWakeStore(),
        sender=ListWakeSender(),
        clock=clock,
        configured=lambda s: REPOS.get(s.lower()),
    )


def test_a_flood_of_1000_reports_in_a_minute_queues_one_run_per_repository_and_loses_none(world, tmp_path):
    # Given three configured repositories whose logger files 1,000 reports within one minute
    forge = LocalForge(tmp_path)
    for repo in CONFIG.repositories:
        for folder in ("issues", "pulls", "comments", "checks"):
            (tmp_path / repo.owner / repo.name / folder).mkdir(parents=True)
    rng = random.Random(24)
    filed: dict[str, set[int]] = {repo.slug: set() for repo in CONFIG.repositories}
    for second in sorted(rng.uniform(0, 60) for _ in range(1000)):
        repo = rng.choice(CONFIG.repositories)
        world.clock.moment = START + timedelta(seconds=second)
        number = forge.add_issue(repo, "TypeError", "stack", ["robot"], "logger-bot")
        filed[repo.slug].add(number)
        # When each report's `issues` webhook arrives
        status, _ = deliver(issue_event(repo.slug, number), world)
        assert status == 202
    # Then one wake per repository was sent, due two minutes after its first report
    assert sorted(body["repo"] for body, _ in world.sender.sent) == sorted(filed)
    assert all(due - START <= timedelta(seconds=120 + 1) for _, due in world.sender.sent)
    # And when the wakes are due, one run per repository is queued in the installation's lane
    world.clock.moment = START + timedelta(minutes=3)
    queue = ListQueue()
    for body in world.sender.due(world.clock.now()):
        world.fire(body, queue)
        world.fire(body, queue)  # a redelivered wake message queues nothing more
    runs = [parse_message(body) for body, _, _ in queue.sent]
    assert sorted(run.slug for run in runs) == sorted(filed)
    assert {group for _, group, _ in queue.sent} == {"installation:7"}
    # And no report is lost: every one was filed before its run, and the run's intake lists it
    for repo in CONFIG.repositories:
        listed = {issue.number for issue in forge.list_trigger_issues(repo)}
        assert listed == filed[repo.slug] and len(listed) > 250
    assert sum(len(numbers) for numbers in filed.values()) == 1000


def test_reports_after_a_run_wait_for_min_minutes_between_runs(world):
    repo = REPOS["acme/web"]
    deliver(issue_event(repo.slug, 1), world)
    ((body, due),) = world.sender.sent
    world.clock.moment = due
    world.fire(world.sender.due(due)[0], ListQueue())
    # A report one minute after the run starts a wake due 10 minutes after that run, not 2
    world.clock.moment = due + timedelta(minutes=1)
    deliver(issue_event(repo.slug, 2), world)
    ((_, second),) = world.sender.sent
    assert second == due + timedelta(minutes=10)
    # A report an hour after that run is debounced only
    world.clock.moment = second
    world.fire(world.sender.due(second)[0], ListQueue())
    world.clock.moment = second + timedelta(hours=1)
    deliver(issue_event(repo.slug, 3), world)
    assert world.sender.sent[-1][1] == world.clock.moment + timedelta(seconds=120)


@pytest.mark.parametrize(
    "payload, why",
    [
        (issue_event("acme/web", 1, author="stranger"), "author not in allowed_authors"),
        (issue_event("acme/web", 1, labels=()), "no trigger label"),
        (issue_event("acme/web", 1, labels=("robot", "Do-Not-Fix")), "opted out"),
        (issue_event("acme/web", 1, action="labeled", added="bug", labels=("robot", "bug")), "other than"),
        (issue_event("acme/web", 1, action="closed"), "does not wake"),
        (issue_event("evil/repo", 1), "not configured"),
    ],
)
def test_a_strangers_or_an_untrusted_issue_event_wakes_nothing(world, payload, why):
    status, message = deliver(payload, world)
    assert status == 202 and why in message
    assert world.sender.sent == [] and world.store.get("acme/web") is None


def test_the_trigger_label_added_to_a_trusted_report_wakes_the_lane(world):
    status, message = deliver(issue_event("acme/web", 4, action="labeled", added="Robot"), world)
    assert status == 202 and message.startswith("wake queued for acme/web")


def test_a_forged_issue_event_is_refused_and_wakes_nothing(world):
    status, _ = deliver(issue_event("acme/web", 1), world, secret="not-the-secret")
    assert status == 401
    assert world.sender.sent == [] and world.store.get("acme/web") is None


def test_a_malformed_issue_event_is_a_400(world):
    status, message = deliver({"action": "opened", "repository": {"full_name": "acme/web"}}, world)
    assert status == 400 and "issue" in message


def test_a_wake_that_arrives_early_is_delayed_again_and_a_stale_one_runs_nothing(world):
    repo = REPOS["acme/api"]
    deliver(issue_event(repo.slug, 1), world)
    ((body, due),) = world.sender.sent
    queue = ListQueue()
    assert "not due yet" in world.fire(body, queue) and queue.sent == []
    world.clock.moment = due
    stale = wake_message(repo.slug, due - timedelta(minutes=5))
    assert "no longer claimed" in world.fire(stale, queue) and queue.sent == []


@pytest.mark.parametrize(
    "key, value",
    [("wake_debounce_seconds", -1), ("wake_debounce_seconds", 3601), ("min_minutes_between_runs", 1.5)],
)
def test_wake_keys_out_of_range_are_named_errors(key, value):
    raw = {
        "slug": "a/b",
        "branch": "main",
        "max_prs_per_run": 1,
        "labels": [],
        "path_filters": {"include": ["src/"]},
    }
    with pytest.raises(ConfigError) as caught:
        parse_config({"version": 1, "repositories": [{**raw, key: value}]}, "repos.yml")
    assert caught.value.problems[0].startswith(f"repos.yml: repositories[0].{key}: must be")


def test_a_burst_longer_than_the_debounce_is_still_one_run_after_it_goes_quiet(world):
    # Given 50 trusted reports over five minutes (longer than the 2-minute debounce)
    repo = REPOS["acme/cli"]
    for i in range(50):
        world.clock.moment = START + timedelta(seconds=6 * i)
        deliver(issue_event(repo.slug, i + 1), world)
    last = world.clock.moment
    queue = ListQueue()
    # When the wake arrives at its first due time, it waits for the reports to go quiet
    ((body, due),) = world.sender.sent
    world.sender.sent.clear()
    assert due == START + timedelta(seconds=120)
    world.clock.moment = due
    assert "reports still arriving" in world.fire(body, queue) and queue.sent == []
    ((again, quiet),) = world.sender.sent
    assert quiet == last + timedelta(seconds=120)
    # Then it fires once, two minutes after the last report: one run for the whole burst
    world.clock.moment = quiet
    world.fire(again, queue)
    assert [b["repo"] for b, _, _ in queue.sent] == [repo.slug]


def test_a_steady_stream_of_reports_still_gets_its_run_within_ten_minutes_of_the_due_time(world):
    repo = REPOS["acme/cli"]
    deliver(issue_event(repo.slug, 1), world)
    ((body, due),) = world.sender.sent
    world.sender.sent.clear()
    # a report every 30 seconds for an hour: never quiet
    world.clock.moment = START + timedelta(hours=1)
    world.store.heard(repo.slug, world.clock.moment)
    world.clock.moment = due
    world.fire(body, ListQueue())
    ((_, capped),) = world.sender.sent
    assert capped == due + timedelta(minutes=10)
