"""Extension roots: the repository folders a browser serves as the extension's root.

In order: repos.yml `source_roots` (the trace's browser first), then every folder holding a
`manifest.json` (the one named for the trace's browser first — `chrome-extension://` prefers a
chrome/chromium folder, `moz-extension://` a firefox/gecko one — then the `version_file`'s
folder, then the shallowest), then the repository root itself. Manifests of tests, fixtures,
examples and installed packages are not extension roots.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from homeostat_core.config import RepoConfig
from homeostat_core.sourcing.tree import RepoTree

SCHEME_BROWSERS = {
    "chrome-extension": "chrome",
    "moz-extension": "firefox",
    "safari-web-extension": "safari",
    "safari-extension": "safari",
    "ms-browser-extension": "edge",
}
_BROWSER_WORDS = {
    "chrome": frozenset({"chrome", "chromium", "blink", "edge", "opera", "brave", "crx", "cws"}),
    "firefox": frozenset({"firefox", "gecko", "mozilla", "moz", "ff", "fx", "amo", "xpi"}),
    "safari": frozenset({"safari", "webkit", "ios", "macos", "xcode"}),
}
_BROWSER_WORDS["edge"] = _BROWSER_WORDS["chrome"]
# Folders whose manifest.json is not the extension's: tests, samples, installed packages.
NOT_ROOT_SEGMENTS = frozenset(
    {
        "node_modules",
        "bower_components",
        "vendor",
        "third_party",
        "test",
        "tests",
        "__tests__",
        "spec",
        "specs",
        "fixtures",
        "__fixtures__",
        "e2e",
        "examples",
        "example",
        "samples",
        "docs",
        "website",
        "site",
    }
)
# Build output: a manifest there is served, but the sources are elsewhere: ranked last.
BUILD_SEGMENTS = frozenset({"dist", "build", "out", "output", ".output", "release", "releases", "packed"})
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class Root:
    folder: str  # "" = the repository root
    rule: str  # source_roots | manifest_root | repository_root
    browsers: frozenset[str] = frozenset()  # browsers it is named or configured for (empty: any)

    def join(self, path: str) -> str:
        return posixpath.join(self.folder, path) if self.folder else path

    def label(self) -> str:
        return f"{self.folder}/" if self.folder else "(repository root)"


def browser_of(location: str | None) -> str | None:
    """The browser a frame's URL comes from: chrome, firefox, safari, edge; None when unknown."""
    if not location:
        return None
    scheme = location.split("://", 1)[0].lower() if "://" in location else ""
    return SCHEME_BROWSERS.get(scheme)


def folder_browsers(folder: str) -> frozenset[str]:
    """The browsers a folder's name is about (`platform/firefox`, `extension-chromium`)."""
    words = set(_WORD.findall(folder.lower()))
    return frozenset(browser for browser, names in _BROWSER_WORDS.items() if words & names)


def extension_roots(tree: RepoTree, repo: RepoConfig, browser: str | None) -> list[Root]:
    """Every extension root, in the order a served path is tried against them."""

    def fit(browsers: frozenset[str]) -> int:
        if not browsers:
            return 1
        return 0 if browser in browsers else 2

    configured = [
        Root(folder, "source_roots", frozenset() if who == "all" else frozenset({who}))
        for who, folder in repo.source_roots
    ]
    configured.sort(key=lambda root: fit(root.browsers))
    if not configured:
        tree.list_top_folders()  # a truncated tree: find the manifests one folder down
    version_folder = posixpath.dirname(repo.version_file)
    manifests = [
        Root(folder, "manifest_root", folder_browsers(folder))
        for folder in tree.manifests()
        if not set(folder.split("/")) & NOT_ROOT_SEGMENTS
    ]
    manifests.sort(
        key=lambda root: (
            fit(root.browsers),
            bool(set(root.folder.split("/")) & BUILD_SEGMENTS),
            root.folder != version_folder,
            root.folder.count("/") + bool(root.folder),
            root.folder,
        )
    )
    roots: list[Root] = []
    for root in [*configured, *manifests, Root("", "repository_root")]:
        if all(root.folder != known.folder for known in roots):
            roots.append(root)
    return roots
