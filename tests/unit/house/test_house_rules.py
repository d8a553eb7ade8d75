"""House rules a newcomer relies on: no import cycles, a reason for every import kept inside a
function, no file too long to read, and every lifecycle stage wired end to end."""

from __future__ import annotations

import pytest

from homeostat_core.adapters.memory_state import MemoryState
from homeostat_core.lifecycle import ALLOWED, Stage, stage_of
from homeostat_core.models import AttemptState
from homeostat_core.pipeline.dispatch import HANDLERS
from tests.unit.house.imports import ROOT, cycles, imports

# A file a newcomer reads whole before changing one behaviour; past this, split it along its seams.
MAX_LINES = 600


def test_the_import_graph_has_no_cycle_counting_imports_inside_functions():
    # Given every import between Homeostat's modules, at module level and inside functions
    edges = imports()
    # Then no module reaches itself again
    assert cycles(edges) == []


def test_the_cycle_finder_sees_a_cycle_through_an_import_inside_a_function():
    # Given a graph where b imports a only inside a function
    from tests.unit.house.imports import Import

    edges = [Import("a", "b", 1, False, ""), Import("b", "a", 9, True, "lazy")]
    # Then it is a cycle all the same
    assert cycles(edges) == [["a", "b"]]


def test_every_import_inside_a_function_says_why():
    lazy = [i for i in imports() if i.in_function]
    assert lazy, "the scan found no import inside a function: it is not looking"
    unexplained = [f"{i.source}:{i.line} imports {i.target}" for i in lazy if not i.reason]
    assert unexplained == []


@pytest.mark.parametrize("stage", list(Stage))
def test_every_stage_has_a_handler_a_row_in_the_legal_moves_and_survives_the_store(stage):
    # a handler for the run, a row in the lifecycle's table (terminal stages: an empty row)
    assert stage in HANDLERS
    assert stage in ALLOWED
    # the stage is stored and read back as itself
    store = MemoryState().attempts
    row = AttemptState(repo="acme/ext", fingerprint_id="f1", stage=stage.value, attempts=1)
    if stage is not Stage.NEW:
        store.start_attempt(row, expected_attempts=0)
        assert stage_of(store.get("acme/ext", "f1")) is stage


def test_every_move_in_the_legal_moves_table_lands_on_a_stage_with_a_handler():
    targets = {to for moves in ALLOWED.values() for to in moves}
    assert targets <= set(HANDLERS)


def test_no_file_of_homeostat_core_is_too_long_to_read():
    files = sorted((ROOT / "homeostat_core").rglob("*.py"))
    assert len(files) > 50, "the scan found too few files: it is not looking"
    too_long = {
        str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}, f"split these along their seams (at most {MAX_LINES} lines each): {too_long}"
