"""Numbers from input are bounded (issue #20, item 4): a line or column beyond realistic bounds,
negative, absurdly long or not an ASCII number makes the frame's position unusable (dropped),
never an exception — at every parser entry point, and downstream (fingerprints of every version,
symbolication of a map stored without its bundle)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeostat_core.fingerprint import PREVIOUS_VERSIONS, fingerprint, fingerprint_stack
from homeostat_core.fingerprint_history import known_fingerprint
from homeostat_core.intake import UnparseableIssue, make_frame, parse_issue, parse_stack, split_location
from homeostat_core.intake.paths import location_facts, normalize_path
from homeostat_core.intake.stack import MAX_COLUMN, MAX_LINE

URL = "chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/js/background.js"

# Every shape that carries a position, with {l} and {c} for the numbers as printed.
SHAPES = [
    "    at onMessage (" + URL + ":{l}:{c})",
    "    at " + URL + ":{l}:{c}",
    "    at onMessage (" + URL + ":{l})",
    "    at Object.<anonymous> (/srv/my app/js/background.js:{l}:{c})",
    "    at baz (eval at foo (" + URL + ":{l}:{c}), <anonymous>:1:2)",
    "    at anonymous (address at index.android.bundle:{l}:{c})",
    "    at Name@safari-extension:(//com.x-8T4B2M7A3Q/2665fee0/js/background.js:{l}:{c})",
    "onMessage@" + URL + ":{l}:{c}",
    "onMessage@" + URL + " line {l} > eval:1:{c}",
    "onMessage@safari-extension:(//com.x/js/background.js:{l}:{c})",
    URL + ":{l}:{c}",
    "onMessage " + URL + ":{l}",
    "background.js:{l} (anonymous function)",
    URL + ":{l}:{c} onMessage",
    "Stack Trace: background.js:{l} (anonymous function)",
    "msg,https://x.example/app.js,{l}",
    "Error in event handler: TypeError: x at " + URL + ":{l}:{c}",
    "  Line {l} of linked script " + URL,
    "called from line {l}, column {c} in run(ex) in " + URL + ":",
    "#0 /var/www/html/wp-content/plugins/p/includes/db.php({l}): PDO->query('x')",
    'File "/srv/app/jobs/sync.py", line {l}, in run',
]

NUMBERS = [
    "0",
    "1",
    str(MAX_LINE),
    str(MAX_LINE + 1),
    str(MAX_COLUMN),
    str(MAX_COLUMN + 1),
    "4294967297",
    "9" * 12,
    "9" * 13,
    "9" * 400,
    "9" * 5000,  # past Python's int() digit limit
    "-1",
    "٣",  # an Arabic-Indic digit: a decimal int() reads
    "²",  # a superscript: str.isdigit() says yes, int() raises
    "1e5",
    "",
]


def _usable(frame):
    return (frame.line is None or 0 <= frame.line <= MAX_LINE) and (
        frame.column is None or 0 <= frame.column <= MAX_COLUMN
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("number", NUMBERS)
def test_every_shape_with_every_boundary_number(shape, number):
    text = shape.format(l=number, c=number)
    frames = parse_stack(text)  # never raises
    assert all(_usable(f) for f in frames), frames
    fingerprint_stack("TypeError", "boom", text)


@pytest.mark.parametrize("shape", SHAPES[:3] + SHAPES[7:8] + SHAPES[10:14])
def test_in_bounds_positions_are_kept_and_out_of_bounds_ones_dropped_together(shape):
    (frame,) = parse_stack(shape.format(l="42", c="17"))
    assert frame.line == 42 and frame.column in (17, None)
    (frame,) = parse_stack(shape.format(l=str(MAX_LINE), c=str(MAX_COLUMN)))
    assert frame.line == MAX_LINE
    cases = [("4294967297", "5"), ("9" * 13, "5")] + ([("42", "4294967297")] if "{c}" in shape else [])
    for line, column in cases:
        frames = parse_stack(shape.format(l=line, c=column))
        assert all(f.line is None and f.column is None for f in frames), frames


@given(
    line=st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70)),
    column=st.one_of(st.none(), st.integers(min_value=-(2**70), max_value=2**70)),
)
@settings(max_examples=200, deadline=None)
def test_structured_frames_are_bounded(line, column):
    # Sentry-style JSON frames reach make_frame with whatever numbers they carry
    frame = make_frame("f", URL, line, column)
    assert _usable(frame)
    in_bounds = (line is None or 0 <= line <= MAX_LINE) and (column is None or 0 <= column <= MAX_COLUMN)
    assert (frame.line, frame.column) == ((line, column) if in_bounds else (None, None))


@pytest.mark.parametrize("value", [1.5, "12", True, float("inf"), float("nan")])
def test_structured_frames_with_non_int_positions_drop_them(value):
    frame = make_frame("f", URL, value, value)  # type: ignore[arg-type]
    assert (frame.line, frame.column) == (None, None)


@given(text=st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_split_location_and_paths_never_raise(text):
    file, line, column = split_location(text)
    assert isinstance(file, str)
    assert line is None or 0 <= line <= MAX_LINE
    assert column is None or 0 <= column <= MAX_COLUMN
    normalize_path(text)
    location_facts(text)


@given(
    numbers=st.lists(
        st.one_of(st.sampled_from(NUMBERS), st.integers(min_value=-(10**20), max_value=10**20).map(str)),
        min_size=2,
        max_size=2,
    ),
    shape=st.sampled_from(SHAPES),
)
@settings(max_examples=300, deadline=None)
def test_filed_issues_with_any_numbers_parse_or_fail_cleanly(numbers, shape):
    line, column = numbers
    stack = shape.format(l=line, c=column)
    body = (
        "## Error Details\n- Extension: TabKeeper v2.1.0\n- Error Type: TypeError\n- Message: boom\n"
        f"- Line: {line}\n- File: includes/db.php\n\n"
        f"## Stack Trace\n```\n{stack}\n```\n\n## Breadcrumbs\n1. Popup opened\n"
    )
    for labels in (["robot"], ["robot", "source:wordpress"]):
        try:
            report = parse_issue("[TabKeeper] TypeError: boom", body, labels)
        except UnparseableIssue:
            continue
        assert all(_usable(f) for f in report.frames)
        # every version's id, as the pipeline's lookup computes them, and no exception
        fingerprint(report)
        known_fingerprint(report, lambda _id: False, versions=PREVIOUS_VERSIONS)


def test_server_fields_with_odd_line_numbers():
    for line in ("²", "9" * 5000, "-3", "4294967297"):
        body = (
            "## Error Details\n- **Product**: p\n- **Error Type**: PDOException\n- **Message**: boom\n\n"
            f"## PHP Environment\n- File: includes/db.php\n- Line: {line}\n"
        )
        report = parse_issue("[p] PDOException: boom", body, ["robot", "source:wordpress"])
        assert [(f.path, f.line) for f in report.frames] == [("includes/db.php", None)]


def test_a_huge_column_against_a_map_stored_without_its_bundle():
    # The OverflowError of issue #20: column 4294967297, the map found but not its bundle
    from homeostat_core.ports import SourceMapFile
    from homeostat_core.symbolication import symbolicate
    from tests.unit.symbolication.helpers import FIXTURES, report_from

    map_data = (FIXTURES / "v1.0.0" / "dist" / "background.js.map").read_bytes()

    class MapWithoutBundle:
        def find_map(self, bundle_path):
            return SourceMapFile(map_path="dist/background.js.map", data=map_data)

    stack = (FIXTURES / "v1.0.0" / "stack.txt").read_text().replace(":1:669", ":1:4294967297")
    report = report_from("v1.0.0", stack)
    assert report.frames[0].column is None and report.frames[0].line is None
    mapped, _stats = symbolicate(report, MapWithoutBundle())  # no exception
    assert mapped.frames[0] == report.frames[0]  # an unusable position is not looked up
