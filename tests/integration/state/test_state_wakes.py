"""Wake claims on DynamoDB (moto over HTTP): concurrent deliveries make exactly one wake."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import boto3

from homeostat_core.adapters.dynamo_wakes import DynamoWakeStore
from homeostat_core.adapters.memory_wakes import ListWakeSender
from homeostat_core.config import parse_config
from homeostat_core.wakes import request_wake
from tests.integration.state.test_state_races import run_in_threads

NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
REPO = parse_config(
    {
        "version": 1,
        "repositories": [
            {
                "slug": "acme/ext",
                "branch": "main",
                "max_prs_per_run": 1,
                "labels": [],
                "path_filters": {"include": ["src/"]},
            }
        ],
    }
).repositories[0]


class Clock:
    def __init__(self, now):
        self.moment = now

    def now(self):
        return self.moment


class ReadThenWait:
    """Every delivery reads the claim before any of them writes: the race is forced."""

    def __init__(self, store, workers: int):
        self._store = store
        self._barrier = threading.Barrier(workers, timeout=10)

    def get(self, repo):
        state = self._store.get(repo)
        self._barrier.wait()
        return state

    def __getattr__(self, name):
        return getattr(self._store, name)


def store_for(settings) -> DynamoWakeStore:
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name=settings.region
    )
    return DynamoWakeStore(
        settings.runs_table, session=session, region=settings.region, endpoint_url=settings.endpoint_url
    )


def test_twenty_concurrent_deliveries_make_one_wake(server_settings):
    store, sender, clock = store_for(server_settings), ListWakeSender(), Clock(NOW)
    racing = ReadThenWait(store, 20)
    decisions = run_in_threads(20, lambda i: request_wake(REPO, store=racing, sender=sender, clock=clock))
    assert sum(d.queued for d in decisions) == 1, decisions
    assert len(sender.sent) == 1
    ((body, due),) = sender.sent
    assert due == NOW + timedelta(seconds=120) and store.get(REPO.slug).pending
    # a report joining the pending wake is remembered, and only the latest one
    store.heard(REPO.slug, NOW + timedelta(seconds=30))
    store.heard(REPO.slug, NOW + timedelta(seconds=10))
    assert store.get(REPO.slug).last_report_at == NOW + timedelta(seconds=30)
    # fired once; a retried wake message still counts as fired; a stale one does not
    later = due + timedelta(seconds=1)
    assert store.fire(REPO.slug, due, later) and store.fire(REPO.slug, due, later)
    assert not store.fire(REPO.slug, due - timedelta(minutes=1), later)
    state = store.get(REPO.slug)
    assert not state.pending and state.last_run_at == later
    store.heard(REPO.slug, later)  # no wake pending: nothing to join
    assert store.get(REPO.slug).last_report_at == NOW + timedelta(seconds=30)
    # the next burst races again after the run: again one wake, spaced from the last run
    clock.moment = later
    racing = ReadThenWait(store, 20)
    decisions = run_in_threads(20, lambda i: request_wake(REPO, store=racing, sender=sender, clock=clock))
    assert sum(d.queued for d in decisions) == 1
    assert sender.sent[-1][1] == later + timedelta(minutes=10)
