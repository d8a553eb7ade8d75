"""Same bug → one id (installs, versions, browsers); different bugs → different ids."""

from __future__ import annotations

import json
import re

import pytest

from homeostat_core.fingerprint import (
    FINGERPRINT_VERSION,
    error_type_and_file,
    fingerprint,
    fingerprint_parts,
    fingerprint_stack,
)
from homeostat_core.intake import make_frame, parse_issue, parse_stack

HEADER = re.compile(r"^(\w+): ")


def _dev_by_id(shared_data):
    traces = json.loads((shared_data / "stacktraces" / "js_stacktraces.dev.json").read_text())
    by_id = {}
    for trace in traces:
        by_id.setdefault(trace["id"], trace)
    return by_id


def _error_type(trace):
    if trace["name"]:
        return trace["name"]
    match = HEADER.match(trace["stack"] or "")
    return match.group(1) if match else "Error"


def _dev_fingerprint(trace):
    return fingerprint_parts(_error_type(trace), trace["message"] or "", parse_stack(trace["stack"]))


def test_sentry_cross_browser_error_gets_one_id(shared_data):
    # Given one error captured in Chrome, Firefox, Safari and Edge (frames outermost first)
    events = json.loads((shared_data / "grouping" / "sentry_xbrowser_same_error.json").read_text())["events"]
    assert set(events) == {"chrome", "firefox", "safari", "edge"}
    ids = {}
    for browser, event in events.items():
        frames = [
            make_frame(f["function"], f["filename"], f["lineno"], f["colno"])
            for f in reversed(event["frames"])
        ]
        ids[browser] = fingerprint_parts(event["type"], event["value"], frames)
    # Then all four share one id, and it is not a degenerate "unknown" signature
    assert len({fp.id for fp in ids.values()}) == 1
    fp = ids["chrome"]
    assert fp.file_path == "test.html"
    assert fp.top_stack_frame == "aha (test.html)"
    assert fp.full_signature.startswith("Error:test.html:aha:")


def test_high_confidence_crossbrowser_groups(shared_data):
    groups = json.loads((shared_data / "grouping" / "crossbrowser_groups.dev.json").read_text())["groups"]
    by_id = _dev_by_id(shared_data)
    high = {name: g for name, g in groups.items() if g["confidence"] == "high"}
    assert len(high) == 2
    for name, group in high.items():
        ids = {_dev_fingerprint(by_id[trace_id]).id for trace_id in group["ids"]}
        assert len(ids) == 1, name


def test_crossbrowser_groups_score(shared_data):
    # The medium/low groups are not all the same bug (see docs/FINGERPRINTING.md); record the score
    groups = json.loads((shared_data / "grouping" / "crossbrowser_groups.dev.json").read_text())["groups"]
    by_id = _dev_by_id(shared_data)
    unified = {
        name for name, g in groups.items() if len({_dev_fingerprint(by_id[i]).id for i in g["ids"]}) == 1
    }
    assert unified == {"nested-eval-message-string", "eval-getExceptionProps"}


def _issue(ext_base: str, version: str, stack_lines: list[str], message: str, error_type: str = "TypeError"):
    body = (
        f"## Error Details\n- Extension: NoteBridge v{version}\n- Message: {message}\n\n"
        "## Stack Trace\n```\n" + "\n".join(line.format(base=ext_base) for line in stack_lines) + "\n```\n\n"
        "## Breadcrumbs\n1. Opened popup\n"
    )
    return parse_issue(f"[NoteBridge] {error_type}: {message}", body, ["robot"])


CHROME_STACK = [
    "TypeError: x",
    "    at renderNote ({base}/src/popup/render.js:42:17)",
    "    at Object.loadNotes ({base}/src/popup/index.js:10:5)",
    "    at async HTMLButtonElement.onClick ({base}/src/popup/index.js:88:3)",
]
FIREFOX_STACK = [
    "renderNote@{base}/src/popup/render.js:40:9",
    "loadNotes@{base}/src/popup/index.js:11:2",
    "onClick@{base}/src/popup/index.js:90:1",
]
SAFARI_STACK = [
    "renderNote@{base}/src/popup/render.js:42:21",
    "loadNotes@{base}/src/popup/index.js:10:14",
    "onClick@{base}/src/popup/index.js:88:9",
    "[native code]",
]


def test_same_bug_across_installs_versions_and_browsers():
    chrome_a = _issue(
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop",
        "1.2.0",
        CHROME_STACK,
        "Cannot read properties of undefined (reading 'title')",
    )
    chrome_b = _issue(
        "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba",
        "1.3.1",
        CHROME_STACK,
        "Cannot read properties of undefined (reading 'title')",
    )
    firefox = _issue(
        "moz-extension://8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a",
        "1.3.0",
        FIREFOX_STACK,
        'can\'t access property "title", note is undefined',
    )
    safari = _issue(
        "safari-web-extension://E2F1A9B8-0000-4000-8000-000000000000",
        "1.2.0",
        SAFARI_STACK,
        "undefined is not an object (evaluating 'note.title')",
    )
    ids = {fingerprint(r).id for r in (chrome_a, chrome_b, firefox, safari)}
    assert len(ids) == 1
    assert error_type_and_file(safari) == ("TypeError", "src/popup/render.js")
    assert fingerprint(firefox).file_path == "src/popup/render.js"


def test_different_bugs_in_the_same_file_get_different_ids():
    base = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    reading_title = _issue(
        base, "1.2.0", CHROME_STACK, "Cannot read properties of undefined (reading 'title')"
    )
    reading_body = _issue(base, "1.2.0", CHROME_STACK, "Cannot read properties of undefined (reading 'body')")
    other_function = _issue(
        base,
        "1.2.0",
        [
            "    at renderTags ({base}/src/popup/render.js:80:1)",
            "    at loadNotes ({base}/src/popup/index.js:10:5)",
        ],
        "Cannot read properties of undefined (reading 'title')",
    )
    other_type = _issue(base, "1.2.0", CHROME_STACK, "renderNote is not defined", "ReferenceError")
    fps = [fingerprint(r) for r in (reading_title, reading_body, other_function, other_type)]
    assert len({fp.id for fp in fps}) == 4
    assert {fp.file_path for fp in fps} == {"src/popup/render.js"}


def test_line_and_column_never_matter():
    a = fingerprint_stack("Error", "boom", "    at save (chrome-extension://a/src/s.js:1:1)")
    b = fingerprint_stack("Error", "boom", "    at save (chrome-extension://a/src/s.js:999:42)")
    assert a == b


def test_variable_message_data_does_not_split_groups():
    a = fingerprint_stack(
        "Error",
        "Request 41 to https://api.x.com/n/41?t=9 failed at 2025-01-02T03:04:05Z for a@b.io",
        "    at sync (chrome-extension://a/src/s.js:1:1)",
    )
    b = fingerprint_stack(
        "Error",
        "Request 7 to https://api.x.com/n/7?t=1 failed at 2024-12-31T23:59:59Z for c@d.io",
        "    at sync (chrome-extension://a/src/s.js:1:1)",
    )
    assert a.id == b.id


def test_fingerprint_fields_are_the_seeds():
    fp = fingerprint_stack(
        "TypeError", "x is not a function", "    at save (chrome-extension://a/src/s.js:1:1)"
    )
    assert set(fp.to_json()) == {
        "id",
        "errorType",
        "filePath",
        "topStackFrame",
        "messageHash",
        "fullSignature",
        "version",  # the seed's fields plus the algorithm version
    }
    assert fp.version == FINGERPRINT_VERSION
    assert re.fullmatch(r"[0-9a-f]{12}", fp.id) and re.fullmatch(r"[0-9a-f]{8}", fp.message_hash)
    assert fp.full_signature == f"TypeError:src/s.js:save:{fp.message_hash}"
    assert fp.top_stack_frame == "save (src/s.js)"


def test_vendor_frames_are_skipped_for_the_file_to_fix():
    stack = (
        "    at Sortable._onDrop (chrome-extension://a/vendor/sortable.min.js:2:100)\n"
        "    at dropNote (chrome-extension://a/src/board.js:12:3)"
    )
    fp = fingerprint_stack("TypeError", "boom", stack)
    assert fp.file_path == "src/board.js" and fp.top_stack_frame == "dropNote (src/board.js)"


@pytest.mark.parametrize("frames", [(), tuple(parse_stack("    at Array.map (<anonymous>)"))])
def test_no_in_app_frames_gives_unknown_file(frames):
    fp = fingerprint_parts("Error", "boom", frames)
    assert fp.file_path == "unknown" and fp.top_stack_frame == "? (unknown)"
