"""The two-release fixture: a small extension bundled and minified by esbuild in two releases
(tests/fixtures/sourcemaps/build.sh), with the real V8 stack of one bug from each."""

from __future__ import annotations

from pathlib import Path

from homeostat_core.intake import parse_issue
from homeostat_core.models import ErrorReport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sourcemaps"
RELEASES = ("v1.0.0", "v1.1.0")
MESSAGE = "Cannot read properties of undefined (reading 'notes')"
TITLE = f"[NoteBridge] TypeError: {MESSAGE}"


def issue_body(release: str, stack: str | None = None) -> str:
    stack = stack if stack is not None else (FIXTURES / release / "stack.txt").read_text()
    return (
        "## Error Details\n"
        f"- Extension: NoteBridge {release}\n"
        "- Error Type: TypeError\n"
        f"- Message: {MESSAGE}\n\n"
        f"## Stack Trace\n```\n{stack}```\n\n"
        "## Breadcrumbs\n1. Popup opened\n2. Save clicked\n"
    )


def report_from(release: str, stack: str | None = None) -> ErrorReport:
    return parse_issue(TITLE, issue_body(release, stack), ["robot"])


def source_line_of(release: str, path: str, needle: str) -> int:
    """1-based line of `needle` in the release's original source file."""
    lines = (FIXTURES / release / path).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)
