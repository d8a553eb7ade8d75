"""Stack formats people actually file (issue #14, item 3): each from a real-shaped example.

The shapes come from what browsers, devtools consoles and error trackers print; the ids and
install paths vary between reports the way they do in production.
"""

from __future__ import annotations

from homeostat_core.fingerprint import fingerprint, fingerprint_stack
from homeostat_core.intake import parse_issue, parse_stack

CHROME_ID = "hpoiebnmdefkcpbbhiegdgnhlmbmlbkn"
FIREFOX_UUID = "8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a"
MESSAGE = "Cannot read properties of undefined (reading 'notes')"

# The same bug as Chrome prints it: the reference the other shapes must group with.
CHROME_STACK = (
    f"TypeError: {MESSAGE}\n"
    f"    at saveNote (chrome-extension://{CHROME_ID}/src/lib/storage.js:12:18)\n"
    f"    at onClick (chrome-extension://{CHROME_ID}/src/popup/main.js:40:5)"
)


def _frames(text):
    return [(f.function, f.path, f.line, f.column, f.in_app) for f in parse_stack(text)]


def test_chrome_async_frame_whose_location_is_a_url():
    # Given Chrome's async frames: a bare URL after `async`, and `(async URL)`
    stack = (
        "TypeError: Failed to fetch\n"
        "    at fetchJson (https://app.example.com/assets/api.js:12:3051)\n"
        "    at async https://app.example.com/assets/boot.js:25:7\n"
        "    at loadAll (async https://app.example.com/assets/loader.js:9:14)\n"
        "    at async Promise.all (index 0)"
    )
    # Then each is a file path, never "async http:/_"
    assert _frames(stack) == [
        ("fetchJson", "assets/api.js", 12, 3051, True),
        (None, "assets/boot.js", 25, 7, True),
        ("loadAll", "assets/loader.js", 9, 14, True),
        ("Promise.all", None, None, None, False),
    ]


def test_legacy_safari_extension_frames_unify_with_the_modern_schemes():
    # Given the same bug from legacy Safari (wrapped location, per-build hash dir) and from
    # safari-extension:// and safari-web-extension:// installs
    legacy = (
        "saveNote@safari-extension:(//com.cloakpipe.notebridge-8T4B2M7A3Q/6a1f3c2e/src/lib/storage.js:12:18)\n"
        "onClick@safari-extension:(//com.cloakpipe.notebridge-8T4B2M7A3Q/6a1f3c2e/src/popup/main.js:40:5)"
    )
    old_scheme = legacy.replace("safari-extension:(//", "safari-extension://").replace(")", "")
    web = (
        "saveNote@safari-web-extension://0F9E8D7C-6B5A-4C3D-9E2F-1A0B9C8D7E6F/src/lib/storage.js:12:18\n"
        "onClick@safari-web-extension://0F9E8D7C-6B5A-4C3D-9E2F-1A0B9C8D7E6F/src/popup/main.js:40:5"
    )
    # Then the legacy frame has its file, line and column
    assert _frames(legacy)[0] == ("saveNote", "src/lib/storage.js", 12, 18, True)
    # And all three (and Chrome) are one fingerprint
    ids = {
        fingerprint_stack("TypeError", MESSAGE, stack).id for stack in (legacy, old_scheme, web, CHROME_STACK)
    }
    assert len(ids) == 1


def test_per_build_hash_directory_is_stripped_like_a_version():
    # Given a frame under an 8-hex build directory
    hashed = f"    at saveNote (chrome-extension://{CHROME_ID}/5d41402a/src/lib/storage.js:12:18)"
    assert _frames(hashed)[0][1] == "src/lib/storage.js"
    # But an 8-letter word directory (no digit) and a hash-like file name are not build hashes
    assert _frames(f"    at f (chrome-extension://{CHROME_ID}/deadbeef/x.js:1:2)")[0][1] == "deadbeef/x.js"
    assert _frames(f"    at f (chrome-extension://{CHROME_ID}/src/5d41402a:1:2)")[0][1] == "src/5d41402a"


def test_error_tracker_text_in_the_python_traceback_shape_is_innermost_first():
    # Given a tracker's JavaScript frames filed in the Python shape (innermost first)
    tracker = (
        "Traceback (most recent call last):\n"
        f'  File "chrome-extension://{CHROME_ID}/src/lib/storage.js", line 12, in saveNote\n'
        f'  File "chrome-extension://{CHROME_ID}/src/popup/main.js", line 40, in onClick\n'
        f"TypeError: {MESSAGE}"
    )
    # And a real Python traceback (innermost last)
    python = (
        "Traceback (most recent call last):\n"
        '  File "/opt/app/jobs/sync.py", line 40, in run\n'
        '  File "/opt/app/lib/storage.py", line 12, in save_note\n'
        "KeyError: 'notes'"
    )
    # Then the files decide the order: the tracker's is kept, Python's is reversed
    assert [f[0] for f in _frames(tracker)] == ["saveNote", "onClick"]
    assert [f[0] for f in _frames(python)] == ["save_note", "run"]
    # And the tracker's report groups with the same bug printed by Chrome
    assert (
        fingerprint_stack("TypeError", MESSAGE, tracker).id
        == fingerprint_stack("TypeError", MESSAGE, CHROME_STACK).id
    )


def test_firefox_devtools_console_lines_and_frames_without_a_line_number():
    # Given what Firefox's console shows (function, space, URL:line; async markers in between)
    console = (
        f"Uncaught TypeError: {MESSAGE}\n"
        f"    saveNote moz-extension://{FIREFOX_UUID}/src/lib/storage.js:12\n"
        "    (Async: EventListener.handleEvent)\n"
        f"    onClick moz-extension://{FIREFOX_UUID}/src/popup/main.js:40\n"
    )
    assert _frames(console) == [
        ("saveNote", "src/lib/storage.js", 12, None, True),
        ("onClick", "src/popup/main.js", 40, None, True),
    ]
    assert (
        fingerprint_stack("TypeError", MESSAGE, console).id
        == fingerprint_stack("TypeError", MESSAGE, CHROME_STACK).id
    )
    # And a tracker's frame with no line number (and Python's None for the function) is kept
    assert _frames(f"    at None (moz-extension://{FIREFOX_UUID}/popup.html)") == [
        (None, "popup.html", None, None, True)
    ]
    # But prose with a URL is not a frame
    assert _frames("See the docs at https://example.com/help:12 for details") == []


def test_min_js_bundles_are_in_app_only_under_the_extension_origin():
    frames = parse_stack(
        f"    at a (chrome-extension://{CHROME_ID}/dist/background.min.js:1:18034)\n"
        f"    at b (chrome-extension://{CHROME_ID}/lib/jquery.min.js:2:100)\n"
        "    at c (https://cdn.example.com/widget.min.js:1:200)"
    )
    assert [(f.path, f.in_app) for f in frames] == [
        ("dist/background.min.js", True),
        ("lib/jquery.min.js", False),
        ("widget.min.js", False),
    ]


def test_browser_internal_frames_are_never_in_app_nor_the_top_frame():
    # Given an old Chrome extension trace whose innermost frames are the browser's bindings
    stack = (
        "TypeError: Cannot read property 'id' of undefined\n"
        "    at Object.dispatch (extensions::event_bindings:397:22)\n"
        "    at extensions::messaging:327:9\n"
        "    at Array.forEach (native code)\n"
        "    forEach@[native code]\n"
        "    at chrome.Event.dispatch_ (event_bindings:373:27)\n"
        f"    at onMessage (chrome-extension://{CHROME_ID}/src/background/router.js:30:12)"
    )
    frames = parse_stack(stack)
    assert [f.in_app for f in frames] == [False, False, False, False, False, True]
    assert [f.path for f in frames[:5]] == [None] * 5
    fp = fingerprint_stack("TypeError", "Cannot read property 'id' of undefined", stack)
    assert fp.file_path == "src/background/router.js"
    assert fp.top_stack_frame == "onMessage (src/background/router.js)"


def test_loader_error_frames_are_kept():
    # Given webpack's ChunkLoadError as Sentry's browser SDK sees it
    stack = (
        "ChunkLoadError: Loading chunk app_bootstrap failed.\n"
        "(error: https://s1.example-cdn.com/_static/dist/chunks/app_bootstrap.abcdef12.js)\n"
        "    at (error: https://s1.example-cdn.com/_static/dist/chunks/app_bootstrap.abcdef12.js)\n"
        "    at key (webpack/runtime/jsonp chunk loading:27:18)"
    )
    frames = parse_stack(stack)
    # Then each loader line is a frame (as Sentry reads them), with its path, then the runtime frame
    assert [(f.path, f.line) for f in frames] == [
        ("_static/dist/chunks/app_bootstrap.js", None),
        ("_static/dist/chunks/app_bootstrap.js", None),
        ("webpack/runtime/jsonp chunk loading", 27),
    ]


def test_a_filed_tracker_issue_parses_and_groups_with_the_logger_issue():
    # Given the same bug filed by the extension logger and by an error tracker in the Python shape
    def body(stack):
        return (
            "## Error Details\n- Extension: NoteBridge v1.2.0\n- Error Type: TypeError\n"
            f"- Message: {MESSAGE}\n\n## Stack Trace\n```\n{stack}\n```\n\n## Breadcrumbs\n1. Popup opened\n"
        )

    tracker_stack = (
        "Traceback (most recent call last):\n"
        f'  File "chrome-extension://{CHROME_ID}/src/lib/storage.js", line 12, in saveNote\n'
        f'  File "chrome-extension://{CHROME_ID}/src/popup/main.js", line 40, in onClick'
    )
    title = f"[NoteBridge] TypeError: {MESSAGE}"
    logger = parse_issue(title, body(CHROME_STACK), ["robot"])
    tracker = parse_issue(title, body(tracker_stack), ["robot"])
    assert fingerprint(logger).id == fingerprint(tracker).id
    assert fingerprint(tracker).top_stack_frame == "saveNote (src/lib/storage.js)"
