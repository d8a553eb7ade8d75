"""The same bug from two releases of a minified bundle (issue #14, item 1 "done when")."""

from __future__ import annotations

import shutil

import pytest

from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.fingerprint import fingerprint
from homeostat_core.symbolication import symbolicate
from tests.unit.symbolication.helpers import FIXTURES, RELEASES, report_from, source_line_of


def test_the_fixture_really_differs_between_releases():
    # Given the two real stacks: different minified names, columns and install ids
    one, two = (report_from(r).frames[0] for r in RELEASES)
    assert one.function != two.function and one.column != two.column
    assert one.file.split("/")[2] != two.file.split("/")[2]
    assert one.path == two.path == "dist/background.js"


def test_with_maps_one_id_naming_the_original_file_and_function():
    # When each report is symbolicated with its own release's maps
    results = [symbolicate(report_from(r), DirectorySourceMaps(FIXTURES / r)) for r in RELEASES]
    fingerprints = [fingerprint(report) for report, _stats in results]
    # Then both are one fingerprint, pointing at the original source
    assert fingerprints[0].id == fingerprints[1].id
    assert fingerprints[0].file_path == "src/lib/storage.js"
    assert fingerprints[0].top_stack_frame == "saveNote (src/lib/storage.js)"
    assert fingerprints[0].full_signature.split(":")[2] == "saveNote"
    assert [f.function for f in results[0][0].frames] == ["saveNote", "handleMessage", "onMessage"]
    # And each top frame has the original line, which moved between releases
    for release, (report, stats) in zip(RELEASES, results, strict=True):
        top = report.frames[0]
        assert top.line == source_line_of(release, "src/lib/storage.js", "const notes = store.data.notes")
        assert top.in_app and top.file == "src/lib/storage.js"
        assert stats.symbolicated == stats.in_app_frames == 3 and stats.still_minified == 0
    assert results[0][0].frames[0].line != results[1][0].frames[0].line


def test_without_maps_still_one_id_on_the_bundle():
    fingerprints = [fingerprint(report_from(r)) for r in RELEASES]
    assert fingerprints[0].id == fingerprints[1].id
    assert fingerprints[0].file_path == "dist/background.js"
    _report, stats = symbolicate(report_from(RELEASES[0]), DirectorySourceMaps(FIXTURES / "missing"))
    assert stats.symbolicated == 0 and stats.still_minified == 3 and stats.skipped_maps == ()


def test_maps_without_the_bundle_still_give_one_id_from_call_site_names(tmp_path):
    # Given only the .map files (no minified bundle beside them)
    fingerprints = []
    for release in RELEASES:
        (tmp_path / release / "dist").mkdir(parents=True)
        shutil.copy(FIXTURES / release / "dist" / "background.js.map", tmp_path / release / "dist")
        report, _stats = symbolicate(report_from(release), DirectorySourceMaps(tmp_path / release))
        fingerprints.append(fingerprint(report))
    # Then the names come from the callers' call sites: still one id on the original file
    assert fingerprints[0].id == fingerprints[1].id
    assert fingerprints[0].top_stack_frame == "saveNote (src/lib/storage.js)"


@pytest.mark.parametrize("release", RELEASES)
def test_the_filed_stack_text_is_kept_for_older_fingerprint_versions(release):
    report = report_from(release)
    mapped, _stats = symbolicate(report, DirectorySourceMaps(FIXTURES / release))
    assert mapped.stack == report.stack and mapped.frames != report.frames
