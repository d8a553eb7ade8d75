"""What the fix needs beyond the failing function, for the shapes the held-out bench
(bench/context_holdout.py) found: a loader call spread over several lines is shown whole, and a
member never assigned with `this.x =` is shown where its object initializes it."""

from __future__ import annotations

from tests.unit.sourcing.test_sourcing_bundles import EXT, MANIFEST, context, line_of, shown


def test_a_multi_line_import_scripts_call_is_shown_whole():
    background = (
        "importScripts(\n  'lib/polyfill.js',\n  'utils/storage.js',\n);\n\n"
        + "".join(f"function helper{i}() {{\n  return {i};\n}}\n" for i in range(20))
        + "function updateBadge(ms) {\n  chrome.action.setBadgeText({ text: formatDuration(ms) });\n}\n"
    )
    files = {
        "ext/manifest.json": '{"manifest_version": 3, "background": {"service_worker": "background.js"}}',
        "ext/background.js": background,
        "ext/utils/time.js": "function formatDuration(ms) {\n  return `${ms}`;\n}\n",
    }
    line = line_of(background, "formatDuration(ms)")
    found = context(
        files, "formatDuration is not defined", f"    at updateBadge ({EXT}/background.js:{line}:39)"
    )
    lines = shown(found)
    assert {("ext/background.js", n) for n in (1, 2, 3, 4)} <= lines
    assert ("ext/background.js", 10) not in lines  # the statement, not the lines after it
    assert ("ext/utils/time.js", 1) in lines


def test_a_member_never_assigned_with_this_is_shown_where_its_object_initializes_it():
    component = (
        "<template><ul></ul></template>\n<script>\nexport default {\n  data() {\n"
        "    return { query: '', groups: null };\n  },\n  methods: {\n    load() {\n"
        "      this.groups.today = [];\n    },\n  },\n};\n</script>\n"
    )
    files = {"src/manifest.json": MANIFEST, "src/popup/App.vue": component, "src/popup/main.js": "x;\n"}
    found = context(
        files,
        "Cannot set properties of null (setting 'today')",
        f"    at VueComponent.load ({EXT}/js/popup.js:1245:25)",
    )
    assert found.resolution.path == "src/popup/App.vue"
    assert ("src/popup/App.vue", line_of(component, "groups: null")) in shown(found)
