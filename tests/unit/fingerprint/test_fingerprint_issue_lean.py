"""`fingerprint_issue` parses only the frames the fingerprint needs: it must give exactly the id
of a full parse, and the same UnparseableIssue, for every shape of issue."""

from __future__ import annotations

import json

import pytest

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
        # JavaScriptCore bare names (dropped only when no Gecko frame follows)
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
