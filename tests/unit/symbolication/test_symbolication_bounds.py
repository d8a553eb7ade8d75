"""Numbers from input are bounded: a line, column or offset beyond any real bundle — in a filed
stack or inside a map — leaves the frame as filed (counted) and never raises (issue #20).

Each entry point gets boundary values (0, negatives, the bounds ± 1, 2**31, 2**32 ± 1, 2**64,
hundred-digit numbers) and hypothesis: symbolicate() / Symbolicator over a map stored with and
without its bundle, the intake text → symbolication path, maps whose mappings or section
offsets carry huge numbers, bundle_path_of / resolve_source over any text, and the CLI.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.cli import main
from homeostat_core.intake.stack import make_frame
from homeostat_core.symbolication import Symbolicator, bundle_path_of, resolve_source, symbolicate
from homeostat_core.symbolication.limits import MAX_COLUMN, MAX_LINE, position_in_bounds
from tests.unit.symbolication.helpers import FIXTURES, issue_body, report_from

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BUNDLE_URL = "chrome-extension://hpoiebnmdefkcpbbhiegdgnhlmbmlbkn/dist/background.js"
BOUNDARIES = [
    0,
    -1,
    -(2**31),
    1,
    MAX_LINE,
    MAX_LINE + 1,
    MAX_COLUMN,
    MAX_COLUMN + 1,
    2**31 - 1,
    2**31,
    2**32 - 1,
    2**32,
    2**32 + 1,
    2**63,
    2**64 + 1,
    10**100,
]
positions = st.one_of(
    st.none(), st.sampled_from(BOUNDARIES), st.integers(min_value=-(2**70), max_value=2**70)
)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """The v1.0.0 map stored without its bundle (as an upload of maps only), and with it."""
    root = tmp_path_factory.mktemp("maps")
    without, with_bundle = root / "map-only", root / "with-bundle"
    for folder in (without, with_bundle):
        (folder / "dist").mkdir(parents=True)
        shutil.copy(FIXTURES / "v1.0.0" / "dist" / "background.js.map", folder / "dist")
    shutil.copy(FIXTURES / "v1.0.0" / "dist" / "background.js", with_bundle / "dist")
    return {"map only": DirectorySourceMaps(without), "map and bundle": DirectorySourceMaps(with_bundle)}


def _report_with(lines_and_columns):
    """Frames carrying exactly these numbers: intake drops out-of-bounds positions itself
    (tests/unit/intake/test_intake_bounds.py), so they are set past it, as any other caller could."""
    frame = make_frame("c", BUNDLE_URL, 1, 1)
    frames = tuple(dataclasses.replace(frame, line=line, column=column) for line, column in lines_and_columns)
    return dataclasses.replace(report_from("v1.0.0"), frames=frames)


def _expected_unusable(report) -> int:
    return sum(
        1
        for f in report.frames
        if f.in_app and f.line is not None and not position_in_bounds(f.line, f.column)
    )


def test_the_reported_attack_column_4294967297_with_the_map_stored_without_its_bundle(stores):
    # Given the real report with one frame's column set to 2**32 + 1
    stack = (FIXTURES / "v1.0.0" / "stack.txt").read_text().replace(":1:669", ":1:4294967297")
    report = report_from("v1.0.0", stack)
    # Then intake already dropped that frame's position (it keeps its file and function)
    assert (report.frames[0].line, report.frames[0].column) == (None, None)
    # And symbolicated against the map alone, that frame stays as filed; the others are mapped
    mapped, stats = symbolicate(report, stores["map only"])
    assert mapped.frames[0] == report.frames[0] and stats.symbolicated == 2
    # And a frame that reaches symbolication with the column anyway stays as filed, counted
    carried = dataclasses.replace(report.frames[0], line=1, column=4294967297)
    mapped, stats = symbolicate(
        dataclasses.replace(report, frames=(carried, *report.frames[1:])), stores["map only"]
    )
    assert mapped.frames[0] == carried
    assert stats.unusable_positions == 1 and stats.symbolicated == 2
    assert stats.to_json()["unusablePositions"] == 1


@pytest.mark.parametrize("store", ["map only", "map and bundle"])
@pytest.mark.parametrize("value", BOUNDARIES)
def test_each_boundary_as_line_and_as_column(stores, store, value):
    for line, column in ((value, 669), (1, value), (value, value), (value, None)):
        report = _report_with([(line, column), (1, 769)])
        mapped, stats = symbolicate(report, stores[store])
        usable = position_in_bounds(line, column)
        assert stats.unusable_positions == (0 if usable else 1), (line, column)
        if not usable:
            assert mapped.frames[0] == report.frames[0]
        assert mapped.frames[1].path == "src/background.js"  # the good frame is still mapped


def test_the_bounds_are_inclusive_and_below_symbolics_32_bits():
    assert position_in_bounds(MAX_LINE, MAX_COLUMN) and position_in_bounds(1, None)
    assert not position_in_bounds(MAX_LINE + 1, 1) and not position_in_bounds(1, MAX_COLUMN + 1)
    assert not position_in_bounds(0, 1) and not position_in_bounds(1, 0) and not position_in_bounds(True, 1)
    assert max(MAX_LINE, MAX_COLUMN) < 2**31


@FUZZ
@given(
    st.lists(st.tuples(positions, positions), min_size=1, max_size=6),
    st.sampled_from(["map only", "map and bundle"]),
)
def test_any_positions_never_raise_and_bad_ones_are_left_and_counted(stores, frames, store):
    report = _report_with(frames)
    mapped, stats = Symbolicator(stores[store]).symbolicate(report)
    assert stats.unusable_positions == _expected_unusable(report)
    for before, after in zip(report.frames, mapped.frames, strict=True):
        if before.line is not None and not position_in_bounds(before.line, before.column):
            assert after == before
        if after is not before:  # mapped: an original position within the bounds
            assert position_in_bounds(after.line, after.column)


@FUZZ
@given(st.integers(min_value=0, max_value=10**30), st.integers(min_value=0, max_value=10**30))
def test_positions_written_in_the_issue_text_never_raise(stores, line, column):
    # Given a filed issue whose stack carries the numbers as digits (the parser reads any length)
    stack = f"TypeError: x\n    at c ({BUNDLE_URL}:{line}:{column})\n    at m ({BUNDLE_URL}:1:769)\n"
    report = report_from("v1.0.0", stack)
    for store in stores.values():
        mapped, stats = symbolicate(report, store)
        assert stats.unusable_positions == _expected_unusable(report)
        assert mapped.frames[-1].path == "src/background.js"


# --- numbers inside maps ------------------------------------------------------------------------

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def vlq(value: int) -> str:
    """One Base64 VLQ number, as source maps write them (any size, any sign)."""
    bits = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit, bits = bits & 31, bits >> 5
        out += _B64[digit | (32 if bits else 0)]
        if not bits:
            return out


def _map_dir(tmp_path, document) -> DirectorySourceMaps:
    folder = tmp_path / "maps"
    (folder / "dist").mkdir(parents=True, exist_ok=True)
    (folder / "dist" / "background.js.map").write_text(json.dumps(document))
    return DirectorySourceMaps(folder)


vlq_numbers = st.one_of(st.sampled_from(BOUNDARIES + [-(2**32), -(2**64)]), st.integers(-(2**40), 2**40))


@FUZZ
@given(st.lists(st.lists(vlq_numbers, min_size=1, max_size=5), min_size=1, max_size=6), positions, positions)
def test_mappings_with_any_numbers_never_raise(tmp_path_factory, segments, line, column):
    # Given a map whose segments carry any numbers (huge source lines and columns, negative deltas)
    mappings = ",".join("".join(vlq(n) for n in segment) for segment in segments)
    document = {"version": 3, "sources": ["../src/a.js"], "names": ["n"], "mappings": mappings}
    maps = _map_dir(tmp_path_factory.mktemp("m"), document)
    report = _report_with([(line, column), (1, 1), (1, 2)])
    # When frames are looked up in it, Then nothing raises and a mapped frame stays within bounds
    mapped, stats = symbolicate(report, maps)
    for before, after in zip(report.frames, mapped.frames, strict=True):
        assert after == before or position_in_bounds(after.line, after.column)


def test_a_map_that_sends_a_frame_beyond_any_real_source_is_skipped_with_the_reason(tmp_path):
    # Given a map whose only segment maps 1:1 to source line 2**31 (a crafted or broken map)
    mappings = vlq(0) + vlq(0) + vlq(2**31) + vlq(0)
    maps = _map_dir(tmp_path, {"version": 3, "sources": ["../src/a.js"], "names": [], "mappings": mappings})
    report = _report_with([(1, 1)])
    mapped, stats = symbolicate(report, maps)
    assert mapped.frames == report.frames
    [(_where, reason)] = stats.skipped_maps
    assert "beyond any real source" in reason, reason


@pytest.mark.parametrize(
    "offset",
    [
        {"line": 2**32 + 1, "column": 0},
        {"line": -1, "column": 0},
        {"line": 0, "column": 2**64},
        {"line": 10**100, "column": 0},
    ],
)
def test_an_index_map_with_an_absurd_section_offset_never_raises(tmp_path, offset):
    inner = json.loads((FIXTURES / "v1.0.0" / "dist" / "background.js.map").read_text())
    document = {"version": 3, "sections": [{"offset": offset, "map": inner}]}
    report = report_from("v1.0.0")
    mapped, stats = symbolicate(report, _map_dir(tmp_path, document))
    for before, after in zip(report.frames, mapped.frames, strict=True):
        assert after == before or position_in_bounds(after.line, after.column)


# --- paths and the CLI ----------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=200), st.text(max_size=60), st.text(max_size=60))
def test_locations_and_sources_of_any_text_never_raise(location, source, root):
    path = bundle_path_of(location)
    assert path is None or (".." not in path.split("/") and not path.startswith("/"))
    resolved = resolve_source(source, root, "dist/background.js.map")
    assert resolved is None or not (resolved.startswith(("/", "../")) or resolved == "..")


def test_the_cli_prints_the_unusable_position_and_exits_0(tmp_path, capsys):
    stack = (FIXTURES / "v1.0.0" / "stack.txt").read_text().replace(":1:669", ":1:4294967297")
    issue = tmp_path / "issue.md"
    issue.write_text("# [NoteBridge] TypeError: Cannot read properties of undefined (reading 'notes')\n\n")
    issue.write_text(issue.read_text() + issue_body("v1.0.0", stack))
    maps = tmp_path / "maps" / "dist"
    maps.mkdir(parents=True)
    shutil.copy(FIXTURES / "v1.0.0" / "dist" / "background.js.map", maps)
    assert main(["symbolicate", "--maps", str(maps.parent), "--issue", str(issue)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    printed = json.loads(line)
    # the position was dropped at intake: the frame is printed as filed, without it, and not mapped
    assert printed["frames"][0]["column"] is None and printed["frames"][0]["line"] is None
    assert "minified" not in printed["frames"][0] and printed["frames"][1]["path"] == "src/background.js"


def test_an_inline_map_is_bounded_before_it_is_decoded():
    from homeostat_core.ports import SourceMapRejected
    from homeostat_core.symbolication.forge_maps import _inline_map

    payload = base64.b64encode(b"x" * 1000).decode()
    with pytest.raises(SourceMapRejected, match="larger than"):
        _inline_map(f"data:application/json;base64,{payload}", "dist/a.js", 999)
    assert _inline_map(f"data:application/json;base64,{payload}", "dist/a.js", 1000) == b"x" * 1000


def test_a_bundle_too_large_for_scopes_still_maps_with_call_site_names(stores, monkeypatch):
    # Given a limit below the fixture bundle's size (reading scopes peaks at ~55x the bundle)
    import importlib

    from homeostat_core.symbolication.symbolicate import PARSED_MAPS

    module = importlib.import_module("homeostat_core.symbolication.symbolicate")

    PARSED_MAPS.clear()
    with_scopes, _ = symbolicate(report_from("v1.0.0"), stores["map and bundle"])
    monkeypatch.setattr(module, "MAX_SCOPES_BUNDLE_BYTES", 10)
    PARSED_MAPS.clear()
    mapped, stats = symbolicate(report_from("v1.0.0"), stores["map and bundle"])
    PARSED_MAPS.clear()
    # Then every frame is still mapped to the same places; names come from the callers' call sites
    assert stats.symbolicated == 3
    assert [(f.path, f.line) for f in mapped.frames] == [(f.path, f.line) for f in with_scopes.frames]
    assert mapped.frames[0].function == "saveNote"
