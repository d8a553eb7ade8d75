"""Real-shaped repository layouts through the local git forge: the file a fix would edit, the
rule that found it, and a line of the real fix inside the prompt (bench/context_recall.py's
layouts; the bench prints the figures, these pin the behaviour)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.config import parse_config
from homeostat_core.fixing.model_settings import ModelSettings
from homeostat_core.sourcing.context import issue_context
from tests.fixtures.context_layouts.layouts import LAYOUTS, Layout

RULES = {
    "root": "manifest_root",
    "src-folder": "manifest_root",
    "source-folder": "manifest_root",
    "named-folder": "manifest_root",
    "per-browser-copies": "manifest_root",
    "build-copied-public": "manifest_root",
    "manifest-apart": "suffix",
    "vendored-on-top": "manifest_root",
    "same-name-two-folders": "suffix",
    "reference-error-other-file": "manifest_root",
    "module-level-fix": "manifest_root",
    "minified-with-map": "repository_root",
    "ts-bundle-no-map": "symbol",
    "older-build": "manifest_root",
    "webpack-mapped-frames": "suffix",
    "tsc-mirror": "suffix",
}


def repo_for(layout: Layout, **keys):
    raw = {
        "slug": f"acme/{layout.name}",
        "branch": "main",
        "max_prs_per_run": 1,
        "labels": [],
        "path_filters": {"include": ["."]},
        **layout.config,
        **keys,
    }
    return parse_config({"version": 1, "repositories": [raw]}).repositories[0]


def found_for(layout: Layout, tmp_path: Path, markdown: str | None = None, **keys):
    layout.write_repo(tmp_path / "acme" / layout.name / "repo")
    forge = LocalForge(tmp_path)
    return issue_context(
        markdown or layout.issue_markdown(), forge, repo_for(layout, **keys), ModelSettings()
    ), forge


def test_every_layout_is_measured_and_named_here():
    assert {layout.name for layout in LAYOUTS} == set(RULES) and len(LAYOUTS) >= 14


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_the_file_the_fix_changed_is_found_and_a_fix_line_is_shown(layout, tmp_path):
    found, _ = found_for(layout, tmp_path)
    data = found.to_json()
    fix = layout.fix_lines()
    assert data["filePath"] in fix
    assert data["resolvedBy"] == RULES[layout.name]
    shown = {(w["path"], n) for w in data["windows"] for n in range(w["start"], w["end"] + 1)}
    assert any((path, n) in shown for path, lines in fix.items() for n in lines)
    assert 0 < data["promptTokens"] <= ModelSettings().max_prompt_tokens


def _layout(name: str) -> Layout:
    return next(layout for layout in LAYOUTS if layout.name == name)


def test_per_browser_copies_are_shown_together_and_count_as_one_change(tmp_path):
    found, _ = found_for(_layout("per-browser-copies"), tmp_path)
    assert found.resolution.twins == ("chrome/js/popup.js",)
    assert found.context.twin_sets == (frozenset({"firefox/js/popup.js", "chrome/js/popup.js"}),)
    assert "chrome/js/popup.js" in {w["path"] for w in found.to_json()["windows"]}


def test_a_vendored_library_is_never_the_top_frame_but_may_be_shown(tmp_path):
    found, _ = found_for(_layout("vendored-on-top"), tmp_path)
    assert found.resolution.path == "js/crypto.js"
    assert "lib/openpgp.js is vendored" in found.resolution.note
    # vendor_paths says the same for a library the heuristics would not know
    found, _ = found_for(_layout("vendored-on-top"), tmp_path / "again", vendor_paths=["js/crypto.js"])
    assert found.resolution.path == "js/compose.js"


def test_a_path_that_resolves_nowhere_is_no_source_with_what_was_tried(tmp_path):
    layout = _layout("src-folder")
    markdown = (
        layout.issue_markdown().replace("lib/storage.js", "lib/gone.js").replace("popup/popup.js", "x/y.js")
    )
    markdown = markdown.replace("at loadSettings", "at e").replace("at async initPopup", "at async t")
    found, _ = found_for(layout, tmp_path, markdown)
    data = found.to_json()
    assert (data["filePath"], data["resolvedBy"], data["windows"]) == (None, "none", [])
    assert "src/lib/gone.js" in data["resolution"]["tried"]
    assert data["resolution"]["rootsSearched"] == ["src/", "(repository root)"]


def test_a_bundle_without_a_map_and_with_minified_names_is_never_guessed(tmp_path):
    layout = _layout("ts-bundle-no-map")
    markdown = (
        layout.issue_markdown()
        .replace("at groupByDomain", "at Xe")
        .replace("at async MessageRouter.handleMessage", "at async t.e")
    )
    found, _ = found_for(layout, tmp_path, markdown)
    assert found.prompt is None and found.resolved_by == "none"


def test_a_frame_path_with_dot_dot_is_refused(tmp_path):
    layout = _layout("root")
    markdown = layout.issue_markdown().replace(
        "chrome-extension://hlpkejifdbmkjgmkbbkdcfnfkbaliopb/popup.js",
        "chrome-extension://hlpkejifdbmkjgmkbbkdcfnfkbaliopb/x/../../popup.js",
    )
    found, forge = found_for(layout, tmp_path, markdown)
    assert found.prompt is None
    assert "refused" in found.resolution.note


def test_two_files_of_one_name_without_a_telling_function_are_ambiguous(tmp_path):
    layout = _layout("same-name-two-folders")
    markdown = layout.issue_markdown().replace("at readQueue", "at Object.<anonymous>")
    markdown = markdown.replace("at async flushQueue", "at async e")
    found, _ = found_for(layout, tmp_path, markdown)
    # Then the ambiguous frame is skipped, said so, and its caller is the top frame
    assert found.resolution.path == "src/background.js"
    assert "ambiguous" in found.resolution.note
    assert "src/shared/storage.js" in found.resolution.note and "scripts/storage.js" in found.resolution.note


def test_files_outside_the_path_filters_are_never_read(tmp_path):
    layout = _layout("vendored-on-top")
    found, forge = found_for(layout, tmp_path, path_filters={"include": ["js/"]})
    assert found.resolution.path == "js/crypto.js"
    assert all(path.startswith("js/") for path in found.context.sources)
