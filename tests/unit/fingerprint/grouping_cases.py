"""Labelled real-shaped reports for grouping: one entry per failure class of issue #23, with the
positives that must share an id (across browsers, builds and truncation) and the negatives that
must not (the same message in another extension or another file; the same file, another property).

Used by tests/unit/fingerprint/test_fingerprint_grouping_cases.py and bench/grouping.py. Every
stack is shaped like what browsers, consoles, error panels and trackers print; ids, UUIDs, build
hashes, lines and columns vary the way they do between real reports.

`GROUPS[label]` is a list of Case; every pair across two labels is a negative pair, and
NEGATIVES names the pairs that only a good fingerprint keeps apart (the seed's naive hash merges
most of them). A Case's `frames` (when given) is how Sentry's browser SDK reads its stack,
innermost first: (function or None, filename, line, column).
"""

from __future__ import annotations

from dataclasses import dataclass

CHROME = "chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn"
EDGE = "chrome-extension://jmhlnkdgbchnbgfbdcnlhdcpbhcppkkf"
FIREFOX_A = "moz-extension://8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a"
FIREFOX_B = "moz-extension://f47ac10b-58cc-4372-a567-0e02b2c3d479"
SAFARI = "safari-web-extension://0F9E8D7C-6B5A-4C3D-9E2F-1A0B9C8D7E6F"
OTHER_EXTENSION = "chrome-extension://gighmmpiobklfepjocnamgkkbiglidom"

Frame = tuple[str | None, str, int | None, int | None]


@dataclass(frozen=True)
class Case:
    name: str
    error_type: str
    message: str
    stack: str
    frames: tuple[Frame, ...] = ()  # Sentry's reading, innermost first (only where it matters)


def _lines(*lines: str) -> str:
    return "\n".join(lines)


NULL_TAB = "Cannot read properties of undefined (reading 'tabId')"

GROUPS: dict[str, list[Case]] = {
    # --- legacy Safari: the scheme belongs to the location, not to the function name -----------
    "safari-schemes": [
        Case(
            "chrome",
            "TypeError",
            "Cannot read properties of null (reading 'selection')",
            _lines(
                "TypeError: Cannot read properties of null (reading 'selection')",
                f"    at captureSelection ({CHROME}/content/clipper.js:118:31)",
                f"    at HTMLDocument.onMouseUp ({CHROME}/content/clipper.js:64:9)",
            ),
        ),
        Case(
            "safari-legacy-v8-shape",
            "TypeError",
            "null is not an object (evaluating 'range.selection')",
            _lines(
                "TypeError: null is not an object (evaluating 'range.selection')",
                "    at captureSelection@safari-extension:(//com.cloakpipe.clipper-8T4B2M7A3Q/2665fee0/content/clipper.js:118:40)",
                "    at onMouseUp@safari-extension:(//com.cloakpipe.clipper-8T4B2M7A3Q/2665fee0/content/clipper.js:64:18)",
            ),
            frames=(
                (
                    "captureSelection",
                    "safari-extension://com.cloakpipe.clipper-8T4B2M7A3Q/2665fee0/content/clipper.js",
                    118,
                    40,
                ),
                (
                    "onMouseUp",
                    "safari-extension://com.cloakpipe.clipper-8T4B2M7A3Q/2665fee0/content/clipper.js",
                    64,
                    18,
                ),
            ),
        ),
        Case(
            "safari-web-extension-v8-shape",
            "TypeError",
            "null is not an object (evaluating 'range.selection')",
            _lines(
                "    at captureSelection@safari-web-extension:(//6A1F3C2E-1B2C-4D5E-8F9A-0B1C2D3E4F5A/content/clipper.js:118:40)",
                "    at safari-web-extension:(//6A1F3C2E-1B2C-4D5E-8F9A-0B1C2D3E4F5A/content/clipper.js:64:18)",
            ),
            frames=(
                (
                    "captureSelection",
                    "safari-web-extension://6A1F3C2E-1B2C-4D5E-8F9A-0B1C2D3E4F5A/content/clipper.js",
                    118,
                    40,
                ),
                (
                    None,
                    "safari-web-extension://6A1F3C2E-1B2C-4D5E-8F9A-0B1C2D3E4F5A/content/clipper.js",
                    64,
                    18,
                ),
            ),
        ),
        Case(
            "safari-modern",
            "TypeError",
            "null is not an object (evaluating 'range.selection')",
            _lines(
                f"captureSelection@{SAFARI}/content/clipper.js:118:40",
                f"onMouseUp@{SAFARI}/content/clipper.js:64:18",
                "[native code]",
            ),
        ),
    ],
    # --- one bug from three builds without maps: hashed names, minified names, other positions ---
    "builds": [
        Case(
            "vite-build-1",
            "TypeError",
            NULL_TAB,
            _lines(
                f"TypeError: {NULL_TAB}",
                f"    at Qe ({CHROME}/assets/background-BbzLzrt2.js:1:18034)",
                "    at async Promise.all (index 0)",
                f"    at async xn ({CHROME}/assets/background-BbzLzrt2.js:1:20117)",
            ),
        ),
        Case(
            "vite-build-2",
            "TypeError",
            NULL_TAB,
            _lines(
                f"TypeError: {NULL_TAB}",
                f"    at Wt ({CHROME}/assets/background-C2wS7XjU.js:2:150)",
                f"    at Object.Ote [as handler] ({CHROME}/assets/background-C2wS7XjU.js:2:2411)",
            ),
        ),
        Case(
            "vite-build-3-firefox",
            "TypeError",
            'can\'t access property "tabId", e.sender is undefined',
            _lines(
                f"kxe@{FIREFOX_A}/assets/background-D3fL7kQx.js:1:17990",
                f"async*Ote@{FIREFOX_A}/assets/background-D3fL7kQx.js:1:20050",
            ),
        ),
    ],
    "builds-webpack": [
        Case(
            "webpack-build-1",
            "TypeError",
            "Cannot read properties of undefined (reading 'notes')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'notes')",
                f"    at ab ({CHROME}/js/popup.3f2a1b9c.chunk.js:2:8841)",
                f"    at HTMLButtonElement.<anonymous> ({CHROME}/js/popup.3f2a1b9c.chunk.js:2:9120)",
            ),
        ),
        Case(
            "webpack-build-2",
            "TypeError",
            "Cannot read properties of undefined (reading 'notes')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'notes')",
                f"    at Rqe ({EDGE}/js/popup.9be4c01d.chunk.js:2:141)",
                f"    at HTMLButtonElement.<anonymous> ({EDGE}/js/popup.9be4c01d.chunk.js:2:377)",
            ),
        ),
    ],
    # --- a trace cut short groups with the full one --------------------------------------------
    "truncation": [
        Case(
            "full",
            "TypeError",
            "Cannot read properties of undefined (reading 'url')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'url')",
                f"    at resolveTab ({CHROME}/src/background/tabs.js:41:22)",
                f"    at syncBookmarks ({CHROME}/src/background/sync.js:88:15)",
                "    at async Promise.all (index 2)",
                f"    at async runSync ({CHROME}/src/background/sync.js:30:5)",
                f"    at async onAlarm ({CHROME}/src/background/index.js:12:3)",
            ),
        ),
        Case(
            "two-frames",
            "TypeError",
            "Cannot read properties of undefined (reading 'url')",
            _lines(
                f"    at resolveTab ({CHROME}/src/background/tabs.js:41:22)",
                f"    at syncBookmarks ({CHROME}/src/background/sync.js:88:15)",
            ),
        ),
        Case(
            "top-frame-only-firefox",
            "TypeError",
            'can\'t access property "url", tab is undefined',
            f"resolveTab@{FIREFOX_B}/src/background/tabs.js:41:9",
        ),
        Case(
            "tracker-trimmed",
            "TypeError",
            "Cannot read properties of undefined (reading 'url')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'url')",
                f"    at resolveTab ({CHROME}/src/background/tabs.js:41:22)",
                "    ... 4 more frames",
            ),
        ),
    ],
    # --- browser internals above the extension's frame -----------------------------------------
    "internals": [
        Case(
            "chrome-2013-bindings",
            "TypeError",
            "Cannot read property 'id' of undefined",
            _lines(
                "Error in event handler for 'undefined': Cannot read property 'id' of undefined TypeError: Cannot read property 'id' of undefined",
                f"    at {CHROME}/background.js:211:34",
                "    at chrome.Event.dispatchToListener (event_bindings:387:21)",
                "    at chrome.Event.dispatch_ (event_bindings:373:27)",
                "    at chrome.Event.dispatch (event_bindings:393:17)",
                "    at Object.chromeHidden.Port.dispatchOnMessage (miscellaneous_bindings:253:22)",
            ),
        ),
        Case(
            "chrome-2013-bindings-on-top",
            "TypeError",
            "Cannot read property 'id' of undefined",
            _lines(
                "    at Object.chromeHidden.handleResponse (schema_generated_bindings:412:15)",
                "    at binding.js:64:11",
                f"    at {CHROME}/background.js:211:34",
                "    at chrome.Event.dispatchToListener (event_bindings:387:21)",
            ),
        ),
        Case(
            "chrome-extensions-prefix",
            "TypeError",
            "Cannot read properties of undefined (reading 'id')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'id')",
                "    at Object.callback (extensions::messaging:327:9)",
                f"    at {CHROME}/background.js:211:34",
            ),
        ),
        Case(
            "firefox-resource-gre",
            "TypeError",
            'can\'t access property "id", sender.tab is undefined',
            _lines(
                "runSafeSyncWithoutClone@resource://gre/modules/ExtensionCommon.jsm:73:14",
                "callback@chrome://extensions/content/child/ext-runtime.js:38:20",
                f"@{FIREFOX_A}/background.js:211:20",
                "emit@resource://gre/modules/ExtensionCommon.jsm:2310:24",
            ),
        ),
    ],
    # --- Hermes: the bundle is the file, a bytecode offset is not a minified column ------------
    "hermes": [
        Case(
            "hermes-1.4.0",
            "TypeError",
            "Cannot read property 'coords' of undefined",
            _lines(
                "TypeError: Cannot read property 'coords' of undefined",
                "    at onPosition (address at index.android.bundle:1:2347115)",
                "    at anonymous (address at index.android.bundle:1:2346820)",
                "    at forEach (native)",
            ),
            frames=(
                ("onPosition", "index.android.bundle", 1, 2347115),
                ("anonymous", "index.android.bundle", 1, 2346820),
                ("forEach", "native", None, None),
            ),
        ),
        Case(
            "hermes-1.4.1",
            "TypeError",
            "Cannot read property 'coords' of undefined",
            _lines(
                "TypeError: Cannot read property 'coords' of undefined",
                "    at onPosition (address at index.android.bundle:1:2351902)",
                "    at anonymous (address at index.android.bundle:1:2351607)",
            ),
        ),
    ],
    "hermes-other-crash": [
        Case(
            "hermes-other",
            "TypeError",
            "Cannot read property 'coords' of undefined",
            _lines(
                "TypeError: Cannot read property 'coords' of undefined",
                "    at renderMarker (address at index.android.bundle:1:1980417)",
            ),
        ),
    ],
    # --- formats people paste ------------------------------------------------------------------
    "pasted-formats": [
        Case(
            "chrome",
            "TypeError",
            "Cannot read properties of undefined (reading 'length')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'length')",
                f"    at countUnread ({CHROME}/js/inbox.js:77:30)",
                f"    at refreshBadge ({CHROME}/js/inbox.js:102:5)",
            ),
        ),
        Case(
            "bugsnag",
            "TypeError",
            "Cannot read properties of undefined (reading 'length')",
            _lines(
                f"{CHROME}/js/inbox.js:77:30 countUnread",
                f"{CHROME}/js/inbox.js:102:5 refreshBadge",
            ),
        ),
        Case(
            "devtools-shortened",
            "TypeError",
            "Cannot read properties of undefined (reading 'length')",
            _lines(
                "Uncaught (in promise) TypeError: Cannot read properties of undefined (reading 'length')",
                "    at countUnread (…/js/inbox.js:77:30)",
                "    at refreshBadge (…/js/inbox.js:102:5)",
            ),
        ),
        Case(
            "firefox-console",
            "TypeError",
            'can\'t access property "length", items is undefined',
            _lines(
                f"    countUnread {FIREFOX_B}/js/inbox.js:77",
                "    (Async: promise callback)",
                f"    refreshBadge {FIREFOX_B}/js/inbox.js:102",
            ),
        ),
    ],
    "error-panel": [
        Case(
            "chrome-error-panel",
            "TypeError",
            "Cannot read properties of undefined (reading 'sendResponse')",
            _lines(
                "Error handling response: TypeError: Cannot read properties of undefined (reading 'sendResponse')",
                "Context",
                "background.js",
                "Stack Trace",
                "background.js:58 (anonymous function)",
            ),
            frames=((None, "background.js", 58, None),),
        ),
        Case(
            "labelled-error-panel",
            "TypeError",
            "Cannot read properties of undefined (reading 'sendResponse')",
            _lines("Context: background.js", "Stack Trace: background.js:58 (anonymous function)"),
        ),
        Case(
            "event-handler-line",
            "TypeError",
            "Cannot read properties of undefined (reading 'sendResponse')",
            "Error in event handler: TypeError: Cannot read properties of undefined (reading 'sendResponse') "
            f"at {CHROME}/background.js:58:17",
        ),
        Case(
            "firefox-anonymous-console",
            "TypeError",
            'can\'t access property "sendResponse", msg is undefined',
            f"<anonymous> {FIREFOX_A}/background.js:58",
        ),
    ],
    # --- what Sentry reads differently: eval'd code and loader lines ---------------------------
    "eval": [
        Case(
            "chrome-eval",
            "ReferenceError",
            "applyTheme is not defined",
            _lines(
                "ReferenceError: applyTheme is not defined",
                f"    at eval (eval at loadPlugin ({CHROME}/js/plugins.js:40:5), <anonymous>:3:1)",
                f"    at loadPlugin ({CHROME}/js/plugins.js:40:5)",
            ),
            frames=(
                ("eval", f"{CHROME}/js/plugins.js", 40, 5),
                ("loadPlugin", f"{CHROME}/js/plugins.js", 40, 5),
            ),
        ),
        Case(
            "firefox-eval",
            "ReferenceError",
            "applyTheme is not defined",
            _lines(
                f"@{FIREFOX_A}/js/plugins.js line 40 > eval:3:1",
                f"loadPlugin@{FIREFOX_A}/js/plugins.js:40:5",
            ),
            frames=(
                ("eval", f"{FIREFOX_A}/js/plugins.js", 40, None),
                ("loadPlugin", f"{FIREFOX_A}/js/plugins.js", 40, 5),
            ),
        ),
        Case(
            "safari-eval",
            "ReferenceError",
            "Can't find variable: applyTheme",
            _lines("eval code", "eval@[native code]", f"loadPlugin@{SAFARI}/js/plugins.js:40:9"),
            frames=(("eval", "[native code]", None, None), ("loadPlugin", f"{SAFARI}/js/plugins.js", 40, 9)),
        ),
        Case(
            "edge-legacy-eval",
            "ReferenceError",
            "'applyTheme' is undefined",
            _lines(
                "ReferenceError: 'applyTheme' is undefined",
                "   at eval code (eval code:3:1)",
                "   at loadPlugin (ms-browser-extension://NoteBridge_1.2.0.0_x64__8wekyb3d8bbwe/js/plugins.js:40:5)",
            ),
        ),
    ],
    "loader": [
        Case(
            "chunk-load",
            "ChunkLoadError",
            "Loading chunk 512 failed.",
            _lines(
                "ChunkLoadError: Loading chunk 512 failed.",
                f"(error: {CHROME}/js/512.a4b0c9e1.js)",
                f"    at (error: {CHROME}/js/512.a4b0c9e1.js)",
                f"    at __webpack_require__.f.j ({CHROME}/js/runtime.js:1:2211)",
            ),
            frames=(
                (None, f"{CHROME}/js/512.a4b0c9e1.js", None, None),
                (None, f"{CHROME}/js/512.a4b0c9e1.js", None, None),
                ("__webpack_require__.f.j", f"{CHROME}/js/runtime.js", 1, 2211),
            ),
        ),
        Case(
            "chunk-load-header-frame",
            "ChunkLoadError",
            "Loading chunk 512 failed.",
            _lines(
                f"    at Error: Loading chunk 512 failed. ({CHROME}/js/512.77e0d2f3.js)",
                f"(error: {CHROME}/js/512.77e0d2f3.js)",
            ),
        ),
    ],
    # --- frames already mapped to source are the extension's own code --------------------------
    "source-mapped": [
        Case(
            "webpack-urls",
            "TypeError",
            "Cannot read properties of undefined (reading 'query')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'query')",
                "    at getActiveTab (webpack:///src/api/chrome.ts:14:27)",
                f"    at {CHROME}/background.js:2:5521",
            ),
        ),
        Case(
            "async-shortened",
            "TypeError",
            "Cannot read properties of undefined (reading 'query')",
            _lines(
                "    getActiveTab …/src/api/chrome.ts:14",
                "    <async> …/src/background/index.ts:30",
            ),
        ),
    ],
    # --- negatives: the same message elsewhere, or another property in the same place ----------
    "tab-bug": [
        Case(
            "chrome",
            "TypeError",
            NULL_TAB,
            _lines(f"TypeError: {NULL_TAB}", f"    at onMessage ({CHROME}/background.js:30:18)"),
        ),
        Case(
            "firefox",
            "TypeError",
            'can\'t access property "tabId", sender is undefined',
            f"onMessage@{FIREFOX_B}/background.js:30:11",
        ),
    ],
    "tab-bug-other-extension": [
        Case(
            "same-message-same-file-name",
            "TypeError",
            NULL_TAB,
            _lines(f"TypeError: {NULL_TAB}", f"    at relayToTab ({OTHER_EXTENSION}/background.js:112:40)"),
        ),
    ],
    "tab-bug-other-file": [
        Case(
            "same-message-popup",
            "TypeError",
            NULL_TAB,
            _lines(f"TypeError: {NULL_TAB}", f"    at onMessage ({CHROME}/popup.js:30:18)"),
        ),
    ],
    "tab-bug-other-property": [
        Case(
            "same-file-reading-url",
            "TypeError",
            "Cannot read properties of undefined (reading 'url')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'url')",
                f"    at onMessage ({CHROME}/background.js:30:18)",
            ),
        ),
    ],
    "builds-other-property": [
        Case(
            "vite-same-bundle-other-property",
            "TypeError",
            "Cannot read properties of undefined (reading 'frameId')",
            _lines(
                "TypeError: Cannot read properties of undefined (reading 'frameId')",
                f"    at Qe ({CHROME}/assets/background-BbzLzrt2.js:1:18090)",
            ),
        ),
    ],
    "builds-other-file": [
        Case(
            "vite-popup-same-message",
            "TypeError",
            NULL_TAB,
            _lines(f"TypeError: {NULL_TAB}", f"    at Qe ({CHROME}/assets/popup-BbzLzrt2.js:1:18034)"),
        ),
    ],
}

# Negative pairs that a fingerprint must keep apart (label, label), beyond "different labels".
NEGATIVES: tuple[tuple[str, str], ...] = (
    ("tab-bug", "tab-bug-other-extension"),
    ("tab-bug", "tab-bug-other-file"),
    ("tab-bug", "tab-bug-other-property"),
    ("builds", "builds-other-property"),
    ("builds", "builds-other-file"),
    ("hermes", "hermes-other-crash"),
)


def all_cases() -> list[tuple[str, Case]]:
    """(label, case) for every case, in a stable order."""
    return [(label, case) for label, cases in GROUPS.items() for case in cases]
