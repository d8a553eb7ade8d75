"""Rate-limit budgeting against the fake GitHub's per-credential limits (GitHub's real shapes)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from homeostat_core.adapters.github_forge import (
    CONTENT_WRITES_PER_MINUTE,
    SECONDS_BETWEEN_WRITES,
    GitHubForge,
    default_retry,
)
from homeostat_core.ports import RateLimitLow
from tests.fakes.fake_github import FakeGitHub
from tests.integration.scale.conftest import repo

TOKEN = "github_pat_fake"
WEB = repo("acme/web")


@pytest.fixture
def fake():
    with FakeGitHub(tokens=[TOKEN]) as github:
        github.add_repo("acme/web", "main", {"src/app.js": "x\n"})
        yield github


def _forge(fake, **kwargs) -> GitHubForge:
    # The production retry settings (max_rate_limit_wait included), with pacing off for speed.
    kwargs.setdefault("retry", default_retry(backoff_factor=0.001, backoff_max=0.01))
    return GitHubForge.from_token(
        TOKEN, fake.base_url, seconds_between_requests=None, seconds_between_writes=None, **kwargs
    )


def test_the_forge_reads_the_budget_from_every_response(fake):
    fake.set_rate_limit(50)
    forge = _forge(fake)
    assert forge.rate_limit() is None  # nothing known before the first response
    forge.read_file(WEB, "src/app.js")
    forge.read_file(WEB, "src/app.js")
    remaining, limit, reset = forge.rate_limit()
    assert (remaining, limit) == (48, 50)
    assert reset > datetime.now(UTC)


def test_a_run_stops_cleanly_below_the_floor_without_spending_the_rest(fake):
    # Given a credential with 50 requests an hour and the default floor (10%: 5 left)
    fake.set_rate_limit(50)
    forge = _forge(fake)
    # When a run keeps reading
    read = 0
    with pytest.raises(RateLimitLow) as stopped:
        for _ in range(100):
            forge.read_file(WEB, "src/app.js")
            read += 1
    # Then it stopped with the floor left, before GitHub refused anything, and says until when
    assert read == 46 and len(fake.calls) == 46
    assert fake.rate_limit_errors() == 0
    assert "GitHub rate limit of token is low (4 of 50 left, floor 10%)" in str(stopped.value)
    assert stopped.value.reset_at is not None and stopped.value.reset_at > datetime.now(UTC)


def test_a_real_rate_limit_403_with_a_far_reset_raises_at_once_instead_of_sleeping(fake):
    # Given GitHub's real primary-limit answer: 403 "API rate limit exceeded", remaining 0, reset
    # in 1,801 s (what made the adapter ask to sleep 1,801 s inside a 900 s function)
    fake.set_rate_limit(5000)
    fake.drain_rate_limit(f"token:{TOKEN}", reset_in_s=1801)
    forge = _forge(fake)
    started = time.monotonic()
    # When the run lists its issues
    with pytest.raises(RateLimitLow) as stopped:
        forge.list_trigger_issues(WEB)
    # Then it gives up at once with the reset time, after one request
    assert time.monotonic() - started < 5
    assert [c.status for c in fake.calls] == [403]
    assert "rate limit of token exceeded" in str(stopped.value)
    wait = (stopped.value.reset_at - datetime.now(UTC)).total_seconds()
    assert 1790 < wait <= 1801


def test_the_fake_answers_a_spent_limit_in_githubs_shape(fake):
    import requests

    fake.set_rate_limit(1)
    headers = {"Authorization": f"token {TOKEN}"}
    assert requests.get(f"{fake.base_url}/repos/acme/web", headers=headers).status_code == 200
    refused = requests.get(f"{fake.base_url}/repos/acme/web", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["message"] == "API rate limit exceeded for user ID 1."
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["x-ratelimit-reset"]) > time.time()
    assert fake.rate_limit_errors() == 1


def test_no_retry_wait_runs_past_the_time_the_run_has_left(fake):
    # Given a secondary rate limit asking to retry after 30 s, and a run with 5 s left
    fake.inject(403, 1, {"Retry-After": "30"})
    forge = _forge(fake, retry=default_retry(backoff_factor=0.001))
    forge.set_time_budget(lambda: 5.0)
    started = time.monotonic()
    with pytest.raises(RateLimitLow, match="wait 30s before retrying; only 5s left"):
        forge.read_file(WEB, "src/app.js")
    assert time.monotonic() - started < 5


def test_content_creating_requests_are_paced_under_80_a_minute():
    assert SECONDS_BETWEEN_WRITES >= 60 / CONTENT_WRITES_PER_MINUTE
    assert CONTENT_WRITES_PER_MINUTE == 80
    # And the forge applies it by default (PyGithub's pacing between writes)
    forge = GitHubForge.from_token(TOKEN, "http://127.0.0.1:9")
    assert forge._gh.requester._Requester__seconds_between_writes == SECONDS_BETWEEN_WRITES


def test_conditional_requests_answered_304_are_free(fake):
    fake.set_rate_limit(50)
    fake.add_issue("acme/web", "TypeError", "body", ["robot"], "bot")
    forge = _forge(fake)
    forge.list_trigger_issues(WEB)
    forge.list_trigger_issues(WEB)  # If-None-Match → 304
    assert [c.status for c in fake.calls] == [200, 304]
    assert forge.rate_limit()[0] == 49
