"""The example notebridge repository on the fake GitHub, and a GitHub adapter on it without pacing
(fast retries), for tests that run Homeostat over GitHub's real REST shapes."""

from __future__ import annotations

from homeostat_core.adapters.github_forge import GitHubForge, default_retry
from tests.fakes.fake_github import FakeGitHub
from tests.reliability.harness import EXAMPLES

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
