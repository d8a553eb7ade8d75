"""Which versions a repository released, and which of them contain a merged fix.

A report's extension version is a claim anyone can type. What Homeostat believes comes from the
repository (docs/SECURITY.md, "What Homeostat trusts"):

- **Released** means a tag (or published GitHub release) named after the version. A merged fix is
  released in the first such release whose commit contains the merge commit (rule `tag`); when
  no release contains it, in the repository's `version_file` on the default branch if that changed
  after the merge (rule `version_bump`: the next build carries the fix).
- A report's version is **evidence** only when the repository released it or it is the default
  branch's current version. A version at or above the fix's that is not evidence is
  **unverified**: neither a regression nor proof of a release.
- A **regression** needs reports from versions with the fix that come from the trusted logger
  (`allowed_authors`) or from two independent reporters (different issues, authors and installs).

One `RepoReleases` per repo run reads the forge lazily, at most once per fact: the release listing,
the default branch's version, each containment answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from homeostat_core.config import RepoConfig
from homeostat_core.models import ErrorReport, ForgeIssue, Release
from homeostat_core.versions import Version, parse_version, version_from_manifest


class ReleaseRule(StrEnum):
    """How the first version with a merged fix was found (recorded as `release_rule`)."""

    TAG = "tag"  # the first tag / published release whose commit contains the merge commit
    VERSION_BUMP = "version_bump"  # no release contains it; version_file changed after the merge


class Claim(StrEnum):
    """What one report's version says about a merged fix."""

    WITH_FIX = "with_fix"  # evidence: a version the repository released (or its current one) with the fix
    WITHOUT_FIX = "without_fix"  # a version older than the fix, or a release that does not contain it
    UNVERIFIED = "unverified"  # not released by the repository: proves nothing
    NO_VERSION = "no_version"


class Decision(StrEnum):
    """The rule that decided what the reports of a merged fix mean (recorded as `decided_by`)."""

    REGRESSED_TRUSTED_LOGGER = "regressed_trusted_logger"
    REGRESSED_INDEPENDENT_REPORTS = "regressed_independent_reports"
    AWAITING_CORROBORATION = "awaiting_corroboration"  # one reporter, not the trusted logger
    FIXED_IN_RELEASE = "fixed_in_release"  # older than the first release that contains the fix
    PENDING_RELEASE = "pending_release"  # no release contains the merge commit yet
    UNVERIFIED_VERSION = "unverified_version"  # the repository has not released that version


@dataclass(frozen=True, slots=True)
class FixRelease:
    """The first version that contains a merged fix, and the rule that found it."""

    version: str
    rule: ReleaseRule

    @property
    def released(self) -> bool:
        """A release of the repository contains the fix (not only its default branch's version)."""
        return self.rule is ReleaseRule.TAG


# What a close records when the repository had released nothing yet: any later release is newer.
NOTHING_RELEASED = "0"
_UNREAD = object()


class RepoReleases:
    """What one repository released, read lazily and kept for the run."""

    def __init__(self, forge, repo: RepoConfig):
        self._forge = forge
        self._repo = repo
        self._releases: list[Release] | None = None
        self._current: object = _UNREAD
        self._contains: dict[tuple[str, str], bool] = {}

    def releases(self) -> list[Release]:
        """Lowest version first (the forge's listing, once)."""
        if self._releases is None:
            self._releases = sorted(self._forge.list_releases(self._repo), key=lambda r: _key(r.version))
        return self._releases

    def current_version(self) -> str | None:
        """The default branch's version_file (else package.json), read once."""
        if self._current is _UNREAD:
            self._current = version_on(self._forge, self._repo, self._repo.branch)
        return self._current  # type: ignore[return-value]

    def is_released(self, version: str | None) -> bool:
        key = parse_version(version)
        return key is not None and any(_key(r.version) == key for r in self.releases())

    def is_release(self, version: str | None) -> bool:
        """Released: a release names it or, in a repository that tags none, it is the default
        branch's version."""
        if self.releases():
            return self.is_released(version)
        key = parse_version(version)
        return key is not None and key == parse_version(self.current_version())

    def is_evidence(self, version: str | None) -> bool:
        """The repository released it, or it is the default branch's current version."""
        key = parse_version(version)
        return key is not None and (self.is_released(version) or key == parse_version(self.current_version()))

    def newest_released(self) -> str | None:
        """The newest release; in a repository that tags none, its default branch's version."""
        releases = self.releases()
        return releases[-1].version if releases else self.current_version()

    def floor_for_close(self) -> str:
        """What a close records (`closed_at_version`): only a later release re-opens the work."""
        return self.newest_released() or NOTHING_RELEASED

    def contains(self, commit: str, ancestor: str) -> bool:
        if (commit, ancestor) not in self._contains:
            self._contains[(commit, ancestor)] = self._forge.commit_contains(self._repo, commit, ancestor)
        return self._contains[(commit, ancestor)]

    def first_release_containing(self, merge_sha: str) -> Release | None:
        """The lowest release whose commit contains `merge_sha`: the newest is asked first (one
        call while nothing contains it), then a binary search (releases in version order along
        the default branch's history)."""
        releases = self.releases()
        if not releases or not self.contains(releases[-1].sha, merge_sha):
            return None
        low, high = 0, len(releases) - 1
        while low < high:
            middle = (low + high) // 2
            if self.contains(releases[middle].sha, merge_sha):
                high = middle
            else:
                low = middle + 1
        return releases[high]

    def fix_release(self, merge_sha: str | None, version_at_merge: str | None) -> FixRelease | None:
        """The first version with the fix merged at `merge_sha`, or None while none has it."""
        release = self.first_release_containing(merge_sha) if merge_sha else None
        if release is not None:
            return FixRelease(release.version, ReleaseRule.TAG)
        current = self.current_version()
        bumped = parse_version(current) is not None and parse_version(version_at_merge) is not None
        if bumped and parse_version(current) > parse_version(version_at_merge):
            # the version set after the merge, unless it is a release that does not contain it
            return None if self.is_released(current) else FixRelease(current, ReleaseRule.VERSION_BUMP)
        return None

    def claim(self, version: str | None, fix: FixRelease | None, version_at_merge: str | None) -> Claim:
        """What a report from `version` says about the fix."""
        key = parse_version(version)
        if key is None:
            return Claim.NO_VERSION
        if fix is not None:
            if key < _key(fix.version):
                return Claim.WITHOUT_FIX
            return Claim.WITH_FIX if self.is_evidence(version) else Claim.UNVERIFIED
        if self.is_released(version):  # released, and no release contains the merge commit
            return Claim.WITHOUT_FIX
        merged = parse_version(version_at_merge)
        if merged is not None and key < merged:  # older than the code the fix was merged into
            return Claim.WITHOUT_FIX
        return Claim.UNVERIFIED


def version_on(forge, repo: RepoConfig, ref: str) -> str | None:
    """The extension's version at `ref`: repos.yml version_file, else package.json."""
    for path in dict.fromkeys((repo.version_file, "package.json")):
        version = version_from_manifest(forge.read_file(repo, path, ref=ref))
        if version is not None:
            return version
    return None


# Per-install extension ids: Firefox and Safari give each install its own UUID (Chrome's id is
# the extension's, the same for every install, so it says nothing about independence).
_INSTALL_ID = re.compile(r"(?:moz|safari-web)-extension://([0-9a-fA-F-]{36})")


def install_of(report: ErrorReport) -> str | None:
    found = _INSTALL_ID.search(report.stack or "")
    return found.group(1).lower() if found else None


# The browser a report came from, by its extension URLs' scheme (every browser names its own).
_BROWSER_SCHEMES = (
    ("chrome-extension://", "Chrome"),
    ("moz-extension://", "Firefox"),
    ("safari-web-extension://", "Safari"),
    ("ms-browser-extension://", "Edge"),
)


def browser_of(report: ErrorReport) -> str | None:
    text = report.stack or ""
    for scheme, browser in _BROWSER_SCHEMES:
        if scheme in text:
            return browser
    return None


def regression_rule(repo: RepoConfig, reports: Sequence[tuple[ForgeIssue, str | None]]) -> Decision:
    """Whether `reports` (issue, install) from versions with the fix make a regression, and by
    which rule: the trusted logger, two independent reporters, or not yet."""
    trusted = {author.lower() for author in repo.allowed_authors}
    if trusted and any(issue.author.lower() in trusted for issue, _ in reports):
        return Decision.REGRESSED_TRUSTED_LOGGER
    if any(_independent(a, b) for a, b in _pairs(reports)):
        return Decision.REGRESSED_INDEPENDENT_REPORTS
    return Decision.AWAITING_CORROBORATION


def _independent(a: tuple[ForgeIssue, str | None], b: tuple[ForgeIssue, str | None]) -> bool:
    (first, first_install), (second, second_install) = a, b
    if first.number == second.number or first.author.lower() == second.author.lower():
        return False
    return first_install is None or second_install is None or first_install != second_install


def _pairs(items: Sequence) -> Iterable[tuple]:
    return ((a, b) for i, a in enumerate(items) for b in items[i + 1 :])


def _key(version: str) -> Version:
    key = parse_version(version)
    if key is None:  # releases are built from versions only (ports.releases_from)
        raise ValueError(f"not a version: {version!r}")
    return key
