"""`fingerprint_issue` parses only the frames the fingerprint needs: it must give exactly the id
of a full parse, and the same UnparseableIssue, for every shape of issue."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeostat_core.fingerprint import fingerprint, fingerprint_issue
from homeostat_core.intake import UnparseableIssue, parse_issue
from homeostat_core.intake.issue_file import read_issue_markdown


def _both(title, body, labels):
    try:
        full = fingerprint(parse_issue(title, body, labels))
    except UnparseableIssue as exc:
        with pytest.raises(UnparseableIssue) as lean:
            fingerprint_issue(title, body, labels)
        assert lean.value.code == exc.code
        return None
    lean = fingerprint_issue(title, body, labels)
    assert lean == full
    return full


def _extension_issue(stack, error_type="TypeError", message="boom"):
    body = (
        f"## Error Details\n- Extension: NoteBridge v1.2.0\n- Error Type: {error_type}\n- Message: {message}\n\n"
        f"## Stack Trace\n```\n{stack}\n```\n\n## Breadcrumbs\n1. Popup opened\n"
    )
    return f"[NoteBridge] {error_type}: {message}", body


@pytest.mark.parametrize("labels", [["robot"], ["robot", "source:vps"], ["robot", "source:wordpress"]])
def test_every_real_dev_trace_gives_the_full_parse_id(shared_data, labels):
    traces = json.loads((shared_data / "stacktraces" / "js_stacktraces.dev.json").read_text())
    for trace in traces:
        title, body = _extension_issue(
            trace["stack"], trace.get("name") or "Error", trace.get("message") or "x"
        )
        _both(title, body, labels)


def test_the_example_issues_give_the_full_parse_id():
    from tests.conftest import REPO_ROOT

    for path in sorted((REPO_ROOT / "examples" / "issues").rglob("*.md")):
        issue = read_issue_markdown(path.read_text(), str(path))
        _both(issue.title, issue.body, list(issue.labels))


@pytest.mark.parametrize(
    "stack",
    [
        # page scripts before and after the extension's frames (they are not in app)
        "    at a (https://page.example.com/app.js:1:2)\n    at saveNote (chrome-extension://abc/src/s.js:3:4)\n"
        "    at onClick (chrome-extension://abc/src/p.js:5:6)\n    at run (chrome-extension://abc/src/r.js:7:8)\n"
        "    at later (https://page.example.com/late.js:9:10)",
        # recursion collapsed, a minified frame in between, then more names
        "    at walk (chrome-extension://abc/src/t.js:3:4)\n    at walk (chrome-extension://abc/src/t.js:3:4)\n"
        "    at Qe (chrome-extension://abc/dist/b.js:1:9000)\n    at visit (chrome-extension://abc/src/t.js:9:1)\n"
        "    at main (chrome-extension://abc/src/m.js:1:1)\n    at extra (chrome-extension://abc/src/x.js:1:1)",
        # a tracker's Python-shaped text, and a real Python traceback (reversed)
        'File "chrome-extension://abc/src/a.js", line 1, in one\nFile "chrome-extension://abc/src/b.js", line 2, in two\n'
        'File "chrome-extension://abc/src/c.js", line 3, in three\nFile "chrome-extension://abc/src/d.js", line 4, in four',
        'File "/app/a.py", line 1, in one\nFile "/app/b.py", line 2, in two\nFile "/app/c.py", line 3, in three\n'
        'File "/app/d.py", line 4, in four',
        # JavaScriptCore bare names (never frames, as Sentry reads them)
        "one\ntwo\nthree\nfour\nhttp://x.com/a.js:1:2",
        "one@http://x.com/a.js:1:2\ntwo@http://x.com/b.js:1:2\nthree@http://x.com/c.js:1:2\nfour\nfive@http://x.com/d.js:1:2",
        # nothing in app
        "    at Array.map (<anonymous>)\n    at extensions::messaging:1:2",
    ],
)
def test_tricky_stacks_give_the_full_parse_id(stack):
    title, body = _extension_issue(stack)
    for labels in (["robot"], ["robot", "source:vps"]):
        _both(title, body, labels)


def test_unparseable_issues_fail_the_same_way():
    title, body = _extension_issue("no frames here")
    _both(title, body, ["robot"])
    _both(title, body.replace("## Breadcrumbs\n1. Popup opened\n", ""), ["robot"])
    _both("no type", "", ["robot"])


# Frame lines of every shape the parser knows, in-app or not, minified or not, to be combined.
_FRAME_LINES = [
    "    at saveNote (chrome-extension://abc/src/lib/storage.js:12:18)",
    "    at Qe (chrome-extension://abc/dist/background.js:1:18034)",
    "    at onClick (chrome-extension://abc/5d41402a/src/popup/main.js:40:5)",
    "    at async https://page.example.com/assets/boot.js:25:7",
    "    at loadAll (async chrome-extension://abc/src/loader.js:9:14)",
    "    at Array.forEach (native code)",
    "    at extensions::messaging:327:9",
    "    at walk (chrome-extension://abc/src/tree.js:3:4)",
    "walk@moz-extension://8c7d/src/tree.js:3:4",
    "renderNote@safari-extension:(//com.acme.x-8T4B2M7A3Q/6a1f3c2e/src/popup/render.js:42:21)",
    "forEach@[native code]",
    "    saveNote moz-extension://8c7d/src/lib/storage.js:425",
    'File "chrome-extension://abc/src/a.js", line 1, in one',
    'File "/app/jobs/sync.py", line 40, in run',
    "bareName",
    "global code",
    "(error: https://cdn.example.com/chunk.5.js)",
    "    at (error: https://cdn.example.com/chunk.5.js)",
    "    at helper (chrome-extension://abc/lib/jquery.min.js:2:100)",
    "    at main (chrome-extension://abc/dist/app.min.js:4:20)",
    # issue #23's shapes: eval'd code, content-hashed bundles, Hermes, legacy Safari, internals
    "    at eval (eval at loadPlugin (chrome-extension://abc/js/plugins.js:40:5), <anonymous>:3:1)",
    "@moz-extension://8c7d/js/plugins.js line 40 > eval:3:1",
    "    at Wt (chrome-extension://abc/assets/background-C2wS7XjU.js:2:150)",
    "    at onPosition (address at index.android.bundle:1:2347115)",
    "    at captureSelection@safari-extension:(//com.x-8T4B2M7A3Q/2665fee0/content/clipper.js:118:40)",
    "    at chrome.Event.dispatch_ (event_bindings:373:27)",
    "runSafeSyncWithoutClone@resource://gre/modules/ExtensionCommon.jsm:73:14",
    # consoles, the error panel, trackers, shortened and source-mapped paths, message lines
    "<anonymous> moz-extension://8c7d/js/background.js:58",
    "background.js:58 (anonymous function)",
    "chrome-extension://abc/js/inbox.js:77:30 countUnread",
    "    at countUnread (…/js/inbox.js:77:30)",
    "    at getActiveTab (webpack:///src/api/chrome.ts:14:27)",
    "Error in event handler: TypeError: x at chrome-extension://abc/js/background.js:58:17",
    "    at Error: Loading chunk 512 failed. (chrome-extension://abc/js/512.77e0d2f3.js)",
    "    at anything (https://page.example.com/x.js:4294967297:1)",
]


@given(
    lines=st.lists(st.sampled_from(_FRAME_LINES), min_size=1, max_size=12),
    labels=st.sampled_from([["robot"], ["robot", "source:vps"]]),
)
@settings(max_examples=300, deadline=None)
def test_any_mix_of_frame_shapes_gives_the_full_parse_id(lines, labels):
    title, body = _extension_issue("\n".join(lines))
    _both(title, body, labels)
