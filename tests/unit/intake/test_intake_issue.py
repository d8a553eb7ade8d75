"""Logger issue parsing: the documented examples, leniency on layout, strictness on content."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from homeostat_core.intake import MAX_BODY_BYTES, UnparseableIssue, detect_source, parse_issue
from homeostat_core.models import Source

DOCS = Path(__file__).resolve().parents[3] / "docs" / "INTAKE.md"
EXAMPLE = re.compile(
    r"<!-- example: (\w+) labels=([\w:,-]+) -->\n````markdown\n# (.*?)\n(.*?)\n````", re.DOTALL
)


def _doc_examples() -> dict[str, tuple[str, str, list[str]]]:
    found = {
        m.group(1): (m.group(3), m.group(4), m.group(2).split(","))
        for m in EXAMPLE.finditer(DOCS.read_text())
    }
    assert set(found) == {"extension", "wordpress", "vps"}
    return found


EXAMPLES = _doc_examples()


def _extension_body(
    stack: str = "    at f1 (chrome-extension://abc/src/a.js:1:2)", crumbs: str = "1. Opened"
) -> str:
    return (
        "## Error Details\n- Extension: NoteBridge v1.2.0\n- Message: boom\n\n"
        f"## Stack Trace\n```\nTypeError: boom\n{stack}\n```\n\n## Breadcrumbs\n{crumbs}\n"
    )


def test_extension_example_from_docs():
    title, body, labels = EXAMPLES["extension"]
    report = parse_issue(title, body, labels, number=17)
    assert report.source is Source.EXTENSION
    assert (report.product, report.extension_name, report.extension_version) == (
        "NoteBridge",
        "NoteBridge",
        "1.2.0",
    )
    assert (report.error_type, report.message) == (
        "TypeError",
        "Cannot read properties of undefined (reading 'title')",
    )
    assert [(f.function, f.path, f.line, f.column, f.in_app) for f in report.frames] == [
        ("renderNote", "src/popup/render.js", 42, 17, True),
        ("loadNotes", "src/popup/index.js", 10, 5, True),
        ("Array.forEach", None, None, None, False),
    ]
    assert report.breadcrumbs == ("Popup opened", "Notes list requested", "Rendering 12 notes")
    assert report.logger_fingerprint == "nb-7f3a91"
    assert report.timestamp == "2025-03-18T18:45:00Z"
    assert report.user_description == "The popup went blank after I synced."
    assert report.issue_number == 17


def test_wordpress_example_from_docs():
    title, body, labels = EXAMPLES["wordpress"]
    report = parse_issue(title, body, labels)
    assert report.source is Source.WORDPRESS
    assert report.product == "cloudcode-wp-plugin"
    assert report.error_type == "PDOException"
    assert report.message == "SQLSTATE[HY000] [2002] Connection refused"
    assert report.extension_version == "1.4.2"
    assert report.fields["occurrences"] == "3/3 (threshold reached)"
    assert report.fields["runtime"] == "PHP 8.2.10"
    assert report.breadcrumbs == ()
    assert [(f.path, f.line, f.in_app) for f in report.frames] == [
        ("includes/database.php", 45, True),
        ("includes/backup.php", 120, True),
        ("class-wp-hook.php", 324, False),
    ]
    assert report.context == "User initiated backup operation"


def test_vps_example_from_docs():
    title, body, labels = EXAMPLES["vps"]
    report = parse_issue(title, body, labels)
    assert report.source is Source.VPS
    assert (report.product, report.extension_version) == ("brandcopilot", "2.0.1")
    assert report.fields["job"] == "daily-report"
    assert report.fields["location"] == "api/fetch-brands.js:78"
    assert report.message == "connect ECONNREFUSED 127.0.0.1:5432"
    assert [(f.function, f.path, f.in_app) for f in report.frames] == [
        ("fetchBrands", "api/fetch-brands.js", True),
        ("runJob", "cron/daily-sync.js", True),
        ("TCPConnectWrap.afterConnect [as oncomplete]", None, False),
    ]


@pytest.mark.parametrize(
    ("labels", "source"),
    [
        (["robot", "source:wordpress"], Source.WORDPRESS),
        (["source:vps"], Source.VPS),
        (["source:cloakpipe"], Source.EXTENSION),
        ([], Source.EXTENSION),
        ([{"name": "Source:VPS"}], Source.VPS),
    ],
)
def test_source_from_labels(labels, source):
    assert detect_source(labels) is source


def test_lenient_layout_headings_order_bold_fields_and_whitespace():
    # Given ### headings in another order, bold field names, odd case and spacing, ~~~ fences
    body = (
        "\n\n### breadcrumbs:\n  1) Opened popup  \n  2) Clicked sync\n\n"
        "###   Stack Trace  \n~~~js\nf1@moz-extension://0b1c/src/sync.js:9:3\n~~~\n"
        "### ERROR DETAILS\n- **extension**: NoteBridge v2.0.0-beta.1\n-   **Message:**   sync failed  \n"
    )
    report = parse_issue("  [NoteBridge]   Error:   sync failed  ", body, ["robot"])
    assert (report.error_type, report.message) == ("Error", "sync failed")
    assert report.extension_version == "2.0.0-beta.1"
    assert report.breadcrumbs == ("Opened popup", "Clicked sync")
    assert [(f.function, f.path, f.line) for f in report.frames] == [("f1", "src/sync.js", 9)]


def test_bare_stack_without_fence_and_heading_inside_fence_is_code():
    body = (
        "## Error Details\n- Message: boom\n\n## Stack Trace\n"
        "    at f1 (chrome-extension://abc/src/a.js:1:2)\n\n"
        "## Breadcrumbs\n```\n## not a heading\n```\n1. Opened\n"
    )
    report = parse_issue("[X] TypeError: boom", body, [])
    assert report.frames[0].path == "src/a.js"
    assert report.breadcrumbs == ("Opened",)


def test_details_override_truncated_title_and_uncaught_is_dropped():
    body = _extension_body().replace(
        "- Message: boom", "- Error Type: Uncaught TypeError\n- Message: boom and the rest"
    )
    report = parse_issue("[NoteBridge] TypeError: boom and the re…", body, [])
    assert (report.error_type, report.message) == ("TypeError", "boom and the rest")


def test_type_and_message_from_details_when_title_is_free_text():
    body = _extension_body().replace("- Message: boom", "- Error Type: RangeError\n- Message: too deep")
    report = parse_issue("Something broke in the popup", body, [])
    assert (report.product, report.error_type, report.message) == ("NoteBridge", "RangeError", "too deep")


def test_page_frames_are_not_in_app_when_the_extension_has_frames():
    stack = "    at f1 (chrome-extension://abc/src/a.js:1:2)\n    at https://site.example/app.js:3:4"
    report = parse_issue("[X] TypeError: boom", _extension_body(stack), [])
    assert [f.in_app for f in report.frames] == [True, False]


def test_server_issue_without_stack_uses_location_field():
    body = "**Error Type:** Error\n**Location:** api/fetch-brands.js:78\n\n## Error Message\nECONNREFUSED\n"
    report = parse_issue("[brandcopilot] Error: ECONNREFUSED", body, ["source:vps"])
    assert [(f.path, f.line) for f in report.frames] == [("api/fetch-brands.js", 78)]


def test_server_issue_without_stack_uses_php_environment():
    body = "## Error Message\nboom\n\n## PHP Environment\n- Runtime: PHP 8.1\n- File: includes/db.php\n- Line: 12\n"
    report = parse_issue("[wp] Error: boom", body, ["source:wordpress"])
    assert [(f.path, f.line) for f in report.frames] == [("includes/db.php", 12)]


@pytest.mark.parametrize(
    ("title", "body", "labels", "code"),
    [
        ("not a logger title", "## Error Details\n- Extension: X v1\n", [], "bad_title"),
        ("[X] TypeError:", "", ["source:vps"], "bad_title"),
        ("[X] TypeError: boom", "## Breadcrumbs\n1. a\n", [], "no_frames"),
        (
            "[X] TypeError: boom",
            "## Stack Trace\n```\nTest stack trace\n```\n## Breadcrumbs\n1. a\n",
            [],
            "no_frames",
        ),
        ("[X] TypeError: boom", _extension_body(crumbs=""), [], "missing_breadcrumbs"),
        ("[X] TypeError: boom", "x" * (MAX_BODY_BYTES + 1), [], "too_large"),
        ("[X] TypeError: boom", "é" * (MAX_BODY_BYTES // 2 + 1), [], "too_large"),  # bytes, not characters
        ("[X] " + "T" * 100_000, _extension_body(), [], "too_large"),
        ("[X] TypeError: boom", _extension_body() + "\x00", [], "binary"),
        ("[X] TypeError: boom", "\x01\x02\x03\x04" * 50, [], "binary"),
        ("[X] TypeError: boom", "ok \udc80 surrogate", [], "binary"),
        ("[X] TypeError: boom", b"\xff\xfe\x00junk", [], "binary"),
    ],
)
def test_unparseable_issues_have_stable_codes(title, body, labels, code):
    with pytest.raises(UnparseableIssue) as caught:
        parse_issue(title, body, labels)
    assert caught.value.code == code
    assert caught.value.reason and str(caught.value) == caught.value.reason


def test_bytes_input_is_decoded():
    report = parse_issue(b"[X] TypeError: boom", _extension_body().encode(), [])
    assert report.message == "boom"


def test_server_issue_needs_no_breadcrumbs_or_stack():
    report = parse_issue("[wp] PDOException: gone", "", ["source:wordpress"])
    assert (report.frames, report.breadcrumbs) == ((), ())


def test_caps_on_breadcrumbs_and_frames():
    crumbs = "\n".join(f"{i}. step {i}" for i in range(1, 500))
    stack = "\n".join(f"    at fn{i} (chrome-extension://abc/src/a.js:{i}:1)" for i in range(500))
    report = parse_issue("[X] TypeError: boom", _extension_body(stack, crumbs), [])
    assert len(report.breadcrumbs) == 100
    assert len(report.frames) == 50


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            "## Stack Trace\n```\n" + "    at f (chrome-extension://abc/src/a.js:1:2)\n" * 200_000 + "```",
            "too_large",
        ),
        ("\x00" * 10_000_000, "too_large"),
        ("\x00" * 1000, "binary"),
        ("## Stack Trace\n" + "(" * 99_000 + "\n## Breadcrumbs\n1. a\n", "no_frames"),
        ("## Stack Trace\n" + "at " + "a:" * 40_000 + "\n## Breadcrumbs\n1. a\n", "no_frames"),
        ("## Error Details\n" + "- " + "a" * 99_000 + ":", "no_frames"),
        ("## Stack Trace\n```\n" + "f@h://x/a.js:1:2\n" * 5000 + "```\n## Breadcrumbs\n1. a\n", None),
    ],
)
def test_hostile_bodies_fail_or_parse_in_bounded_time(body, code):
    start = time.perf_counter()
    try:
        report = parse_issue("[X] TypeError: boom", body, [])
        outcome = None
        assert len(report.frames) == 50
    except UnparseableIssue as exc:
        outcome = exc.code
    assert time.perf_counter() - start < 0.5  # typical: well under 50 ms; generous for loaded CI
    assert outcome == code
