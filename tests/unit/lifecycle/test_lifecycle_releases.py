"""RepoReleases: what a repository released, found with few forge calls, and what a report's
version says about a merged fix (homeostat_core/releases.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from homeostat_core.config import default_config_path, load_config
from homeostat_core.models import ForgeIssue, Release
from homeostat_core.releases import Claim, Decision, ReleaseRule, RepoReleases, regression_rule

REPO = load_config(default_config_path()).repo("littlebearapps/notebridge")


class LineForge:
    """One line of history c0 … c19; a tag per release; counts what the core asks."""

    def __init__(self, tags: dict[str, int], manifest_version: str | None = "1.0.0"):
        self.tags = tags
        self.manifest_version = manifest_version
        self.calls = {"list_releases": 0, "commit_contains": 0, "read_file": 0}

    def list_releases(self, repo):
        self.calls["list_releases"] += 1
        return [Release(name.removeprefix("v"), name, f"c{n}") for name, n in self.tags.items()]

    def commit_contains(self, repo, commit, ancestor):
        self.calls["commit_contains"] += 1
        return int(commit[1:]) >= int(ancestor[1:])

    def read_file(self, repo, path, ref=None):
        self.calls["read_file"] += 1
        if path != "manifest.json" or self.manifest_version is None:
            return None
        return json.dumps({"version": self.manifest_version})


TEN_RELEASES = {f"v1.{n}.0": n * 2 for n in range(10)}  # v1.0.0 at c0 … v1.9.0 at c18


@pytest.mark.parametrize("merged_at,first", [(9, "1.5.0"), (0, "1.0.0"), (17, "1.9.0"), (1, "1.1.0")])
def test_the_first_release_containing_the_merge_takes_a_binary_search(merged_at, first):
    forge = LineForge(TEN_RELEASES)
    releases = RepoReleases(forge, REPO)
    assert releases.first_release_containing(f"c{merged_at}").version == first
    assert forge.calls["list_releases"] == 1 and forge.calls["commit_contains"] <= 1 + 4  # log2(10)
    asked = forge.calls["commit_contains"]
    releases.first_release_containing(f"c{merged_at}")
    assert forge.calls["commit_contains"] == asked and forge.calls["list_releases"] == 1  # kept for the run


def test_an_unreleased_merge_costs_one_containment_question():
    forge = LineForge(TEN_RELEASES)
    assert RepoReleases(forge, REPO).first_release_containing("c19") is None
    assert forge.calls["commit_contains"] == 1


def test_without_a_release_the_fix_ships_in_a_version_bumped_after_the_merge_only():
    assert (
        RepoReleases(LineForge({}, "1.2.1"), REPO).fix_release("c3", "1.2.0").rule is ReleaseRule.VERSION_BUMP
    )
    assert RepoReleases(LineForge({}, "1.2.0"), REPO).fix_release("c3", "1.2.0") is None  # not bumped
    # a bump to a version already released without the merge is not where the fix ships
    assert RepoReleases(LineForge({"v1.2.1": 1}, "1.2.1"), REPO).fix_release("c3", "1.2.0") is None


@pytest.mark.parametrize(
    "version,claim",
    [
        ("1.5.0", Claim.WITH_FIX),  # the release with the fix
        ("1.9.0", Claim.WITH_FIX),
        ("1.4.0", Claim.WITHOUT_FIX),
        ("0.1", Claim.WITHOUT_FIX),
        ("1.5.1", Claim.UNVERIFIED),  # never released
        ("99.0.0", Claim.UNVERIFIED),
        ("2.0.0", Claim.WITH_FIX),  # the default branch's current version
        (None, Claim.NO_VERSION),
        ("banana", Claim.NO_VERSION),
    ],
)
def test_what_a_reports_version_says_about_a_fix_released_in_1_5_0(version, claim):
    releases = RepoReleases(LineForge(TEN_RELEASES, "2.0.0"), REPO)
    fix = releases.fix_release("c9", "1.4.0")
    assert (fix.version, fix.rule) == ("1.5.0", ReleaseRule.TAG)
    assert releases.claim(version, fix, "1.4.0") is claim


def issue(number: int, author: str) -> ForgeIssue:
    return ForgeIssue(number, "t", "b", ("robot",), author)


def test_independent_reporters_differ_in_issue_author_and_install():
    # notebridge's repos.yml trusts its logger (allowed_authors)
    assert regression_rule(REPO, [(issue(1, "cloakpipe-bot"), None)]) is Decision.REGRESSED_TRUSTED_LOGGER
    open_repo = dataclasses.replace(REPO, allowed_authors=())
    one = [(issue(1, "alice"), None), (issue(2, "Alice"), None)]
    assert regression_rule(open_repo, one) is Decision.AWAITING_CORROBORATION
    same_install = [(issue(1, "alice"), "u-1"), (issue(2, "bob"), "u-1")]
    assert regression_rule(open_repo, same_install) is Decision.AWAITING_CORROBORATION
    two = [(issue(1, "alice"), "u-1"), (issue(2, "bob"), "u-2")]
    assert regression_rule(open_repo, two) is Decision.REGRESSED_INDEPENDENT_REPORTS
