"""Bad maps are skipped with a reason, never a crash; source paths resolve inside the repo."""

from __future__ import annotations

import json
import shutil

import pytest

from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.symbolication import bundle_path_of, resolve_source, symbolicate
from homeostat_core.symbolication.limits import MB
from tests.unit.symbolication.helpers import FIXTURES, report_from

GOOD_MAP = FIXTURES / "v1.0.0" / "dist" / "background.js.map"


@pytest.mark.parametrize(
    ("source", "root", "map_path", "expected"),
    [
        ("../src/lib/storage.js", "", "dist/background.js.map", "src/lib/storage.js"),
        ("lib/storage.js", "../src", "dist/background.js.map", "src/lib/storage.js"),
        ("webpack://notebridge/./src/lib/storage.js", "", "dist/bg.js.map", "src/lib/storage.js"),
        ("webpack:///./src/lib/storage.js?abc1", "", "dist/bg.js.map", "src/lib/storage.js"),
        ("webpack:///src/popup.js", "", "build/x/y.js.map", "src/popup.js"),
        ("webpack://notebridge/./node_modules/idb/x.js", "", "dist/bg.js.map", "node_modules/idb/x.js"),
        ("../../../etc/passwd", "", "dist/bg.js.map", None),
        ("webpack://ns/../../outside.js", "", "dist/bg.js.map", None),
        ("/home/ci/work/src/x.js", "", "dist/bg.js.map", None),
        ("C:\\build\\src\\x.js", "", "dist/bg.js.map", None),
        ("file:///home/ci/src/x.js", "", "dist/bg.js.map", None),
        ("https://cdn.example.com/x.js", "", "dist/bg.js.map", None),
    ],
)
def test_sources_resolve_relative_to_the_map_and_never_outside_the_repo(source, root, map_path, expected):
    assert resolve_source(source, root, map_path) == expected


def test_a_frame_location_names_its_bundle_path():
    assert bundle_path_of("chrome-extension://abc/dist/background.js?v=2#x") == "dist/background.js"
    assert bundle_path_of("moz-extension://8c7d/popup.html") == "popup.html"
    assert bundle_path_of("dist/app.js") == "dist/app.js"
    assert bundle_path_of("chrome-extension://abc/../../etc/x.js") is None
    assert bundle_path_of("chrome-extension://abc") is None


def _maps_dir(tmp_path, content: bytes):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "background.js.map").write_bytes(content)
    return DirectorySourceMaps(tmp_path)


def _assert_skipped(maps, reason_part):
    report = report_from("v1.0.0")
    mapped, stats = symbolicate(report, maps)
    assert mapped.frames == report.frames  # nothing changed, nothing raised
    assert stats.symbolicated == 0 and stats.still_minified == 3
    [(where, reason)] = stats.skipped_maps
    assert where.endswith("background.js.map") and reason_part in reason, reason
    return reason


def test_a_map_that_is_not_json(tmp_path):
    _assert_skipped(_maps_dir(tmp_path, b"<html>404 Not Found</html>"), "not JSON")


def test_json_that_is_not_a_source_map(tmp_path):
    _assert_skipped(_maps_dir(tmp_path, b'{"version": 3, "sources": []}'), "no 'mappings'")
    (tmp_path / "dist" / "background.js.map").write_bytes(b'{"mappings": "AAAA", "sources": [1]}')
    _assert_skipped(DirectorySourceMaps(tmp_path), "'sources'")


def test_a_map_pointing_outside_the_repository(tmp_path):
    document = json.loads(GOOD_MAP.read_text())
    document["sources"] = ["../../../../etc/" + s.rsplit("/", 1)[1] for s in document["sources"]]
    _assert_skipped(_maps_dir(tmp_path, json.dumps(document).encode()), "outside the repository")


def test_a_map_over_the_size_limit_is_not_read(tmp_path):
    # Given a map one byte over the default limit of 20 MB (HOMEOSTAT_SOURCEMAP_MAX_MB)
    maps = _maps_dir(tmp_path, b"")
    with open(tmp_path / "dist" / "background.js.map", "wb") as handle:
        handle.truncate(20 * MB + 1)  # sparse: the size is real, the disk is not used
    # Then it is skipped with the limit and the setting named
    reason = _assert_skipped(maps, "larger than 20 MB (HOMEOSTAT_SOURCEMAP_MAX_MB)")
    assert str(20 * MB + 1) in reason


def test_a_map_of_another_build_is_out_of_range(tmp_path):
    # Given the map and bundle of release 1.0.0 beside a stack whose positions it does not cover
    (tmp_path / "dist").mkdir()
    shutil.copy(GOOD_MAP, tmp_path / "dist")
    shutil.copy(FIXTURES / "v1.0.0" / "dist" / "background.js", tmp_path / "dist")
    far = (FIXTURES / "v1.0.0" / "stack.txt").read_text().replace(":1:", ":7:")
    report = report_from("v1.0.0", far)
    mapped, stats = symbolicate(report, DirectorySourceMaps(tmp_path))
    assert mapped.frames == report.frames
    assert "mappings out of range" in stats.skipped_maps[0][1]


def test_a_map_without_the_bundle_checks_the_mapped_line(tmp_path):
    maps = _maps_dir(tmp_path, GOOD_MAP.read_bytes())
    far = (FIXTURES / "v1.0.0" / "stack.txt").read_text().replace(":1:", ":9:")
    mapped, stats = symbolicate(report_from("v1.0.0", far), maps)
    assert stats.symbolicated == 0 and "out of range" in stats.skipped_maps[0][1]


def test_a_symlinked_map_outside_the_folder_is_not_followed(tmp_path):
    outside = tmp_path / "outside.map"
    outside.write_bytes(GOOD_MAP.read_bytes())
    root = tmp_path / "maps"
    (root / "dist").mkdir(parents=True)
    (root / "dist" / "background.js.map").symlink_to(outside)
    _report, stats = symbolicate(report_from("v1.0.0"), DirectorySourceMaps(root))
    assert stats.symbolicated == 0


def test_a_frame_without_a_column_on_the_bundles_first_line_is_not_guessed():
    stack = (FIXTURES / "v1.0.0" / "stack.txt").read_text()
    no_columns = "\n".join(
        line.rsplit(":", 1)[0] + ")" if " at " in line else line for line in stack.splitlines()
    )
    report = report_from("v1.0.0", no_columns + "\n")
    assert all(f.column is None and f.line == 1 for f in report.frames)
    mapped, stats = symbolicate(report, DirectorySourceMaps(FIXTURES / "v1.0.0"))
    assert mapped.frames == report.frames and stats.symbolicated == 0 and stats.still_minified == 0
