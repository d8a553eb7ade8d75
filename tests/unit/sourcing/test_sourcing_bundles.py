"""Layout classes the held-out bench (bench/context_holdout.py) found, one test each: a monorepo's
extension package beside a sibling with the same paths, bundles named after several entries,
same-named methods told apart by what the bundle's entry imports, a bundle's line in the file it
was named after, Babel's `t.value` frames."""

from __future__ import annotations

from homeostat_core.fixing.model_settings import ModelSettings
from homeostat_core.sourcing.context import IssueContext, issue_context
from homeostat_core.sourcing.imports import reachable, resolve_specifier, specifiers
from homeostat_core.sourcing.names import frame_name
from homeostat_core.sourcing.resolve import PathMatch, Unresolved
from homeostat_core.sourcing.sources import RepoSources
from tests.unit.fixing.fakes import MemoryForge, repo_config

ALL = {"path_filters": repo_config().path_filters.__class__(include=(".",))}
MANIFEST = '{"manifest_version": 3}'
EXT = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"


def context(files: dict[str, str], message: str, stack: str) -> IssueContext:
    markdown = f"""---
title: "[Ext] TypeError: {message}"
labels: [robot]
---
## Error Details
- Extension: Ext v1.0.0
- Error Type: TypeError
- Message: {message}

## Stack Trace
```
TypeError: {message}
{stack}
```

## Breadcrumbs
1. Popup opened
"""
    return issue_context(markdown, MemoryForge(files), repo_config(**ALL), ModelSettings())


def shown(found: IssueContext) -> set[tuple[str, int]]:
    data = found.to_json()
    return {(w["path"], n) for w in data["windows"] for n in range(w["start"], w["end"] + 1)}


def line_of(text: str, snippet: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if snippet in line)


# --- a monorepo: the extension's package beside a web app with the same relative paths ----------


def test_the_copy_inside_the_extensions_package_wins_over_a_sibling_packages():
    files = {
        "package.json": '{"workspaces": ["packages/*"]}',
        "packages/extension/package.json": "{}",
        "packages/extension/src/manifest.json": MANIFEST,
        "packages/extension/src/background/api.ts": "export async function createPage() {}\n",
        "packages/web/package.json": "{}",
        "packages/web/src/background/api.ts": "export async function createPage(title) { return title; }\n",
    }
    match = (
        RepoSources(MemoryForge(files), repo_config(**ALL))
        .resolver("chrome")
        .resolve("src/background/api.ts")
    )
    assert isinstance(match, PathMatch)
    assert match.path == "packages/extension/src/background/api.ts"
    assert "extension's project packages/extension/" in match.note


def test_without_a_package_around_the_manifest_two_copies_stay_ambiguous():
    # the manifest's folder holds neither copy: nothing tells them apart, so no guess
    files = {
        "static/manifest.json": MANIFEST,
        "app/src/api.ts": "export const a = 1;\n",
        "server/src/api.ts": "export const b = 2;\n",
    }
    match = RepoSources(MemoryForge(files), repo_config(**ALL)).resolver("chrome").resolve("src/api.ts")
    assert isinstance(match, Unresolved) and len(match.candidates) == 2


# --- a bundle named after several entries (vite's `assets/index.ts-<hash>.js`) ------------------

CRX = {
    "manifest.json": '{"manifest_version": 3, "background": {"service_worker": "src/background/index.ts"}}',
    "src/background/index.ts": "import { onMenuClicked } from './menus';\n"
    "chrome.contextMenus.onClicked.addListener(onMenuClicked);\n",
    "src/background/menus.ts": "export async function onMenuClicked(info, tab) {\n"
    "  const id = String(info.menuItemId);\n"
    "  await chrome.tabs.sendMessage(tab.id, { id });\n}\n",
    "src/lib/index.ts": "export const VERSION = '1';\n",
}


def test_a_bundle_named_after_several_entries_finds_its_function_by_name():
    found = context(
        CRX,
        "Cannot read properties of undefined (reading 'id')",
        f"    at onMenuClicked ({EXT}/assets/index.ts-BT3kq9Zx.js:71:40)",
    )
    assert (found.resolution.path, found.resolved_by) == ("src/background/menus.ts", "symbol")
    assert ("src/background/menus.ts", 3) in shown(found)


def test_a_bundle_named_after_several_entries_without_a_known_function_is_no_source():
    found = context(
        CRX,
        "Cannot read properties of undefined (reading 'id')",
        f"    at onMenuGone ({EXT}/assets/index.ts-BT3kq9Zx.js:71:40)",
    )
    assert found.prompt is None and "ambiguous" in found.resolution.note


# --- one method name in two classes: the one the bundle's entry imports -------------------------

WXT = {
    "package.json": "{}",
    "entrypoints/content/index.ts": "import { Badge } from '@/components/Badge';\n"
    "export default defineContentScript({\n  main(ctx) {\n    new Badge().render();\n  },\n});\n",
    "entrypoints/popup/main.ts": "import { Toolbar } from '../../components/Toolbar';\nnew Toolbar().render();\n",
    "components/Badge.ts": "export class Badge {\n  render() {\n"
    "    const text = document.querySelector('article').textContent;\n    return text;\n  }\n}\n",
    "components/Toolbar.ts": "export class Toolbar {\n  render() {\n    document.body.append('x');\n  }\n}\n",
}
WXT_STACK = f"    at Xe.render ({EXT}/content-scripts/content.js:1:6214)"


def test_a_method_defined_in_two_classes_is_the_one_the_bundles_entry_imports():
    found = context(WXT, "Cannot read properties of null (reading 'textContent')", WXT_STACK)
    assert (found.resolution.path, found.resolved_by) == ("components/Badge.ts", "symbol")
    assert "entrypoints/content/index.ts imports it" in found.resolution.note
    assert ("components/Badge.ts", 3) in shown(found)


def test_when_the_entry_imports_neither_class_the_frame_is_not_guessed():
    files = {**WXT, "entrypoints/content/index.ts": WXT["entrypoints/content/index.ts"].splitlines(True)[1]}
    found = context(files, "Cannot read properties of null (reading 'textContent')", WXT_STACK)
    assert found.prompt is None
    assert "components/Badge.ts and components/Toolbar.ts alike" in found.resolution.note


def test_imports_are_followed_through_relative_paths_and_aliases_never_outside():
    files = {
        "src/entry.ts": "import a from './a';\nimport { b } from '@/lib/b';\nimport React from 'react';\n"
        "export * from '../../outside';\nconst c = require('./c.js');\nimport('./lazy');\n",
        "src/a.ts": "import './deep/index';\n",
        "src/deep/index.ts": "export {};\n",
        "src/lib/b.ts": "export const b = 1;\n",
        "src/c.js": "module.exports = {};\n",
        "src/lazy.tsx": "export default 1;\n",
    }
    sources = RepoSources(MemoryForge(files), repo_config(**ALL))
    assert specifiers(files["src/entry.ts"]) == [
        "./a",
        "@/lib/b",
        "react",
        "../../outside",
        "./c.js",
        "./lazy",
    ]
    assert resolve_specifier("src/entry.ts", "../../outside", sources) is None
    assert resolve_specifier("src/entry.ts", "react", sources) is None
    assert reachable(["src/entry.ts"], sources) == set(files)


# --- a bundle's line in the file the bundle was named after --------------------------------------

PLASMO = {
    "package.json": '{"manifest": {}}',
    "contents/youtube.ts": "import type { PlasmoCSConfig } from 'plasmo';\n\n"
    + "".join(f"function helper{i}() {{\n  return {i};\n}}\n" for i in range(30))
    + "function currentVideoId() {\n  const details = readPlayer()?.videoDetails;\n  return details.videoId;\n}\n",
}
PLASMO_STACK = f"    at {EXT}/youtube.5f1b7ad2.js:1:2280\n    at Array.forEach (<anonymous>)"


def test_a_bundles_column_past_its_line_places_the_frame_at_the_property_the_message_names():
    found = context(PLASMO, "Cannot read properties of undefined (reading 'videoId')", PLASMO_STACK)
    fix = line_of(PLASMO["contents/youtube.ts"], "return details.videoId")
    assert found.resolution.path == "contents/youtube.ts"
    assert ("contents/youtube.ts", fix) in shown(found)
    assert "column 2280 is past the end of line 1" in found.resolution.note


def test_a_property_read_twice_leaves_the_bundles_line_unknown_and_the_guess_weak():
    text = PLASMO["contents/youtube.ts"] + "export const again = (d) => d.videoId;\n"
    found = context(
        {**PLASMO, "contents/youtube.ts": text},
        "Cannot read properties of undefined (reading 'videoId')",
        PLASMO_STACK,
    )
    assert found.resolution.confidence == 0.5
    assert "the line is unknown" in found.resolution.note


def test_a_column_inside_its_line_is_read_as_given():
    stack = f"    at {EXT}/youtube.js:3:1"  # a plain build: the line and column are the source's
    found = context(PLASMO, "Cannot read properties of undefined (reading 'videoId')", stack)
    assert found.resolution.confidence == 0.7 and "bundle" not in found.resolution.note


def test_babel_class_methods_named_value_name_no_function():
    assert frame_name("t.value") is None and frame_name("value") is None
    assert frame_name("Slider.value").name == "value"  # a person's class may have one
