"""Versioned fingerprints (issue #14, item 4): the current version, and the ids an error had
under older versions so its attempts, PRs and patterns are found after an upgrade."""

from __future__ import annotations

import dataclasses
import json

import pytest

from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.fingerprint import FINGERPRINT_VERSION, PREVIOUS_VERSIONS, fingerprint, fingerprint_stack
from homeostat_core.fingerprint_history import (
    KnownFingerprints,
    fingerprint_at_version,
    fingerprint_with_history,
    known_fingerprint,
    versions_to_try,
)
from homeostat_core.fingerprint_legacy.v2026_12 import fingerprint as v2026_12_fingerprint
from homeostat_core.fingerprint_legacy.v2026_12 import stack as v2026_12_stack
from homeostat_core.intake import parse_issue, parse_stack
from homeostat_core.symbolication import symbolicate
from tests.unit.symbolication.helpers import FIXTURES, report_from


def _report(stack, error_type="TypeError", message="boom"):
    body = (
        f"## Error Details\n- Extension: NoteBridge v1.2.0\n- Error Type: {error_type}\n- Message: {message}\n\n"
        f"## Stack Trace\n```\n{stack}\n```\n\n## Breadcrumbs\n1. Popup opened\n"
    )
    return parse_issue(f"[NoteBridge] {error_type}: {message}", body, ["robot"])


def test_versions_are_dated_and_the_current_one_is_stamped():
    assert FINGERPRINT_VERSION == "2026-12-06" and PREVIOUS_VERSIONS == ("2026-12", "2026-11")
    report = _report("    at save (chrome-extension://abc/src/s.js:1:1)")
    fp = fingerprint(report)
    assert fp.version == FINGERPRINT_VERSION and fp.to_json()["version"] == "2026-12-06"
    for version in PREVIOUS_VERSIONS:
        assert fingerprint_at_version(report, version).version == version


def test_an_error_the_new_rules_do_not_touch_keeps_its_id():
    report = _report("    at saveNote (chrome-extension://abc/src/lib/storage.js:12:18)")
    fp = fingerprint_with_history(report)
    assert {fingerprint_at_version(report, v).id for v in PREVIOUS_VERSIONS} == {fp.id}
    assert fp.previous_ids == ()


@pytest.mark.parametrize(
    ("stack", "paths"),
    [
        # 2026-11 read Chrome's "(async URL)" as a file "async chrome-extension:/_/…" (no in-app
        # file at all); 2026-12 read it, but signed three functions
        (
            "    at loadAll (async chrome-extension://abc/src/loader.js:9:14)\n"
            "    at boot (chrome-extension://abc/src/index.js:2:1)",
            ("src/index.js", "src/loader.js", "src/loader.js"),
        ),
        # 2026-11 kept per-build hash directories; both kept Vite's content hashes
        (
            "    at saveNote (chrome-extension://abc/5d41402a/assets/index-BbzLzrt2.js:12:18)",
            ("5d41402a/assets/index-BbzLzrt2.js", "assets/index-BbzLzrt2.js", "assets/index.js"),
        ),
        # 2026-11 took Hermes' bytecode address for a file name, 2026-12 for an engine internal
        (
            "    at onPress (address at index.android.bundle:1:9012)",
            ("address at index.android.bundle", "unknown", "index.android.bundle"),
        ),
    ],
)
def test_a_changed_id_carries_the_old_ones_newest_first(stack, paths):
    report = _report(stack)
    fp = fingerprint_with_history(report)
    old = [fingerprint_at_version(report, version) for version in PREVIOUS_VERSIONS]
    assert (old[1].file_path, old[0].file_path, fp.file_path) == paths
    assert fp.previous_ids == tuple(dict.fromkeys(o.id for o in old if o.id != fp.id))
    assert fp.to_json()["previousIds"] == list(fp.previous_ids)


def test_symbolicated_reports_keep_the_ids_each_version_stored():
    # Given a minified report symbolicated with its maps (as the pipeline does before fingerprinting)
    report = report_from("v1.0.0")
    maps = DirectorySourceMaps(FIXTURES / "v1.0.0")
    mapped, _stats = symbolicate(report, maps)
    fp = fingerprint_with_history(mapped)
    assert fp.file_path == "src/lib/storage.js"
    # Then 2026-11 (before source maps) saw the issue as filed
    assert fingerprint_at_version(mapped, "2026-11").id == fingerprint_at_version(report, "2026-11").id
    assert fingerprint_at_version(report, "2026-11").file_path == "dist/background.js"
    # And 2026-12 is what its own parser, symbolicated, gave: the id it stored
    frames = v2026_12_stack.parse_stack(report.stack)
    stored = v2026_12_fingerprint.fingerprint_parts(
        report.error_type,
        report.message,
        symbolicate(dataclasses.replace(report, frames=frames), maps)[0].frames,
    )
    assert fingerprint_at_version(mapped, "2026-12").id == stored.id
    assert stored.file_path == "src/lib/storage.js" and stored.id in (fp.id, *fp.previous_ids)


def test_dev_traces_keep_their_ids_where_no_new_rule_applies(shared_data):
    # The function rule (one name, not three) moves most ids; with it out of the picture
    # (one line at a time), only the new parsing rules move an id
    traces = json.loads((shared_data / "stacktraces" / "js_stacktraces.dev.json").read_text())
    same = total = 0
    for trace in traces:
        for line in trace["stack"].splitlines():
            if not any(f.in_app for f in parse_stack(line)):
                continue
            total += 1
            error_type, message = trace.get("name") or "TestError", trace.get("message") or "x"
            same += (
                fingerprint_stack(error_type, message, line).id
                == v2026_12_fingerprint.fingerprint_stack(error_type, message, line).id
            )
    assert total > 100 and same >= total * 0.9, (same, total)


def test_an_unknown_version_is_an_error():
    report = _report("    at f (chrome-extension://abc/src/s.js:1:1)")
    with pytest.raises(ValueError, match="unknown fingerprint version '2025-01'"):
        fingerprint_at_version(report, "2025-01")
    with pytest.raises(ValueError, match="unknown fingerprint version '2025-01'"):
        known_fingerprint(report, lambda _id: False, versions=("2025-01",))


class _Store(dict):
    """Records by id, counting the lookups."""

    def __init__(self, *args):
        super().__init__(*args)
        self.asked: list[str] = []

    def has(self, fingerprint_id):
        self.asked.append(fingerprint_id)
        return fingerprint_id in self


def test_known_fingerprint_finds_records_made_under_an_old_id():
    # Given an attempt recorded under the 2026-12 id of an error whose id changed
    report = _report("    at saveNote (chrome-extension://abc/assets/index-BbzLzrt2.js:12:18)")
    current = fingerprint(report)
    old = fingerprint_at_version(report, "2026-12")
    assert old.id != current.id
    store = _Store({old.id: {"attempts": 2}})
    # When it is looked up
    found = known_fingerprint(report, store.has, current=current)
    # Then it keeps the old id, stamped with the version that made it
    assert (found.id, found.version) == (old.id, "2026-12")
    assert found.file_path == current.file_path  # the rest is the current reading
    # And a record under the current id wins, with no older id computed
    store[current.id] = {"attempts": 0}
    store.asked.clear()
    assert known_fingerprint(report, store.has, current=current) == current
    assert store.asked == [current.id]
    # And with no record anywhere, the current fingerprint
    assert known_fingerprint(report, _Store().has) == current


def test_older_ids_are_computed_only_when_needed(monkeypatch):
    # Given a store whose records were all made by the current version
    assert versions_to_try([FINGERPRINT_VERSION, FINGERPRINT_VERSION]) == ()
    assert versions_to_try(["", FINGERPRINT_VERSION]) == PREVIOUS_VERSIONS  # "" = before versions
    assert versions_to_try(["2026-12"]) == PREVIOUS_VERSIONS
    import homeostat_core.fingerprint_history as fingerprint_module

    computed = []
    real = fingerprint_module.fingerprint_at_version
    monkeypatch.setattr(
        fingerprint_module,
        "fingerprint_at_version",
        lambda report, version: computed.append(version) or real(report, version),
    )
    report = _report("    at saveNote (chrome-extension://abc/assets/index-BbzLzrt2.js:12:18)")
    # When nothing needs an older id, none is computed
    known_fingerprint(report, _Store().has, versions=versions_to_try([FINGERPRINT_VERSION]))
    assert computed == []
    # And the newest older version is tried first; the next only when it has no record
    old = real(report, "2026-12")
    known_fingerprint(report, _Store({old.id: 1}).has)
    assert computed == ["2026-12"]
    known_fingerprint(report, _Store().has)
    assert computed == ["2026-12", "2026-12", "2026-11"]


def test_an_error_whose_id_never_changed_costs_no_lookup():
    # Given an error every version gives the same id
    report = _report("    at saveNote (chrome-extension://abc/src/lib/storage.js:12:18)")
    store = _Store({fingerprint(report).id: 1})
    # When it is resolved, the store is not asked (the caller reads its row anyway)
    assert known_fingerprint(report, store.has) == fingerprint(report)
    assert store.asked == []


def test_a_run_resolves_each_error_once():
    # Given three reports of one error from three builds, which 2026-12 gave three ids, and an
    # attempt recorded under the first build's id
    builds = ("BbzLzrt2", "C2wS7XjU", "D3fL7kQx")
    reports = [
        _report(
            f"    at Qe (chrome-extension://abc/assets/index-{build}.js:1:{18034 + i})\n    at main (chrome-extension://abc/src/m.js:{i + 1}:1)"
        )
        for i, build in enumerate(builds)
    ]
    assert len({fingerprint_at_version(r, "2026-12").id for r in reports}) == 3
    assert len({fingerprint(r).id for r in reports}) == 1
    old_id = fingerprint_at_version(reports[0], "2026-12").id
    store = _Store({old_id: {"attempts": 1}})
    # When a run looks them up
    known = KnownFingerprints(store.has)
    found = [known(r) for r in reports]
    # Then all three are the recorded error, and the store was asked twice in all
    assert {fp.id for fp in found} == {old_id}
    assert store.asked == [fingerprint(reports[0]).id, old_id]
