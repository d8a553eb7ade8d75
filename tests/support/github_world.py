"""The example notebridge repository on the fake GitHub, and a GitHub adapter on it without pacing
(fast retries), for tests that run Homeostat over GitHub's real REST shapes."""

from __future__ import annotations

import dataclasses

from homeostat_core.adapters.github_forge import GitHubForge, default_retry
from homeostat_core.adapters.memory_state import MemoryState
from homeostat_core.config import RepoConfig, default_config_path, load_config
from homeostat_core.ports import Ports
from tests.fakes.fake_github import FakeGitHub
from tests.reliability.harness import EXAMPLES, ManualClock
from tests.unit.fixing.fakes import FakeChatModel
from tests.unit.lifecycle.world import storage_fix

NOTEBRIDGE = "littlebearapps/notebridge"


def add_notebridge(fake: FakeGitHub) -> None:
    root = EXAMPLES / "repos" / "notebridge"
    files = {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}
    fake.add_repo(NOTEBRIDGE, "main", files)


def fast_forge(fake: FakeGitHub, token: str, **retry) -> GitHubForge:
    """The production retry policy with millisecond waits (`retry` overrides), pacing off."""
    return GitHubForge.from_token(
        token,
        fake.base_url,
        retry=default_retry(**{"total": 2, "backoff_factor": 0.001, "backoff_max": 0.01, **retry}),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def notebridge_ports(
    fake: FakeGitHub, token: str, **repo_overrides
) -> tuple[RepoConfig, Ports, MemoryState, FakeChatModel]:
    """notebridge's config (a budget large enough for any test), in-memory state, a manual clock
    and a model double answering the storage fix, over the fake GitHub."""
    repo = dataclasses.replace(
        load_config(default_config_path()).repo(NOTEBRIDGE), daily_budget_usd=50.0, **repo_overrides
    )
    state = MemoryState()
    model = FakeChatModel(lambda model, messages: storage_fix(1))
    forge = fast_forge(fake, token)
    ports = Ports(forge, model, state.attempts, state.patterns, state.budgets, state.runs, ManualClock())
    return repo, ports, state, model
