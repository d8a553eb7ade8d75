"""The repository tree through the GitHub adapter (fake GitHub, real REST shapes): one recursive
Git Trees call per run, folder listings only when GitHub truncates it, symlinks never read."""

from __future__ import annotations

import dataclasses

import pytest

from homeostat_core.adapters.github_forge import GitHubForge, default_retry
from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.sourcing.sources import RepoSources
from tests.fakes.fake_github import FakeGitHub

TOKEN = "ghp_sourcing_test_token_0123456789"
SLUG = "acme/clipper"
FILES = {
    "README.md": "# clipper\n",
    "docs/a.md": "a",
    "docs/b.md": "b",
    "extension/manifest.json": '{"manifest_version": 3}',
    "extension/js/popup.js": "function render() {\n  return 1;\n}\n",
    "website/js/popup.js": "landing page",
}
REPO = RepoConfig(
    slug=SLUG, branch="main", max_prs_per_run=1, labels=(), path_filters=PathFilters(include=(".",))
)


@pytest.fixture
def github():
    fake = FakeGitHub(tokens=[TOKEN])
    url = fake.start()
    fake.add_repo(SLUG, "main", FILES)
    retry = default_retry(total=2, backoff_factor=0.001, backoff_max=0.01, secondary_rate_wait=0.01)
    forge = GitHubForge.from_token(
        TOKEN, url, retry=retry, seconds_between_requests=None, seconds_between_writes=None
    )
    yield fake, forge
    fake.stop()


def _tree_calls(fake: FakeGitHub) -> list[str]:
    return [
        f"{c.path}?{'recursive' if c.query.get('recursive') else ''}"
        for c in fake.calls
        if "/git/trees/" in c.path
    ]


def test_one_recursive_tree_call_resolves_every_frame_of_a_run(github):
    fake, forge = github
    sources = RepoSources(forge, REPO)
    for served in ("js/popup.js", "js/popup.js", "js/gone.js"):
        sources.resolver("chrome").resolve(served)
    assert sources.resolver("chrome").resolve("js/popup.js").path == "extension/js/popup.js"
    assert len(_tree_calls(fake)) == 1 and _tree_calls(fake)[0].endswith("?recursive")
    assert sources.read("extension/js/popup.js").startswith("function render")


def test_a_truncated_tree_lists_only_the_folders_towards_the_candidates(github):
    # Given GitHub truncates the recursive listing after 3 entries
    fake, forge = github
    fake.tree_entry_limit = 3
    sources = RepoSources(forge, dataclasses.replace(REPO, source_roots=(("all", "extension"),)))

    # When a frame's path is resolved
    match = sources.resolver("chrome").resolve("js/popup.js")

    # Then the file is found by listing the root, extension/ and extension/js/ one level each
    assert match.path == "extension/js/popup.js"
    calls = _tree_calls(fake)
    assert calls[0].endswith("?recursive") and len(calls) == 4
    assert not any(c.endswith("?recursive") for c in calls[1:])
    assert "website" not in " ".join(calls) and sources.tree.folder_listings == 3


def test_a_symlink_out_of_the_repository_is_listed_and_never_read(github):
    fake, forge = github
    fake.add_symlink(SLUG, "extension/js/secrets.js", "../../../../etc/passwd")
    sources = RepoSources(forge, REPO)
    assert "extension/js/secrets.js" in sources.tree.links
    before = len(fake.calls)
    assert sources.read("extension/js/secrets.js") is None
    assert len(fake.calls) == before


def test_a_truncated_tree_finds_a_manifest_one_folder_down_by_listing_the_top_folders(github):
    fake, forge = github
    fake.tree_entry_limit = 3
    sources = RepoSources(forge, REPO)
    match = sources.resolver("chrome").resolve("js/popup.js")
    assert (match.path, match.rule, match.root) == ("extension/js/popup.js", "manifest_root", "extension")
    # the recursive call, the root, its three folders, then extension/js: nothing deeper
    assert len(_tree_calls(fake)) == 6
