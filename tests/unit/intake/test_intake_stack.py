"""Stack-trace parsing: real browser traces, every engine's line shapes, paths, in-app, bounds."""

from __future__ import annotations

import json
import re
import time

import pytest

from homeostat_core.intake import MAX_FRAMES, UnparseableIssue, make_frame, normalize_path, parse_stack
from homeostat_core.intake import stack as stack_module
from homeostat_core.intake.paths import location_facts

LINE_COL = re.compile(r":(\d+):(\d+)\)?\s*$")


def _traces(shared_data, name):
    return json.loads((shared_data / "stacktraces" / name).read_text())


def _trace_ids(shared_data):
    return [t["source"] for t in _traces(shared_data, "js_stacktraces.dev.json")]


@pytest.fixture(scope="module")
def dev_traces(shared_data):
    return _traces(shared_data, "js_stacktraces.dev.json")


def test_dev_set_has_36_traces(dev_traces):
    assert len(dev_traces) == 36


@pytest.mark.parametrize("index", range(36))
def test_every_real_trace_parses_with_locations(dev_traces, index):
    # Given one real captured trace
    trace = dev_traces[index]
    # When it is parsed
    frames = parse_stack(trace["stack"])
    # Then it has frames, and every `:line:col` in the text shows up as int line/column (but
    # Firefox's eval'd code, which is placed at its caller's line, without a column, as Sentry does)
    assert frames, trace["id"]
    located = [
        ln for ln in trace["stack"].splitlines() if LINE_COL.search(ln.strip()) and " > eval" not in ln
    ]
    with_numbers = [f for f in frames if isinstance(f.line, int) and isinstance(f.column, int)]
    assert len(with_numbers) >= min(len(located), MAX_FRAMES), trace["id"]
    for frame in frames:
        assert frame.line is None or isinstance(frame.line, int)
        assert frame.file or frame.function, frame
    expected = [(int(m.group(1)), int(m.group(2))) for ln in located if (m := LINE_COL.search(ln.strip()))]
    # eval frames report the eval origin's line, so compare the set of non-eval positions
    got = {(f.line, f.column) for f in frames}
    plain = [pos for ln, pos in zip(located, expected, strict=True) if "eval" not in ln]
    assert set(plain) <= got, trace["id"]


def test_opera_legacy_without_stack_fails_cleanly_or_parses_message(shared_data):
    for trace in _traces(shared_data, "js_stacktraces.opera_legacy_no_stack.json"):
        assert trace["stack"] is None
        frames = parse_stack(trace["stack"])
        assert frames == ()
        legacy = parse_stack(trace["message"])
        if "Backtrace:" in trace["message"]:
            # Opera's "Line N of linked script URL" backtrace in the message
            assert legacy and all(f.path == "to/file.js" and isinstance(f.line, int) for f in legacy)
            assert legacy[0].line == int(re.search(r"line (\d+)", trace["message"]).group(1))
        else:
            assert legacy == ()


def test_opera_legacy_issue_without_stack_is_a_typed_error(shared_data):
    from homeostat_core.intake import parse_issue

    for trace in _traces(shared_data, "js_stacktraces.opera_legacy_no_stack.json"):
        body = f"## Error Details\n- Message: {trace['message'].splitlines()[0]}\n\n## Breadcrumbs\n1. x\n"
        with pytest.raises(UnparseableIssue) as caught:
            parse_issue("[Opera] TypeError: x", body, [])
        assert caught.value.code == "no_frames"


@pytest.mark.parametrize(
    ("line", "function", "file", "lineno", "column"),
    [
        ("    at fn (http://a.com/x.js:10:5)", "fn", "http://a.com/x.js", 10, 5),
        ("    at http://a.com/x.js:10:5", None, "http://a.com/x.js", 10, 5),
        (
            "    at async loadAll (chrome-extension://abc/src/a.js:3:9)",
            "loadAll",
            "chrome-extension://abc/src/a.js",
            3,
            9,
        ),
        (
            "    at new Widget (moz-extension://0b1c/w.js:1:2)",
            "new Widget",
            "moz-extension://0b1c/w.js",
            1,
            2,
        ),
        ("    at Array.map (<anonymous>)", "Array.map", "<anonymous>", None, None),
        ("    at Error (native)", "Error", "native", None, None),
        (
            "    at baz (eval at foo (eval at speak (http://l/f.js:21:17)), <anonymous>:1:30)",
            "baz",
            "http://l/f.js",
            21,
            17,
        ),
        (
            "    at I.e.fn.(anonymous function) [as index] (http://l/f.js:10:36)",
            "I.e.fn.(anonymous function) [as index]",
            "http://l/f.js",
            10,
            36,
        ),
        (
            "    at Object.<anonymous> (/var/app/my project/index.js:2:9)",
            "Object.<anonymous>",
            "/var/app/my project/index.js",
            2,
            9,
        ),
        (
            "render@safari-web-extension://E2F1/src/r.js:5:6",
            "render",
            "safari-web-extension://E2F1/src/r.js",
            5,
            6,
        ),
        ('obj["@fn"]@Scratchpad/1:10:29', 'obj["@fn"]', "Scratchpad/1", 10, 29),
        ("who@http://l:5000/misc/@stuff/foo.js:3:9", "who", "http://l:5000/misc/@stuff/foo.js", 3, 9),
        ("bar(1)@http://l/js/file.js:13", "bar", "http://l/js/file.js", 13, None),
        ("http://path/to/file.js:48:22", None, "http://path/to/file.js", 48, 22),
        (
            "#0 /var/www/p/includes/db.php(45): PDO->query('x')",
            "PDO->query",
            "/var/www/p/includes/db.php",
            45,
            None,
        ),
        ('File "/srv/app/jobs/sync.py", line 12, in run', "run", "/srv/app/jobs/sync.py", 12, None),
    ],
)
def test_frame_line_shapes(line, function, file, lineno, column):
    (frame,) = parse_stack(line)
    assert (frame.function, frame.file, frame.line, frame.column) == (function, file, lineno, column)


def test_python_traceback_is_innermost_first():
    text = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/jobs/main.py", line 40, in <module>\n'
        "    run()\n"
        '  File "/srv/app/jobs/sync.py", line 12, in run\n'
        "    fetch()\n"
        "KeyError: 'x'\n"
    )
    frames = parse_stack(text)
    assert [f.function for f in frames] == ["run", "<module>"]
    assert frames[0].path == "jobs/sync.py"  # cut at the usual root directory "jobs/"


def test_php_internal_and_main_frames():
    text = "#0 [internal function]: Foo->bar()\n#1 /var/www/x/src/a.php(3): call()\n#2 {main}"
    frames = parse_stack(text)
    assert [(f.function, f.in_app) for f in frames] == [("Foo->bar", False), ("call", True)]


def test_messages_that_look_like_frames_are_not_frames():
    text = "Error: invalid e-mail a@b.example\n    at least one recipient is required\n"
    assert parse_stack(text) == ()


def test_bare_names_are_not_frames():
    # Safari prints eval'd code as bare names ("baz", "eval code"); Sentry reads no frame there
    assert [f.function for f in parse_stack("baz\nfoo\neval code\nspeak@http://l/f.js:1:2")] == ["speak"]
    assert parse_stack("Error\nsomething") == ()


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ("chrome-extension://abcdefghijklmnopabcdefghijklmnop/src/popup/render.js", "src/popup/render.js"),
        ("moz-extension://8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a/src/popup/render.js", "src/popup/render.js"),
        (
            "safari-web-extension://E2F1A9B8-0000-4000-8000-000000000000/src/popup/render.js",
            "src/popup/render.js",
        ),
        ("https://example.com/static/app.js?v=1.2.3#top", "static/app.js"),
        ("http://localhost:8080/dist/main.3f2a1b9c.js", "dist/main.js"),
        ("chrome-extension://abc/1.2.0_0/background.js", "background.js"),
        ("webpack:///./src/components/test.jsx?", "src/components/test.jsx"),
        ("webpack://my-app/./src/x.ts", "src/x.ts"),
        ("webpack:///./~/react-proxy/index.js", "node_modules/react-proxy/index.js"),
        ("http://localhost:8080/file.js line 26 > eval line 2 > eval", "file.js"),
        ("/var/www/html/wp-content/plugins/cloudcode/includes/db.php", "includes/db.php"),
        ("/home/u/work/app/src/components/Scene.js", "src/components/Scene.js"),
        ("/opt/brandcopilot/api/fetch-brands.js", "api/fetch-brands.js"),
        ("/tmp/test.html", "test.html"),
        ("file:///G:/js/stacktrace.js", "stacktrace.js"),
        ("C:\\Users\\me\\ext\\src\\a.js", "src/a.js"),
        ("./src/../src/a.js", "src/a.js"),
        (
            "/Users/me/Library/Application Support/Google/Chrome/Default/Extensions/abcdefghijklmnopabcdefghijklmnop/1.2.0_0/src/a.js",
            "src/a.js",
        ),
        # bundlers' content hashes: webpack, CRA's .chunk.js, esbuild, Vite; not words or names
        ("chrome-extension://abc/js/main.3f2a1b9c.chunk.js", "js/main.chunk.js"),
        ("chrome-extension://abc/chunk-ABCDEF12.js", "chunk.js"),
        ("chrome-extension://abc/assets/index-BbzLzrt2.js", "assets/index.js"),
        ("chrome-extension://abc/assets/background-settings.js", "assets/background-settings.js"),
        ("chrome-extension://abc/assets/Settings-MyWidget.js", "assets/Settings-MyWidget.js"),
        ("chrome-extension://abc/js/content-script12.js", "js/content-script12.js"),
        # DevTools-shortened URLs: what follows the ellipsis, without the cut-off segment
        ("…/api/chrome.ts", "api/chrome.ts"),
        (".../api/chrome.ts", "api/chrome.ts"),
        ("chrome-extension://abcdef…/js/file.js", "js/file.js"),
        ("https://example.com/a/…ound/deep/x.js", "deep/x.js"),
        # Hermes' bytecode address names the bundle
        ("address at index.android.bundle", "index.android.bundle"),
        # browser internals with no file of the repository
        ("event_bindings", None),
        ("miscellaneous_bindings", None),
        ("binding.js", None),
        ("VM123", None),
        ("<anonymous>", None),
        ("native", None),
        ("[native code]", None),
        ("eval code", None),
        ("blob:http%3A//localhost%3A8080/abfc40e9-4742-44ed-9dcd-af8f99a29379", None),
        ("node:internal/process/task_queues", None),
    ],
)
def test_normalize_path(location, path):
    assert normalize_path(location) == path


@pytest.mark.parametrize(
    ("location", "in_app"),
    [
        ("chrome-extension://abc/src/a.js", True),
        ("/srv/app/node_modules/lodash/index.js", False),
        ("webpack:///./~/react-dom/index.js", False),
        ("https://cdn.example.com/js/jquery-3.6.0.min.js", False),
        ("chrome-extension://abc/vendor/sortable.js", False),
        ("chrome-extension://abc/lib/browser-polyfill.js", False),
        ("https://x.com/react-dom.production.js", False),
        ("internal/modules/cjs/loader.js", False),
        ("node:net", False),
        ("[native code]", False),
        ("<anonymous>", False),
        ("/var/www/html/wp-includes/class-wp-hook.php", False),
        ("/usr/lib/python3.11/site-packages/requests/api.py", False),
        ("resource://path/data/content/vendor.bundle.js", False),
        ("http://path/to/myvendor/file.js", True),
        # browser internals (issue #23): Chrome's bindings before "extensions::", Firefox's own code
        ("event_bindings", False),
        ("schema_generated_bindings", False),
        ("binding.js", False),
        ("resource://gre/modules/ExtensionCommon.jsm", False),
        ("resource:///modules/ExtensionParent.jsm", False),
        ("resource://devtools/server/actors/webconsole.js", False),
        ("chrome://global/content/elements/browser-custom-element.js", False),
        # but an old add-on's own resource:// files, DevTools' VM scripts and Hermes bundles are
        ("resource://path/data/content/bundle.js", True),
        ("VM123", True),
        ("address at index.android.bundle", True),
        # an error reporter's own files are never the code to fix
        ("http://127.0.0.1:8000/js/stacktrace.js", False),
    ],
)
def test_in_app(location, in_app):
    assert location_facts(location)[1] is in_app
    assert make_frame("f", location, 1, 1).in_app is in_app


def test_host_does_not_change_facts():
    # per-install UUIDs share the cache entry; the result must not depend on the host
    a = location_facts("moz-extension://11111111-1111-4111-8111-111111111111/src/a.js")
    b = location_facts("moz-extension://22222222-2222-4222-8222-222222222222/src/a.js")
    assert a == b == ("src/a.js", True)


def test_fast_path_matches_full_parsers(dev_traces):
    # Given every line of the real traces that the fast path takes
    checked = 0
    for trace in dev_traces:
        for raw in trace["stack"].splitlines():
            line = raw.strip()
            if not line:
                continue
            fast = (stack_module._FAST_V8 if line.startswith("at ") else stack_module._FAST_GECKO).match(line)
            if fast:
                # Then it gives exactly what the per-format parser gives
                slow = stack_module._parse_line(line)
                assert stack_module._fast_frame(fast, line) == slow
                checked += 1
    assert checked > 50


def test_frame_limit_and_bounded_time_on_huge_input():
    line = "    at handler (chrome-extension://abc/src/a.js:1:2)\n"
    huge = line * 250_000  # ~13 MB
    start = time.perf_counter()
    frames = parse_stack(huge)
    elapsed = time.perf_counter() - start
    assert len(frames) == MAX_FRAMES
    assert elapsed < 1.0  # cut at 256 KB and 50 frames; generous bound for slow CI


def test_over_long_lines_and_junk_are_skipped_quickly():
    junk = ("x" * 5_000_000) + "\n" + "\x00\x01\x02" * 1000 + "\nat f (http://a/b.js:1:2)"
    start = time.perf_counter()
    frames = parse_stack(junk)
    assert time.perf_counter() - start < 1.0
    assert frames == ()  # the only frame is beyond the 256 KB cut
    assert parse_stack("") == () and parse_stack(None) == ()
