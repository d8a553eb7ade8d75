"""Versioned fingerprints (issue #14, item 4): the current version, and the ids an error had
under older versions so its attempts, PRs and patterns are found after an upgrade."""

from __future__ import annotations

import json

import pytest

from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.fingerprint import (
    FINGERPRINT_VERSION,
    PREVIOUS_VERSIONS,
    find_by_fingerprint,
    fingerprint,
    fingerprint_at_version,
    fingerprint_with_history,
)
from homeostat_core.intake import parse_issue
from homeostat_core.symbolication import symbolicate
from tests.unit.symbolication.helpers import FIXTURES, report_from


def _report(stack, error_type="TypeError", message="boom"):
    body = (
        f"## Error Details\n- Extension: NoteBridge v1.2.0\n- Error Type: {error_type}\n- Message: {message}\n\n"
        f"## Stack Trace\n```\n{stack}\n```\n\n## Breadcrumbs\n1. Popup opened\n"
    )
    return parse_issue(f"[NoteBridge] {error_type}: {message}", body, ["robot"])


def test_versions_are_dated_and_the_current_one_is_stamped():
    assert FINGERPRINT_VERSION == "2026-12" and PREVIOUS_VERSIONS == ("2026-11",)
    fp = fingerprint(_report("    at save (chrome-extension://abc/src/s.js:1:1)"))
    assert fp.version == FINGERPRINT_VERSION and fp.to_json()["version"] == "2026-12"
    assert (
        fingerprint_at_version(
            _report("    at save (chrome-extension://abc/src/s.js:1:1)"), "2026-11"
        ).version
        == "2026-11"
    )


def test_an_error_the_new_rules_do_not_touch_keeps_its_id():
    report = _report(
        "    at saveNote (chrome-extension://abc/src/lib/storage.js:12:18)\n    at onClick (chrome-extension://abc/src/popup/main.js:40:5)"
    )
    fp = fingerprint_with_history(report)
    assert fp.id == fingerprint_at_version(report, "2026-11").id and fp.previous_ids == ()


@pytest.mark.parametrize(
    ("stack", "old_path"),
    [
        # 2026-11 read Chrome's "(async URL)" as a file "async chrome-extension:/_/…", which is not
        # the extension's own URL, so the report had no in-app file at all
        ("    at loadAll (async chrome-extension://abc/src/loader.js:9:14)", "unknown"),
        # 2026-11 kept per-build hash directories
        (
            "    at saveNote (chrome-extension://abc/5d41402a/src/lib/storage.js:12:18)",
            "5d41402a/src/lib/storage.js",
        ),
    ],
)
def test_a_changed_id_carries_the_old_one(stack, old_path):
    report = _report(stack)
    fp = fingerprint_with_history(report)
    old = fingerprint_at_version(report, "2026-11")
    assert old.file_path == old_path
    assert fp.id != old.id and fp.previous_ids == (old.id,)
    assert fp.to_json()["previousIds"] == [old.id]


def test_symbolication_changes_the_id_and_the_old_one_is_the_filed_stacks():
    # Given a minified report symbolicated with its maps
    report = report_from("v1.0.0")
    mapped, _stats = symbolicate(report, DirectorySourceMaps(FIXTURES / "v1.0.0"))
    fp = fingerprint_with_history(mapped)
    # Then the new id names the original file, and the old id is what 2026-11 gave the issue as filed
    assert fp.file_path == "src/lib/storage.js"
    assert fp.previous_ids == (fingerprint_at_version(report, "2026-11").id,)
    assert fingerprint_at_version(report, "2026-11").file_path == "dist/background.js"


def test_dev_traces_mostly_keep_their_ids(shared_data):
    # The upgrade moves only what the new rules are about; the real dev traces keep most ids
    traces = json.loads((shared_data / "stacktraces" / "js_stacktraces.dev.json").read_text())
    same = 0
    for trace in traces:
        report = _report(trace["stack"], trace.get("name") or "Error", trace.get("message") or "x")
        same += fingerprint(report).id == fingerprint_at_version(report, "2026-11").id
    assert same >= len(traces) * 0.8, same


def test_an_unknown_version_is_an_error():
    with pytest.raises(ValueError, match="unknown fingerprint version '2025-01'"):
        fingerprint_at_version(_report("    at f (chrome-extension://abc/src/s.js:1:1)"), "2025-01")


def test_records_made_under_an_old_id_are_found_and_say_under_which():
    # Given an attempt recorded under the 2026-11 id of an error whose id changed
    report = _report("    at saveNote (chrome-extension://abc/5d41402a/src/lib/storage.js:12:18)")
    fp = fingerprint_with_history(report)
    (old_id,) = fp.previous_ids
    store = {old_id: {"attempts": 2}}
    # When it is looked up by the new fingerprint
    record, found_under = find_by_fingerprint(fp, store.get)
    # Then the old record is found, under the old id (so the caller migrates it)
    assert record == {"attempts": 2} and found_under == old_id
    # And a record under the new id wins over an old one
    store[fp.id] = {"attempts": 0}
    assert find_by_fingerprint(fp, store.get) == ({"attempts": 0}, fp.id)
    assert find_by_fingerprint(fp, {}.get) == (None, None)
