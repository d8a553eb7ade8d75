"""Per-browser copies of one file count as one change for max_files_changed."""

from __future__ import annotations

from homeostat_core.fixing.validation import Rejection, ValidatedChange, validate_edits
from homeostat_core.models import FileEdit
from tests.unit.fixing.fakes import repo_config

FILES = {
    "chrome/js/popup.js": "function updateBadge(count) {\n  setText(count.toString());\n}\n",
    "firefox/js/popup.js": "function updateBadge(count) {\n  setText(count.toString());\n}\n",
}
EDITS = [FileEdit(path, "  setText(count.toString());", "  setText(String(count ?? ''));") for path in FILES]


def test_the_twin_set_is_one_file_for_the_cap():
    repo = repo_config(path_filters=repo_config().path_filters.__class__(include=(".",)), max_files_changed=1)
    twins = (frozenset(FILES),)
    assert isinstance(validate_edits(EDITS, repo, FILES.get, twin_sets=twins), ValidatedChange)
    refused = validate_edits(EDITS, repo, FILES.get)
    assert isinstance(refused, Rejection) and refused.reason_code == "too_many_files"


def test_a_file_outside_the_twin_set_still_counts():
    repo = repo_config(path_filters=repo_config().path_filters.__class__(include=(".",)), max_files_changed=1)
    files = {**FILES, "shared/util.js": "const a = 1;\n"}
    edits = [*EDITS, FileEdit("shared/util.js", "const a = 1;", "const a = 2;")]
    refused = validate_edits(edits, repo, files.get, twin_sets=(frozenset(FILES),))
    assert isinstance(refused, Rejection) and "2 files changed" in refused.detail
