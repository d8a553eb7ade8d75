"""Report shapes that are not a browser's `Error.stack` (issue #19, items 4 and 7; issue #23's
formats): consoles, the extensions page's error panel, trackers, shortened and source-mapped
paths. Each gives a frame with a path a resolver can look up; a report naming no location at all
is `no_frames`, never a guessed file."""

from __future__ import annotations

import pytest

from homeostat_core.fingerprint import fingerprint
from homeostat_core.intake import UnparseableIssue, parse_issue, parse_stack

UUID = "8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a"
CHROME = "chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn"
MESSAGE = "Cannot read properties of undefined (reading 'tabs')"


def _frames(text):
    return [(f.function, f.path, f.line, f.column, f.in_app) for f in parse_stack(text)]


def _issue(details="", stack=None, message=MESSAGE):
    body = f"## Error Details\n- Extension: TabKeeper v2.1.0\n- Error Type: TypeError\n- Message: {message}\n{details}\n"
    if stack is not None:
        body += f"## Stack Trace\n```\n{stack}\n```\n\n"
    body += "## Breadcrumbs\n1. Popup opened\n"
    return parse_issue(f"[TabKeeper] TypeError: {message}", body, ["robot"])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # Firefox's console: function or <anonymous>, a space, url:line (no column)
        (
            f"<anonymous> moz-extension://{UUID}/js/background.js:58",
            (None, "js/background.js", 58, None, True),
        ),
        (f"getTabs moz-extension://{UUID}/js/tabs.js:12", ("getTabs", "js/tabs.js", 12, None, True)),
        # an async boundary with a DevTools-shortened, source-mapped path
        ("<async> …/src/api/chrome.ts:45", (None, "src/api/chrome.ts", 45, None, True)),
        ("<async> .../src/api/chrome.ts", (None, "src/api/chrome.ts", None, None, True)),
        # url:line alone, with no column
        (f"moz-extension://{UUID}/js/background.js:58", (None, "js/background.js", 58, None, True)),
        # Chrome's console: "fn @ file:line", "(anonymous) @ file:line"
        ("(anonymous) @ background.js:12", (None, "background.js", 12, None, True)),
        (f"saveTab @ {CHROME}/js/tabs.js:40", ("saveTab", "js/tabs.js", 40, None, True)),
        # the extensions page's error panel line, and Bugsnag's location-first lines
        ("background.js:12 (anonymous function)", (None, "background.js", 12, None, True)),
        ("popup.js:7 (renderList)", ("renderList", "popup.js", 7, None, True)),
        (f"{CHROME}/js/tabs.js:40:9 saveTab", ("saveTab", "js/tabs.js", 40, 9, True)),
        (f"{CHROME}/js/tabs.js:40:9 - saveTab", ("saveTab", "js/tabs.js", 40, 9, True)),
        # old Safari's window.onerror "message,url,line"
        (
            "'undefined' is not an object (evaluating 'tab.id'),https://x.example/app.js,42",
            (None, "app.js", 42, None, True),
        ),
    ],
)
def test_console_panel_and_tracker_lines_are_frames(line, expected):
    assert _frames(line) == [expected]


@pytest.mark.parametrize(
    "prose",
    [
        "Open the popup and see example.com/help for details",
        "Stack Trace",
        "Context",
        "(Async: promise callback)",
        "Promise.then (async)",
        "    ... 4 more frames",
    ],
)
def test_prose_and_markers_are_not_frames(prose):
    assert _frames(prose) == []


def test_the_error_panel_report_as_chrome_copies_it():
    # Given what chrome://extensions shows for an error: message, Context, Stack Trace
    stack = (
        f"Error handling response: TypeError: {MESSAGE}\n"
        "Context\nbackground.js\nStack Trace\nbackground.js:58 (anonymous function)"
    )
    report = _issue(stack=stack)
    # Then the stack trace line is the frame (the Context line names no line)
    assert [(f.path, f.line, f.in_app) for f in report.frames] == [("background.js", 58, True)]


def test_the_error_panel_report_as_fields_without_a_stack_section():
    report = _issue(
        details="- Context: background.js\n- Stack Trace: background.js:58 (anonymous function)\n"
    )
    assert [(f.path, f.line) for f in report.frames] == [("background.js", 58)]
    # And with only the Context, the file without a line
    report = _issue(details="- Context: js/background.js\n")
    assert [(f.path, f.line) for f in report.frames] == [("js/background.js", None)]
    # But Chrome's generated background page and "Unknown" name no file of the repository
    for context in ("_generated_background_page.html", "Unknown"):
        with pytest.raises(UnparseableIssue) as caught:
            _issue(details=f"- Context: {context}\n")
        assert caught.value.code == "no_frames"


def test_a_message_that_ends_in_a_location():
    message = f"Error in event handler: TypeError: {MESSAGE} at {CHROME}/js/background.js:58:17"
    report = _issue(message=message)
    assert [(f.path, f.line, f.column) for f in report.frames] == [("js/background.js", 58, 17)]
    # The same line pasted as the stack gives the same frame
    assert [(f.path, f.line) for f in _issue(stack=message).frames] == [("js/background.js", 58)]


def test_a_message_location_never_outranks_real_frames():
    # A header that happens to end in "at url:line" is a message when frame lines follow
    stack = (
        f"Error: request failed at https://api.example.com/v1:443\n    at fetchTabs ({CHROME}/js/api.js:9:3)"
    )
    assert [(f.function, f.path) for f in parse_stack(stack)] == [("fetchTabs", "js/api.js")]


@pytest.mark.parametrize(
    "stack",
    [
        "TypeError: Cannot read properties of undefined (reading 'tabs')",
        "Error: boom\n(no stack available)",
        "Context\nUnknown\nStack Trace\n:0 (anonymous function)",
        "",
    ],
)
def test_a_report_with_no_location_is_no_frames(stack):
    with pytest.raises(UnparseableIssue) as caught:
        _issue(stack=stack)
    assert caught.value.code == "no_frames"
    assert "no location" in caught.value.reason and "no file to fix" in caught.value.reason


def test_no_stack_section_and_no_location_is_no_frames():
    with pytest.raises(UnparseableIssue) as caught:
        _issue()
    assert caught.value.code == "no_frames"


@pytest.mark.parametrize(
    ("frame", "path"),
    [
        ("    at getActiveTab (webpack:///src/api/chrome.ts:14:27)", "src/api/chrome.ts"),
        ("    at getActiveTab (webpack-internal:///./src/api/chrome.ts:14:27)", "src/api/chrome.ts"),
        ("    at TabList (./components/TabList.jsx:40:12)", "components/TabList.jsx"),
        ("    at setup (src/popup/App.vue:22:5)", "src/popup/App.vue"),
        ("    at render (src/popup/List.svelte:8:3)", "src/popup/List.svelte"),
        ("    at getActiveTab (…/api/chrome.ts:14:27)", "api/chrome.ts"),
        ("    getActiveTab …/src/api/chrome.ts:14", "src/api/chrome.ts"),
    ],
)
def test_frames_already_mapped_to_source_are_the_extensions_own(frame, path):
    # Given a Chrome extension trace whose top frame is already mapped to source
    stack = f"TypeError: {MESSAGE}\n{frame}\n    at {CHROME}/background.js:2:5521\n    at https://page.example.com/app.js:1:2"
    report = _issue(stack=stack)
    # Then that frame is in app with a path a resolver can look up, and it is the top frame
    assert (report.frames[0].path, report.frames[0].in_app) == (path, True)
    assert fingerprint(report).file_path == path
    # But a page's script is still not the extension's code
    assert report.frames[-1].in_app is False
