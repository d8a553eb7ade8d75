"""Every invocation runs against its own deadline and ends before it, through the worker's
`run_message`: a slow model (the scripted OpenAI-compatible server, through the real `openai`
client) is cut to the time left and the run stops cleanly to continue; the fix loop checks the
deadline between tries; a reused container does not carry an earlier invocation's deadline; a
learning job that meets a low rate limit continues after the reset."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from homeostat_core.adapters.memory_state import MemoryState
from homeostat_core.adapters.openai_llm import OpenAIChatModel, static_key_provider
from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.config import default_config_path, load_config
from homeostat_core.fixing.model_settings import load_model_settings
from homeostat_core.jobs import LearningJob, repo_run_message
from homeostat_core.models import AttemptState
from homeostat_core.ports import Deadline, Ports
from homeostat_core.worker import AFTER_RESET, CONTINUE_AFTER_DEADLINE, run_message
from tests.fakes.fake_github import FakeGitHub
from tests.reliability.harness import ManualClock
from tests.support.github_world import add_notebridge, fast_forge
from tests.unit.lifecycle.world import make_world, storage_fix

SLUG = "littlebearapps/notebridge"
TOKEN = "ghp_deadlines"


class Continuations:
    def __init__(self):
        self.scheduled = []

    def continue_later(self, message, *, group_id, at, name):
        self.scheduled.append((message, group_id, at, name))


def countdown(seconds: float, margin_s: float) -> Deadline:
    """An invocation with `seconds` left from now (like a Lambda's context)."""
    ends = time.monotonic() + seconds
    return Deadline(remaining_s=lambda: ends - time.monotonic(), margin_s=margin_s)


@pytest.fixture
def slow_world(tmp_path, monkeypatch):
    def make(rules):
        server = ScriptedLlmServer({"rules": rules})
        server.__enter__()
        world = make_world(tmp_path)
        world.file_issue()
        model = OpenAIChatModel(
            key_provider=static_key_provider(), timeout_s=120, max_retries=3, min_call_s=0.5
        )
        ports = dataclasses.replace(world.ports, llm=model)
        # the run uses the model settings of HOMEOSTAT_LLM_BASE_URL: every tier at the scripted server
        monkeypatch.setenv("HOMEOSTAT_LLM_BASE_URL", server.base_url)
        made.append(server)
        return world, ports, server

    made: list[ScriptedLlmServer] = []
    yield make
    for server in made:
        server.__exit__(None, None, None)


def test_a_slow_model_is_cut_to_the_time_left_and_the_run_continues_instead_of_being_killed(slow_world):
    # Given a model that answers after 30 s and an invocation with 4 s left (1 s of safety margin)
    world, ports, server = slow_world([{"delay_s": 30, "content": storage_fix(1)}])
    continuations = Continuations()
    started = time.monotonic()
    # When the repo's run message is handled
    result = run_message(
        repo_run_message(world.repo, "run-1"),
        configured={world.repo.slug: world.repo}.get,
        ports=ports,
        env="test",
        deadline=countdown(4.0, margin_s=1.0),
        continuations=continuations,
    )
    # Then the model call got the 3 s left (not its 120 s setting, and no retry), and the run ended
    # before the invocation's end
    elapsed = time.monotonic() - started
    assert 2.5 < elapsed < 4.0
    assert len(server.requests) == 1
    # And it stopped cleanly: the fingerprint deferred, the attempt given back, a continuation soon
    (row,) = world.state.attempts.list(world.repo.slug)
    assert row.attempts == 0
    assert result["deferred"] and result["error"] is None
    ((message, group, at, _),) = continuations.scheduled
    assert message["continuation"] == 1 and group == "token"
    assert at == world.clock.now() + CONTINUE_AFTER_DEADLINE
    (record,) = world.state.runs.list(world.repo.slug)
    assert record.stopped_early
    assert [o["reason"] for o in record.outcomes] == ["deadline: the fix continues in the next run"]


def test_no_model_call_starts_without_the_time_for_it(slow_world):
    world, ports, server = slow_world([{"content": storage_fix(1)}])
    result = run_message(
        repo_run_message(world.repo, "run-2"),
        configured={world.repo.slug: world.repo}.get,
        ports=ports,
        env="test",
        deadline=Deadline(remaining_s=lambda: 1.2, margin_s=1.0),  # 0.2 s left: less than a call needs
        continuations=Continuations(),
    )
    assert server.requests == [] and result["deferred"]
    (row,) = world.state.attempts.list(world.repo.slug)
    assert row.attempts == 0
    (record,) = world.state.runs.list(world.repo.slug)
    assert record.stopped_early and record.outcomes[0]["reason"].startswith("deadline")


def test_the_fix_loop_checks_the_deadline_between_tries(slow_world):
    # Given a model whose first answer does not apply (another try would follow) and an
    # invocation whose time is nearly up once that first answer came back
    bad = json.dumps(
        {"summary": "x", "edits": [{"path": "src/lib/storage.js", "search": "nope", "replace": "x"}]}
    )
    world, ports, server = slow_world([{"content": bad}])
    deadline = Deadline(remaining_s=lambda: 300.0 if not server.requests else 30.0, margin_s=60.0)
    run_message(
        repo_run_message(world.repo, "run-3"),
        configured={world.repo.slug: world.repo}.get,
        ports=ports,
        env="test",
        deadline=deadline,
    )
    # Then no second try was made; the first call's cost is on the record, the attempt not counted
    assert len(server.requests) == 1
    (record,) = world.state.runs.list(world.repo.slug)
    assert record.stopped_early and record.cost_usd > 0
    (row,) = world.state.attempts.list(world.repo.slug)
    assert row.attempts == 0


# --- GitHub: one deadline per invocation, learning jobs under the rate limit ------------------


@pytest.fixture
def github_world():
    with FakeGitHub(tokens=[TOKEN]) as fake:
        add_notebridge(fake)
        forge = fast_forge(fake, TOKEN, total=5, secondary_rate_wait=0.05)
        repo = load_config(default_config_path()).repo(SLUG)
        state = MemoryState()
        ports = Ports(forge, None, state.attempts, state.patterns, state.budgets, state.runs, ManualClock())
        yield fake, repo, ports, state


def _learning_message(state, fake, repo) -> dict:
    number = fake.add_pull(SLUG, "homeostat/fix-0123456789ab", "homeostat-bot", files={"src/x.js": "x"})
    state.attempts.start_attempt(
        AttemptState(repo=SLUG, fingerprint_id="0123456789ab", attempts=1, pr_number=number), 0
    )
    job = LearningJob(kind="pull_request_closed", repo=SLUG, head_sha="a" * 40, pr_number=number)
    return {"kind": "learning", "job": job.to_json()}


def test_a_reused_container_does_not_carry_an_earlier_invocations_deadline(github_world):
    fake, repo, ports, state = github_world
    # Given an invocation that ended with 0.3 s left (a repo run stopped by a secondary limit)
    fake.inject(429, 1, {"Retry-After": "1"}, method="GET", path_contains="/issues")
    result = run_message(
        repo_run_message(repo, "run-4"),
        configured={repo.slug: repo}.get,
        ports=ports,
        env="test",
        deadline=countdown(0.3, 0.0),
    )
    assert result["error"] is None and fake.calls[-1].status == 429
    # When the same container's next invocation (a learning job, its own 900 s) meets the same limit
    message = _learning_message(state, fake, repo)
    fake.inject(429, 1, {"Retry-After": "1"}, method="GET", path_contains="/pulls/")
    started = time.monotonic()
    outcome = run_message(message, ports=ports, env="test", deadline=countdown(900, 60))["outcome"]
    # Then it waited as GitHub asked, within its own time, and went on
    assert time.monotonic() - started >= 0.9
    assert outcome["result"] == "ignored" and outcome["why"].startswith("already settled")  # still open
    assert [c.status for c in fake.calls if "/pulls/" in c.path][-2:] == [429, 200]


def test_a_learning_job_below_the_floor_continues_after_the_reset_in_its_lane(github_world):
    fake, repo, ports, state = github_world
    message = _learning_message(state, fake, repo)
    # Given the installation's budget below the floor (the scheduled run spent it)
    fake.set_rate_limit(100)
    fake.drain_rate_limit(f"token:{TOKEN}", reset_in_s=600, remaining=10)
    ports.forge.read_file(repo, "manifest.json")  # the forge learns: 9 of 100 left, floor 10
    continuations = Continuations()
    calls = len(fake.calls)
    outcome = run_message(message, ports=ports, env="test", continuations=continuations)["outcome"]
    # Then the job spent nothing below the floor and continues just after the reset, in its lane
    assert outcome["result"] == "deferred", outcome
    assert len(fake.calls) == calls
    ((again, group, at, name),) = continuations.scheduled
    assert again == {**message, "continuation": 1}
    assert group.startswith("learning:littlebearapps/notebridge#")
    reset = ports.forge.rate_limit_low()
    assert at == max(reset + AFTER_RESET, ports.clock.now() + AFTER_RESET)
    assert name.startswith("learn-") and len(name) <= 64


def test_the_model_settings_reach_the_scripted_server(slow_world):
    """The fixture's premise: the run's tiers all call the scripted server."""
    world, ports, server = slow_world([{"content": storage_fix(1)}])
    settings = load_model_settings()
    assert {spec.base_url for spec in (settings.cheap, settings.strong)} == {server.base_url}
