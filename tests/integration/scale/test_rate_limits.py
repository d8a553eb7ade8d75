"""GitHub's limits as GitHub answers them (docs: "Rate limits for the REST API", "Exceeding the
rate limit"; "Rate limits and node limits for the GraphQL API"), against the fake GitHub's
per-credential limits: every refusal shape handled one way on every request path.

- primary: 403 or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` → a clean stop at
  once (RateLimitLow) with the reset, on direct requests and PyGithub paths alike;
- secondary: 403/429 with the secondary message, with or without `retry-after`, and a 429 without
  either → wait `retry-after` or at least a minute (shrunk here), then retry; past the time left →
  RateLimitLow at the time GitHub asked for, never the hourly reset;
- transient 502: retried with backoff, never a rate limit;
- REST (`core`) and GraphQL budgets apart (`x-ratelimit-resource`); GraphQL errors carry their text.
"""

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
from homeostat_core.adapters.github_limits import classify
from homeostat_core.models import FileChange
from homeostat_core.ports import ForgeError, RateLimitLow
from tests.fakes.fake_github import SECONDARY_RATE_LIMIT_MESSAGE, FakeGitHub
from tests.integration.scale.conftest import repo

TOKEN = "github_pat_fake"
CREDENTIAL = f"token:{TOKEN}"
WEB = repo("acme/web")
SECONDARY_WAIT = 0.2  # "at least a minute", shrunk for the tests


@pytest.fixture
def fake():
    with FakeGitHub(tokens=[TOKEN]) as github:
        github.add_repo("acme/web", "main", {"src/app.js": "x\n"})
        yield github


def _forge(fake, **kwargs) -> GitHubForge:
    # The production retry policy, with the waits shrunk and pacing off for speed.
    kwargs.setdefault(
        "retry", default_retry(backoff_factor=0.001, backoff_max=0.01, secondary_rate_wait=SECONDARY_WAIT)
    )
    return GitHubForge.from_token(
        TOKEN, fake.base_url, seconds_between_requests=None, seconds_between_writes=None, **kwargs
    )


def _spend(forge: GitHubForge, n: int) -> None:
    """n requests GitHub charges (a missing file: a fresh 404 each time)."""
    for i in range(n):
        assert forge.read_file(WEB, f"src/missing-{time.monotonic_ns()}-{i}.js") is None


def _draft_pr(fake, forge):
    pr, _ = forge.upsert_pr(WEB, "f00d", [FileChange("src/app.js", "y\n")], "fix", "body")
    return pr


# --- the budget, per resource ----------------------------------------------------------------


def test_the_forge_reads_each_resource_budget_from_every_response(fake):
    fake.set_rate_limit(50)
    forge = _forge(fake)
    assert forge.rate_limit() is None  # nothing known before the first response
    _spend(forge, 2)
    remaining, limit, reset = forge.rate_limit("core")
    assert (remaining, limit) == (48, 50)
    assert reset > datetime.now(UTC)
    # A GraphQL mutation spends the GraphQL budget only
    forge.mark_ready(WEB, _draft_pr(fake, forge).number)
    assert forge.rate_limit("graphql")[:2] == (49, 50)
    assert forge.rate_limit("core")[0] < 48


def test_a_run_stops_cleanly_below_the_floor_without_spending_the_rest(fake):
    # Given a credential with 50 requests an hour and the default floor (10%: 5 left)
    fake.set_rate_limit(50)
    forge = _forge(fake)
    # When a run keeps reading
    with pytest.raises(RateLimitLow) as stopped:
        _spend(forge, 100)
    # Then it stopped with the floor left, before GitHub refused anything, and says until when
    assert len(fake.calls) == 46
    assert fake.rate_limit_errors() == 0
    assert "GitHub core rate limit of token is low (4 of 50 left, floor 10%)" in str(stopped.value)
    assert stopped.value.reset_at is not None and stopped.value.reset_at > datetime.now(UTC)


def test_a_low_graphql_budget_stops_only_graphql_calls(fake):
    # Given the GraphQL budget nearly spent while REST has nearly all of its own
    fake.set_rate_limit(5000)
    forge = _forge(fake)
    pr = _draft_pr(fake, forge)
    fake.drain_rate_limit(CREDENTIAL, reset_in_s=900, remaining=300, resource="graphql")
    forge.mark_ready(WEB, pr.number)  # the answer says: 299 of 5,000 GraphQL points left
    # When the run goes on: REST calls are not stopped by the GraphQL budget
    assert forge.read_file(WEB, "src/app.js") == "x\n"
    assert forge.get_pr(WEB, pr.number).number == pr.number
    assert forge.rate_limit("core")[0] > 4900
    # And the next GraphQL call stops before it is sent, naming its budget
    calls = len(fake.calls)
    with pytest.raises(RateLimitLow, match="GitHub graphql rate limit of token is low"):
        forge._t.graphql("mark ready", "markPullRequestReadyForReview", {"pullRequestId": "PR_1"}, "x")
    assert len(fake.calls) == calls
    # The continuation is scheduled at the GraphQL reset
    assert 880 < (forge.rate_limit_low() - datetime.now(UTC)).total_seconds() <= 900


def test_a_spent_graphql_budget_answered_with_200_and_rate_limited_stops_cleanly(fake):
    # GitHub answers GraphQL with HTTP 200, errors [{type: RATE_LIMITED}] and remaining 0
    fake.set_rate_limit(5000)
    forge = _forge(fake)
    pr = _draft_pr(fake, forge)
    fake.drain_rate_limit(CREDENTIAL, reset_in_s=1200, remaining=0, resource="graphql")
    with pytest.raises(RateLimitLow, match="graphql rate limit is spent") as stopped:
        forge.mark_ready(WEB, pr.number)
    assert 1190 < (stopped.value.reset_at - datetime.now(UTC)).total_seconds() <= 1200
    assert fake.pull("acme/web", pr.number)["draft"] is True


def test_graphql_errors_carry_githubs_message(fake):
    forge = _forge(fake)
    with pytest.raises(ForgeError) as failed:
        forge._t.graphql("mark ready", "markPullRequestReadyForReview", {"pullRequestId": "PR_404"}, "x")
    assert "GraphQL error: Could not resolve to a node with the global id of 'PR_404'" in str(failed.value)
    assert "HTTP 400" not in str(failed.value)


# --- primary limits on every request path ----------------------------------------------------


def _read_pr(forge, fake):
    forge.get_pr(WEB, 1)


def _create_branch_and_open_pr(forge, fake):
    forge.upsert_pr(WEB, "beef", [FileChange("src/app.js", "z\n")], "fix", "body")


def _comment(forge, fake):
    forge.comment_on_issue(WEB, 1, "hello", "<!-- m -->")


def _list_issues(forge, fake):
    forge.list_trigger_issues(WEB)


@pytest.mark.parametrize("status", [403, 429])
@pytest.mark.parametrize("path", [_list_issues, _read_pr, _create_branch_and_open_pr, _comment])
def test_a_spent_primary_limit_stops_at_once_with_the_reset_on_every_path(fake, status, path):
    # Given GitHub's primary-limit answer: 403 or 429, remaining 0, reset in 1,801 s (longer than
    # a 900 s function may run)
    fake.set_rate_limit(5000, primary_status=status)
    fake.add_issue("acme/web", "TypeError", "body", ["robot"], "bot")
    fake.drain_rate_limit(CREDENTIAL, reset_in_s=1801)
    forge = _forge(fake)
    started = time.monotonic()
    # When any request is refused
    with pytest.raises(RateLimitLow) as stopped:
        path(forge, fake)
    # Then the run stops at once, after that one request, to continue at the reset
    assert time.monotonic() - started < 5
    assert [c.status for c in fake.calls] == [status]
    assert "core rate limit is spent" in str(stopped.value) and "as token" in str(stopped.value)
    assert 1790 < (stopped.value.reset_at - datetime.now(UTC)).total_seconds() <= 1801
    # And nothing else is sent until the reset
    with pytest.raises(RateLimitLow):
        forge.read_file(WEB, "src/app.js")
    assert len(fake.calls) == 1


@pytest.mark.parametrize("status", [403, 429])
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/git/refs"), ("POST", "/pulls"), ("PATCH", "/issues/comments/")]
)
def test_a_primary_limit_on_a_write_in_the_middle_of_a_fix_stops_cleanly(fake, status, method, path):
    # Given the limit spent just when the fix writes (create branch, open PR, edit a comment)
    forge = _forge(fake)
    number = fake.add_issue("acme/web", "TypeError", "body", ["robot"], "bot")
    forge.comment_on_issue(WEB, number, "first", "<!-- m -->")
    reset = int(time.time()) + 1200
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    message = "API rate limit exceeded for user ID 1."
    fake.inject(status, 1, spent, message=message, method=method, path_contains=path)
    # When the fix is published
    with pytest.raises(RateLimitLow) as stopped:
        _draft_pr(fake, forge)
        forge.comment_on_issue(WEB, number, "second", "<!-- m -->")
    # Then it stops at the refused write, not retried, with the reset to continue at
    assert [c.status for c in fake.calls].count(status) == 1
    assert fake.calls[-1].method == method and fake.calls[-1].status == status
    assert stopped.value.reset_at == datetime.fromtimestamp(reset, UTC)


def test_the_fake_answers_a_spent_limit_in_githubs_shape(fake):
    import requests

    fake.set_rate_limit(1)
    headers = {"Authorization": f"token {TOKEN}"}
    assert requests.get(f"{fake.base_url}/repos/acme/web", headers=headers).status_code == 200
    refused = requests.get(f"{fake.base_url}/repos/acme/web", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["message"] == "API rate limit exceeded for user ID 1."
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-resource"] == "core"
    assert int(refused.headers["x-ratelimit-reset"]) > time.time()
    assert fake.rate_limit_errors() == 1


# --- secondary limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (403, {}, SECONDARY_RATE_LIMIT_MESSAGE),
        (429, {}, SECONDARY_RATE_LIMIT_MESSAGE),
        (429, {}, "Too Many Requests"),  # a 429 without retry-after and without the message
    ],
    ids=["403-message", "429-message", "429-bare"],
)
def test_a_secondary_limit_without_retry_after_waits_at_least_the_minute_not_the_hourly_reset(
    fake, status, headers, message
):
    # Given a secondary limit (its response carries the hourly reset, 1 h away, and requests left)
    fake.inject(status, 1, headers, message=message, method="GET", path_contains="/contents/")
    forge = _forge(fake)
    started = time.monotonic()
    # When a file is read
    assert forge.read_file(WEB, "src/app.js") == "x\n"
    # Then it waited the secondary wait (not the backoff of a 5xx, not the hourly reset), once
    waited = time.monotonic() - started
    assert SECONDARY_WAIT <= waited < 5
    assert [c.status for c in fake.calls] == [status, 200]
    assert forge.api_calls == 2


def test_a_repeated_secondary_limit_waits_longer_each_time(fake):
    fake.inject(403, 2, message=SECONDARY_RATE_LIMIT_MESSAGE, method="POST", path_contains="/git/trees")
    forge = _forge(fake)
    started = time.monotonic()
    _draft_pr(fake, forge)
    # a minute, then two (shrunk): 0.2 + 0.4
    assert 3 * SECONDARY_WAIT <= time.monotonic() - started < 5
    assert [c.status for c in fake.calls if "/git/trees" in c.path] == [403, 403, 201]


def test_a_secondary_limit_honours_retry_after(fake):
    fake.inject(429, 1, {"Retry-After": "1"}, method="GET", path_contains="/issues")
    forge = _forge(fake)
    started = time.monotonic()
    assert forge.list_trigger_issues(WEB) == []
    assert time.monotonic() - started >= 0.9  # waited as told, not the shrunk secondary wait
    assert [c.status for c in fake.calls] == [429, 200]


@pytest.mark.parametrize("headers", [{"Retry-After": "30"}, {}], ids=["retry-after", "no-retry-after"])
def test_no_secondary_wait_runs_past_the_time_the_run_has_left(fake, headers):
    # Given a secondary limit asking to wait 30 s (or the minute), and a run with 0.1 s left
    fake.inject(403, 1, headers, message=SECONDARY_RATE_LIMIT_MESSAGE)
    forge = _forge(fake, retry=default_retry(backoff_factor=0.001, secondary_rate_wait=60))
    forge.set_time_budget(lambda: 0.1)
    started = time.monotonic()
    with pytest.raises(RateLimitLow, match="secondary rate limit .* asks to wait") as stopped:
        forge.read_file(WEB, "src/app.js")
    # Then it stops at once and continues when GitHub said, not at the hourly reset
    assert time.monotonic() - started < 5
    wait = 30 if headers else 60
    assert wait - 5 < (stopped.value.reset_at - datetime.now(UTC)).total_seconds() <= wait
    assert len(fake.calls) == 1
    # And nothing more is sent before that time; the continuation is scheduled for it
    with pytest.raises(RateLimitLow, match="secondary rate limit asked token to wait"):
        forge.list_trigger_issues(WEB)
    assert len(fake.calls) == 1
    assert forge.rate_limit_low() == stopped.value.reset_at


def test_a_pause_that_ends_within_the_time_left_is_waited_out(fake):
    fake.inject(403, 1, {"Retry-After": "1"}, message=SECONDARY_RATE_LIMIT_MESSAGE)
    forge = _forge(fake)
    forge.set_time_budget(lambda: 0.5)
    with pytest.raises(RateLimitLow):  # 1 s asked, 0.5 s left: this invocation stops
        forge.read_file(WEB, "src/app.js")
    forge.set_time_budget(lambda: 60.0)  # the next invocation has the time: it waits, then sends
    assert forge.read_file(WEB, "src/app.js") == "x\n"
    assert [c.status for c in fake.calls] == [403, 200]


# --- transient errors ------------------------------------------------------------------------


def test_a_transient_502_is_retried_with_backoff_and_never_a_rate_limit(fake):
    fake.inject(502, 2, message="Server Error", method="GET", path_contains="/contents/")
    forge = _forge(fake)
    assert forge.read_file(WEB, "src/app.js") == "x\n"
    assert [c.status for c in fake.calls] == [502, 502, 200]
    assert forge.rate_limit_low() is None


def test_a_502_with_no_time_left_to_retry_is_an_error_not_a_rate_limit_stop(fake):
    fake.inject(502, 3, message="Server Error", method="GET", path_contains="/contents/")
    forge = _forge(fake, retry=default_retry(backoff_factor=5.0))
    forge.set_time_budget(lambda: 1.0)
    with pytest.raises(ForgeError) as failed:
        forge.read_file(WEB, "src/app.js")
    assert not isinstance(failed.value, RateLimitLow)
    assert "GitHub answered 502; a retry needs" in str(failed.value)


def test_a_lasting_502_is_an_error_naming_it(fake):
    fake.inject(502, 50, message="Server Error")
    forge = _forge(fake)
    with pytest.raises(ForgeError, match="kept failing after retries .*502") as failed:
        forge.list_trigger_issues(WEB)
    assert not isinstance(failed.value, RateLimitLow)


# --- the classifier on GitHub's documented answers ------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "message", "kind", "wait"),
    [
        (
            403,
            {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"},
            "API rate limit exceeded for user ID 1.",
            "primary",
            None,
        ),
        (429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"}, "", "primary", None),
        (
            403,
            {"retry-after": "45", "x-ratelimit-remaining": "4000"},
            SECONDARY_RATE_LIMIT_MESSAGE,
            "secondary",
            45.0,
        ),
        (403, {"x-ratelimit-remaining": "4000"}, SECONDARY_RATE_LIMIT_MESSAGE, "secondary", None),
        (429, {"x-ratelimit-remaining": "4000"}, "Too Many Requests", "secondary", None),
        (502, {}, "", "transient", None),
        (503, {"retry-after": "3"}, "", "transient", 3.0),
    ],
)
def test_classify_reads_githubs_documented_refusals(status, headers, message, kind, wait):
    refusal = classify(status, headers, message)
    assert (refusal.kind, refusal.wait_s) == (kind, wait)
    if kind == "primary":
        assert refusal.reset_at == datetime.fromtimestamp(1700000000, UTC)


@pytest.mark.parametrize(
    ("status", "message"),
    [(403, "Resource not accessible by integration"), (404, "Not Found"), (422, "Validation Failed")],
)
def test_classify_leaves_githubs_other_answers_alone(status, message):
    assert classify(status, {"x-ratelimit-remaining": "4000"}, message) is None


# --- pacing and conditional requests ---------------------------------------------------------


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
    assert forge.read_file(WEB, "src/app.js") == forge.read_file(WEB, "src/app.js") == "x\n"
    assert [c.status for c in fake.calls] == [200, 304, 200, 304]
    assert forge.rate_limit()[0] == 48
