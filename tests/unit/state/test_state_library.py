"""library.json export/import in the seed's format: round trip, validation, all-or-nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from homeostat_core.models import FileEdit, Pattern
from homeostat_core.patterns import export_library, import_library
from homeostat_core.patterns.library_json import ImportProblem, edits_from_unified_diff

from .conftest import NOW

EDIT = {"path": "src/popup.js", "search": "items.map(render)", "replace": "(items || []).map(render)"}


def entry(**overrides) -> dict:
    data = {
        "id": "p1",
        "fingerprintId": "fp1",
        "errorType": "TypeError",
        "filePath": "src/popup.js",
        "patch": "",
        "successRate": 0.9,
        "uses": 3,
        "edits": [EDIT],
    }
    data.update(overrides)
    return data


def library(*entries) -> dict:
    return {"version": 1, "patterns": list(entries), "metadata": {"lastUpdated": "2025-10-24T00:00:00Z"}}


def test_seed_empty_library_imports_and_exports(state):
    seed = {
        "version": 1,
        "patterns": [],
        "metadata": {"lastUpdated": "2025-10-24T00:00:00Z", "totalPatterns": 0, "note": "starts empty"},
    }
    assert import_library(state.patterns, seed).imported == 0
    exported = export_library(state.patterns, now=NOW)
    assert exported == {
        "version": 1,
        "patterns": [],
        "metadata": {"lastUpdated": "2025-03-01T12:00:00.000000Z", "totalPatterns": 0, "activePatterns": 0},
    }


def test_export_then_import_into_an_empty_table_round_trips(state, dynamo_settings):
    patterns = [
        Pattern(
            pattern_id="pat-a",
            fingerprint_id="a",
            error_type="TypeError",
            file_path="src/a.js",
            edits=(FileEdit(**EDIT),),
            diff="--- a/src/a.js\n+++ b/src/a.js\n",
            success_rate=0.75,
            use_count=4,
            created_at=NOW,
            last_used_at=NOW + timedelta(days=2),
            status="retired",
            repo="acme/ext",
            merges=3,
            verified_at=NOW + timedelta(days=1),
        ),
        Pattern(
            "pat-b", "b", "ReferenceError", "src/b.js", (FileEdit("src/b.js", "x", "y"),), created_at=NOW
        ),
    ]
    for p in patterns:
        state.patterns.put(p)
    exported = json.loads(json.dumps(export_library(state.patterns, NOW)))
    assert exported["metadata"]["totalPatterns"] == 2
    assert exported["metadata"]["activePatterns"] == 1
    assert [e["id"] for e in exported["patterns"]] == ["pat-a", "pat-b"]
    assert exported["patterns"][0]["uses"] == 4 and exported["patterns"][0]["status"] == "retired"
    # probation survives the round trip: merges and when it was verified in production
    assert (exported["patterns"][0]["merges"], exported["patterns"][1]["merges"]) == (3, 1)
    assert exported["patterns"][0]["verifiedAt"] == "2025-03-02T12:00:00.000000Z"
    assert "verifiedAt" not in exported["patterns"][1]

    for p in patterns:  # empty the table, then import the file back
        state.patterns._model(p.pattern_id).delete()
    assert state.patterns.all() == []
    result = import_library(state.patterns, exported)
    assert result.ok and result.imported == 2
    assert state.patterns.all() == patterns


def test_seed_style_entry_without_edits_gets_them_from_its_patch(state):
    patch = (
        "--- a/src/popup.js\n+++ b/src/popup.js\n@@ -10,3 +10,3 @@\n function show(items) {\n"
        "-  items.map(render);\n+  (items || []).map(render);\n }\n"
    )
    seed_entry = {
        "id": "0b7c",
        "fingerprintId": "fp1",
        "errorType": "TypeError",
        "filePath": "src/popup.js",
        "patch": patch,
        "description": "guard",
        "confidence": 0.9,
        "successRate": 1,
        "uses": 0,
    }
    result = import_library(state.patterns, library(seed_entry))
    assert result.ok
    stored = state.patterns.get("0b7c")
    assert stored.edits == (
        FileEdit(
            "src/popup.js",
            "function show(items) {\n  items.map(render);\n}",
            "function show(items) {\n  (items || []).map(render);\n}",
        ),
    )
    assert stored.diff == patch and stored.status == "active" and stored.success_rate == 1.0


def test_one_bad_entry_means_nothing_is_written_and_every_problem_is_reported(state):
    data = library(
        entry(id="good"),
        entry(id="bad-rate", fingerprintId="fp2", successRate=1.5, uses=-1),
        entry(id="", fingerprintId="fp3", sucessRate=0.3),
        entry(id="bad-edit", fingerprintId="fp4", edits=[{"path": "a.js", "search": "", "replace": "x"}]),
        "not an object",
        entry(id="good", fingerprintId="fp5"),
        entry(id="no-fix", fingerprintId="fp6", edits=None, patch=None),
    )
    result = import_library(state.patterns, data)
    assert result.imported == 0
    assert state.patterns.all() == []
    assert set(result.problems) == {
        ImportProblem(1, "successRate", "must be a number from 0 to 1, got 1.5"),
        ImportProblem(1, "uses", "must be a whole number >= 0, got -1"),
        ImportProblem(2, "sucessRate", "unknown key"),
        ImportProblem(2, "id", "must be a non-empty string, got ''"),
        ImportProblem(3, "edits[0]", "path and search must not be empty"),
        ImportProblem(4, "(entry)", "must be an object, got str"),
        ImportProblem(5, "id", "duplicate of patterns[0]"),
        ImportProblem(6, "edits", "missing: give edits or a unified diff in patch"),
    }
    assert str(ImportProblem(1, "uses", "bad")) == "patterns[1].uses: bad"


def test_top_level_problems_are_reported(state):
    result = import_library(state.patterns, {"version": 2, "patterns": {}})
    assert {(p.index, p.field) for p in result.problems} == {(None, "version"), (None, "patterns")}
    assert import_library(state.patterns, []).problems[0].field == "(file)"


def test_two_active_patterns_for_one_fingerprint_are_refused(state):
    state.patterns.put(Pattern("stored", "fp1", "TypeError", "src/popup.js", (FileEdit(**EDIT),)))
    result = import_library(
        state.patterns,
        library(
            entry(id="new", fingerprintId="fp1"),
            entry(id="x", fingerprintId="fp9"),
            entry(id="y", fingerprintId="fp9"),
        ),
    )
    assert {(p.index, p.field) for p in result.problems} == {(0, "fingerprintId"), (2, "fingerprintId")}
    assert [p.pattern_id for p in state.patterns.all()] == ["stored"]


def test_reimporting_the_same_ids_replaces_them(state):
    assert import_library(state.patterns, library(entry(successRate=0.9))).ok
    assert import_library(state.patterns, library(entry(successRate=0.95, uses=7))).ok
    stored = state.patterns.all()
    assert [(p.pattern_id, p.success_rate, p.use_count) for p in stored] == [("p1", 0.95, 7)]


def test_unified_diff_reader_handles_several_files_and_header_like_lines():
    diff = (
        "diff --git a/a.js b/a.js\n--- a/a.js\n+++ b/a.js\n@@ -1,2 +1,2 @@\n keep();\n--- old;\n+new();\n"
        "--- a/b.js\n+++ b/b.js\n@@ -3 +3,2 @@\n anchor();\n+added();\n\\ No newline at end of file\n"
    )
    assert edits_from_unified_diff(diff) == [
        FileEdit("a.js", "keep();\n-- old;", "keep();\nnew();"),
        FileEdit("b.js", "anchor();", "anchor();\nadded();"),
    ]


@pytest.mark.parametrize(
    "field,value",
    [("merges", 0), ("merges", "two"), ("merges", True), ("verifiedAt", "last week")],
)
def test_probation_fields_are_checked_on_import(state, field, value):
    entry = {
        "id": "p",
        "fingerprintId": "f",
        "errorType": "E",
        "filePath": "a.js",
        "edits": [EDIT],
        field: value,
    }
    result = import_library(state.patterns, library(entry))
    assert result.imported == 0 and [p.field for p in result.problems] == [field]


def test_an_imported_entry_without_probation_fields_starts_on_probation(state):
    from homeostat_core.patterns.matcher import on_probation

    entry = {"id": "p", "fingerprintId": "f", "errorType": "E", "filePath": "a.js", "edits": [EDIT]}
    assert import_library(state.patterns, library(entry)).ok
    stored = state.patterns.get("p")
    assert (stored.merges, stored.verified_at) == (1, None) and on_probation(stored)
