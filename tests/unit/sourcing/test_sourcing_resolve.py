"""Path resolution from the repository tree alone: roots, path_map, suffixes, twins, ambiguity."""

from __future__ import annotations

import pytest

from homeostat_core.sourcing.resolve import PathMatch, PathResolver, Unresolved
from homeostat_core.sourcing.sources import RepoSources
from tests.unit.fixing.fakes import MemoryForge, repo_config

ALL = {"path_filters": repo_config().path_filters.__class__(include=(".",))}
MANIFEST = '{"manifest_version": 3}'


def resolver(files: dict[str, str], browser: str | None = None, **config) -> PathResolver:
    repo = repo_config(**{**ALL, **config})
    return RepoSources(MemoryForge(files), repo).resolver(browser)


def resolve(files, served, browser=None, **config):
    return resolver(files, browser, **config).resolve(served)


def test_the_extension_root_is_the_folder_of_its_manifest():
    files = {"package.json": "{}", "src/manifest.json": MANIFEST, "src/popup/popup.js": "x"}
    match = resolve(files, "popup/popup.js")
    assert (match.path, match.rule, match.root, match.confidence) == (
        "src/popup/popup.js",
        "manifest_root",
        "src",
        1.0,
    )


def test_a_manifest_at_the_root_wins_over_a_website_folder_with_the_same_path():
    files = {"manifest.json": MANIFEST, "js/main.js": "ext", "website/js/main.js": "site"}
    assert resolve(files, "js/main.js").path == "js/main.js"


def test_manifests_of_tests_and_samples_are_not_extension_roots():
    files = {
        "ext/manifest.json": MANIFEST,
        "ext/bg.js": "real",
        "test/fixtures/manifest.json": MANIFEST,
        "test/fixtures/bg.js": "fixture",
    }
    match = resolve(files, "bg.js")
    assert (match.path, match.twins) == ("ext/bg.js", ())


def test_per_browser_roots_prefer_the_trace_browser_and_list_the_other_copy_as_a_twin():
    files = {
        "chrome/manifest.json": MANIFEST,
        "chrome/js/popup.js": "chrome.action",
        "firefox/manifest.json": MANIFEST,
        "firefox/js/popup.js": "browser.browserAction",
    }
    firefox = resolve(files, "js/popup.js", "firefox")
    chrome = resolve(files, "js/popup.js", "chrome")
    assert (firefox.path, firefox.twins) == ("firefox/js/popup.js", ("chrome/js/popup.js",))
    assert (chrome.path, chrome.twins) == ("chrome/js/popup.js", ("firefox/js/popup.js",))


def test_the_version_file_folder_comes_first_among_unnamed_roots():
    files = {"a/manifest.json": MANIFEST, "a/x.js": "1", "b/manifest.json": MANIFEST, "b/x.js": "2"}
    assert resolve(files, "x.js", version_file="b/manifest.json").path == "b/x.js"


def test_source_roots_per_browser_come_before_manifests():
    files = {
        "manifest.json": MANIFEST,
        "bg.js": "root copy",
        "platform/chromium/bg.js": "chromium",
        "platform/firefox/bg.js": "firefox",
    }
    roots = (("chrome", "platform/chromium"), ("firefox", "platform/firefox"))
    match = resolve(files, "bg.js", "firefox", source_roots=roots)
    assert (match.path, match.rule) == ("platform/firefox/bg.js", "source_roots")
    assert set(match.twins) == {"platform/chromium/bg.js", "bg.js"}


def test_path_map_maps_a_served_prefix_to_its_source():
    files = {"static/manifest.json": MANIFEST, "src/scripts/content.js": "x", "scripts/content.js": "decoy"}
    match = resolve(files, "js/content.js", path_map=(("js", "src/scripts"),))
    assert (match.path, match.rule) == ("src/scripts/content.js", "path_map")


def test_sources_apart_from_the_manifest_are_found_by_a_unique_suffix():
    files = {"static/manifest.json": MANIFEST, "src/scripts/content.js": "x", "src/other/content.css": "y"}
    match = resolve(files, "scripts/content.js")
    assert (match.path, match.rule, match.confidence) == ("src/scripts/content.js", "suffix", 0.9)


def test_a_served_js_finds_its_typescript_source():
    files = {"manifest.json": MANIFEST, "src/content/highlighter.ts": "x"}
    assert resolve(files, "build/content/highlighter.js").path == "src/content/highlighter.ts"
    same_folder = {"manifest.json": MANIFEST, "content/main.tsx": "x"}
    assert resolve(same_folder, "content/main.js").path == "content/main.tsx"


def test_a_bundle_named_after_its_entry_folder_finds_the_index_file():
    files = {"public/manifest.json": MANIFEST, "src/background/index.ts": "x", "src/popup/index.ts": "y"}
    match = resolve(files, "background.js")
    assert (match.path, match.confidence) == ("src/background/index.ts", 0.6)


def test_two_different_files_ending_alike_are_ambiguous_never_a_guess():
    files = {"static/manifest.json": MANIFEST, "src/shared/storage.js": "a", "scripts/storage.js": "b"}
    match = resolve(files, "storage.js")
    assert isinstance(match, Unresolved)
    assert set(match.candidates) == {"src/shared/storage.js", "scripts/storage.js"}


def test_identical_copies_are_one_file_edited_together():
    files = {"static/manifest.json": MANIFEST, "a/util.js": "same", "b/util.js": "same"}
    match = resolve(files, "util.js")
    assert isinstance(match, PathMatch) and {match.path, *match.twins} == {"a/util.js", "b/util.js"}


def test_tests_vendored_code_and_build_output_are_set_aside_when_the_source_exists():
    files = {
        "static/manifest.json": MANIFEST,
        "src/app.js": "own",
        "dist/app.js": "built",
        "test/app.js": "spec",
        "node_modules/x/app.js": "dep",
    }
    assert resolve(files, "app.js").path == "src/app.js"


def test_nothing_of_that_name_says_what_was_tried():
    match = resolve({"src/manifest.json": MANIFEST, "src/a.js": "x"}, "js/gone.js")
    assert isinstance(match, Unresolved)
    assert "src/js/gone.js" in match.tried and "js/gone.js" in match.tried


def test_a_url_encoded_folder_name():
    files = {"My Notes/manifest.json": MANIFEST, "My Notes/app.js": "x"}
    assert resolve(files, "My%20Notes/app.js").path == "My Notes/app.js"


@pytest.mark.parametrize("served", ["../../etc/passwd", "/etc/passwd", "a/../../b.js"])
def test_a_served_path_never_leaves_the_repository(served):
    files = {"manifest.json": MANIFEST, "etc/passwd": "inside, but never reached by climbing"}
    match = resolve(files, served)
    assert not isinstance(match, PathMatch) or ".." not in match.path


def test_bundler_names_find_their_source():
    files = {"public/manifest.json": MANIFEST, "src/background/main.ts": "x", "src/content.ts": "y"}
    assert resolve(files, "background.js").path == "src/background/main.ts"  # a folder's main file
    assert resolve(files, "assets/content.ts.js").path == "src/content.ts"  # vite keeps the .ts
