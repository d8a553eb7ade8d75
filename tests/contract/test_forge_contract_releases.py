"""What the repository released, and whether one commit contains another: both forges alike
(issue 20: a version is released when the repository says so, never because a report says so)."""

from __future__ import annotations

import pytest

from homeostat_core.models import Release
from homeostat_core.ports import ForgeError, releases_from
from tests.contract.conftest import SLUG, Harness


def tag(h: Harness, name: str, sha: str | None = None) -> str:
    """A lightweight tag `name` on `sha` (default: the base branch's head); returns the commit."""
    if h.kind == "github":
        return h.fake.add_tag(SLUG, name, sha)
    sha = sha or h.branch_sha(h.repo.branch)
    h.forge._git(h.repo, "tag", name, sha)
    return sha


def test_tags_named_after_versions_are_the_releases_with_their_commits(forge_harness: Harness):
    h = forge_harness
    first = tag(h, "v1.2.0")
    h.push_to_base({"src/app.js": "export const run = () => 1;\n"})
    second = tag(h, "1.3.0")
    tag(h, "nightly")  # not a version: not a release
    tag(h, "notebridge-2.0.0")  # another product's tag: not this extension's version
    calls = h.forge.api_calls

    releases = h.forge.list_releases(h.repo)

    assert releases == [Release("1.2.0", "v1.2.0", first), Release("1.3.0", "1.3.0", second)]
    assert h.forge.api_calls > calls


def test_an_annotated_tag_is_released_at_the_commit_it_points_at(tmp_path):
    from tests.contract.conftest import _local_harness

    h = next(_local_harness(tmp_path))
    head = h.branch_sha(h.repo.branch)
    h.forge._git(h.repo, "tag", "--annotate", "v2.0.0", "-m", "Release 2.0.0")
    assert h.forge.list_releases(h.repo) == [Release("2.0.0", "v2.0.0", head)]


def test_a_release_title_names_the_version_when_its_tag_does_not_and_drafts_never_count(github_harness):
    h, fake = github_harness, github_harness.fake
    fake.add_release(SLUG, "release-2024-11", name="v1.4.0")
    fake.add_release(SLUG, "v9.9.9", draft=True)  # a draft: no tag, not released
    fake.add_release(SLUG, "v1.5.0-beta.1", prerelease=True)
    head = h.branch_sha("main")
    assert h.forge.list_releases(h.repo) == [
        Release("1.4.0", "release-2024-11", head),
        Release("1.5.0-beta.1", "v1.5.0-beta.1", head),
    ]


def test_every_page_of_tags_is_read(github_harness):
    h, fake = github_harness, github_harness.fake
    for n in range(130):
        fake.add_tag(SLUG, f"v1.{n}.0")
    assert len(h.forge.list_releases(h.repo)) == 130
    assert fake.count("GET", "/tags") == 2


def test_commit_contains_follows_history_not_names(forge_harness: Harness):
    h = forge_harness
    old = h.branch_sha(h.repo.branch)
    h.push_to_base({"src/app.js": "export const run = () => 2;\n"})
    new = h.branch_sha(h.repo.branch)
    side = h.commit_as("feature/side", "octocat", {"src/app.js": "export const run = () => 3;\n"})

    assert h.forge.commit_contains(h.repo, new, old) is True
    assert h.forge.commit_contains(h.repo, new, new) is True
    assert h.forge.commit_contains(h.repo, old, new) is False  # behind
    assert h.forge.commit_contains(h.repo, side, new) is True  # branched from the new head
    h.push_to_base({"README.md": "# moved on\n"})
    assert h.forge.commit_contains(h.repo, side, h.branch_sha(h.repo.branch)) is False  # diverged


def test_commit_contains_refuses_a_commit_the_repository_does_not_have(forge_harness: Harness):
    h = forge_harness
    with pytest.raises(ForgeError):
        h.forge.commit_contains(h.repo, "0" * 40, h.branch_sha(h.repo.branch))


def test_opted_out_issues_are_listed_only_when_asked_for(forge_harness: Harness):
    h = forge_harness
    plain = h.add_issue("TypeError", "stack", ["robot"], "logger-bot")
    opted = h.add_issue("TypeError", "stack", ["robot", "Do-Not-Fix"], "logger-bot")
    h.add_issue("TypeError", "stack", ["robot", "do-not-fix"], "stranger")  # still not an allowed author

    assert [i.number for i in h.forge.list_trigger_issues(h.repo)] == [plain]
    listed = h.forge.list_trigger_issues(h.repo, include_opted_out=True)
    assert sorted(i.number for i in listed) == [plain, opted]
    assert "Do-Not-Fix" in next(i for i in listed if i.number == opted).labels


def test_releases_from_keeps_one_release_per_version_and_sorts_by_version():
    releases = releases_from({"v1.10.0": "c", "1.9.0": "b", "v1.9.0": "a", "v2.0.0-rc.1": "d"})
    assert [(r.version, r.tag) for r in releases] == [
        ("1.9.0", "1.9.0"),
        ("1.10.0", "v1.10.0"),
        ("2.0.0-rc.1", "v2.0.0-rc.1"),
    ]
