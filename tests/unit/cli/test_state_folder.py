"""`--state DIR` never destroys or writes into what Homeostat did not create (issue 15, item 2)."""

from __future__ import annotations

import pytest

from homeostat_core import cli
from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.commands._errors import EXIT_INPUT
from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.local.runner import (
    STATE_MANIFEST,
    STATE_MARKER,
    LocalStack,
    StateFolderError,
    StateReset,
    init_state,
    is_state_folder,
    record_written,
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


def test_reset_deletes_only_what_homeostat_wrote_and_names_what_it_kept(tmp_path):
    folder = tmp_path / "state"
    init_state(folder)
    record_written(folder, "tables.json", "forge")
    (folder / "tables.json").write_text("{}")
    (folder / "forge" / "o" / "r").mkdir(parents=True)
    # a user's file and folder put into Homeostat's state folder
    (folder / "notes.txt").write_text("keep me")
    (folder / "photos").mkdir()
    (folder / "photos" / "a.jpg").write_bytes(b"\xff\xd8")

    reset = reset_state(folder)

    assert (reset.cleared, reset.kept) == (["forge", "tables.json"], ["notes.txt", "photos"])
    assert (folder / "notes.txt").read_text() == "keep me" and (folder / "photos" / "a.jpg").exists()
    assert not (folder / "tables.json").exists() and not (folder / "forge").exists()
    # still a state folder, whose manifest starts again from nothing
    assert is_state_folder(folder)
    assert reset_state(folder).cleared == []


def test_inside_the_forge_a_reset_deletes_only_the_repositories_homeostat_made(tmp_path):
    folder = tmp_path / "state"
    init_state(folder)
    record_written(folder, "forge")
    source = tmp_path / "ext"
    source.mkdir()
    (source / "manifest.json").write_text("{}")
    forge = LocalForge(folder / "forge")
    for slug in ("acme/one", "acme/two"):
        forge.seed_repo(RepoConfig(slug, "main", 1, ("robot",), PathFilters(("",))), source)
    # a person's files beside the forge's repositories, at each level
    (folder / "forge" / "notes.txt").write_text("keep me")
    (folder / "forge" / "acme" / "mine").mkdir()
    (folder / "forge" / "theirs" / "repo").mkdir(parents=True)

    reset = reset_state(folder)

    assert reset.cleared == ["forge/acme/one", "forge/acme/two"]
    assert reset.kept == ["forge/acme/mine", "forge/notes.txt", "forge/theirs/repo"]
    assert (folder / "forge" / "notes.txt").read_text() == "keep me"
    assert (folder / "forge" / "acme" / "mine").is_dir() and (folder / "forge" / "theirs" / "repo").is_dir()
    assert not (folder / "forge" / "acme" / "one").exists()


def test_a_state_folder_from_before_the_manifest_clears_only_the_files_homeostat_writes(tmp_path):
    folder = tmp_path / "state"
    init_state(folder)
    (folder / STATE_MANIFEST).unlink()
    (folder / "tables.json").write_text("{}")
    (folder / "mine.txt").write_text("keep me")
    assert reset_state(folder) == StateReset(cleared=["tables.json"], kept=["mine.txt"])


def test_a_local_stack_records_what_it_writes(tmp_path):
    folder = tmp_path / "state"
    with LocalStack(folder, echo=lambda _: None) as stack:
        stack.advance_clock(1)
    (folder / "mine.txt").write_text("keep me")
    reset = reset_state(folder)
    assert set(reset.cleared) == {"clock-offset-hours", "homeostat.log", "tables.json", "webhook-secret"}
    assert reset.kept == ["mine.txt"]


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
