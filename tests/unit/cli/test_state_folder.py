"""`--state DIR` never destroys or writes into what Homeostat did not create (issue 15, item 2)."""

from __future__ import annotations

import pytest

from homeostat_core import cli
from homeostat_core.commands._errors import EXIT_INPUT
from homeostat_core.local.runner import (
    STATE_MARKER,
    StateFolderError,
    init_state,
    is_state_folder,
    require_state,
    reset_state,
)


def test_demo_refuses_a_non_empty_folder_without_the_marker_and_keeps_its_contents(tmp_path, capsys):
    folder = tmp_path / "mine"
    (folder / "photos").mkdir(parents=True)
    (folder / "notes.txt").write_text("keep me")
    (folder / "photos" / "a.jpg").write_bytes(b"\xff\xd8")

    code = cli.main(["local", "demo", "--state", str(folder)])

    err = " ".join(capsys.readouterr().err.split())
    assert code == EXIT_INPUT
    assert f"{folder} is not empty and is not a Homeostat state folder" in err
    assert (folder / "notes.txt").read_text() == "keep me"
    assert (folder / "photos" / "a.jpg").exists()
    assert not (folder / STATE_MARKER).exists()


def test_reset_empties_only_a_folder_homeostat_made(tmp_path):
    folder = tmp_path / "state"
    init_state(folder)
    (folder / "tables.json").write_text("{}")
    reset_state(folder)
    assert is_state_folder(folder) and sorted(p.name for p in folder.iterdir()) == [STATE_MARKER]


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_new_or_empty_folder_becomes_a_state_folder(tmp_path, make):
    folder = tmp_path / "new" / "state"
    if make == "empty":
        folder.mkdir(parents=True)
    init_state(folder)
    assert is_state_folder(folder)


def test_a_file_is_not_a_state_folder(tmp_path):
    path = tmp_path / "state"
    path.write_text("x")
    with pytest.raises(StateFolderError, match="is a file"):
        init_state(path)
    with pytest.raises(StateFolderError, match="is a file"):
        reset_state(path)
    assert path.read_text() == "x"


def test_reading_commands_need_an_existing_state_folder(tmp_path):
    with pytest.raises(StateFolderError) as missing:
        require_state(tmp_path / "typo")
    assert "does not exist" in str(missing.value) and "local run --state" in missing.value.next_step
    assert not (tmp_path / "typo").exists()
    (tmp_path / "other").mkdir()
    with pytest.raises(StateFolderError, match="not a Homeostat state folder"):
        require_state(tmp_path / "other")


def test_local_merge_on_a_mistyped_folder_is_an_error_and_creates_nothing(tmp_path, capsys):
    code = cli.main(["local", "merge", "--all", "--state", str(tmp_path / "sate")])
    assert code == EXIT_INPUT and not (tmp_path / "sate").exists()
    assert "created only by `homeostat local run" in " ".join(capsys.readouterr().err.split())
