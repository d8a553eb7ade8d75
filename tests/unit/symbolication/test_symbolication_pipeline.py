"""Symbolication inside a real repo run: a frame with an absurd position does not stop the run,
and a map committed in the repository is parsed once for every version and run that uses it."""

from __future__ import annotations

import dataclasses
import shutil

from homeostat_core.adapters.source_maps import DirectorySourceMaps
from homeostat_core.intake.issue_file import read_issue_markdown
from homeostat_core.symbolication.symbolicate import PARSED_MAPS
from tests.unit.lifecycle.test_lifecycle_symbolication import FIXTURES, bundled_world
from tests.unit.lifecycle.world import make_world


def _file(w, release: str, replace: tuple[str, str] | None = None) -> int:
    path = FIXTURES / release / "issue.md"
    text = path.read_text()
    if replace:
        text = text.replace(*replace)
    issue = read_issue_markdown(text, str(path))
    return w.forge.add_issue(w.repo, issue.title, issue.body, ["robot"], "cloakpipe-bot")


def test_a_column_of_2_32_plus_1_with_the_map_stored_without_its_bundle_does_not_stop_the_run(tmp_path):
    # Given the bucket holds release 1.0.0's map but not its bundle, and a report whose first frame
    # has column 4294967297 (issue #20: OverflowError from symbolic, every run of the repo failed)
    maps = tmp_path / "bucket" / "dist"
    maps.mkdir(parents=True)
    shutil.copy(FIXTURES / "v1.0.0" / "dist" / "background.js.map", maps)
    w = make_world(tmp_path)
    number = _file(w, "v1.0.0", (":1:669)", ":1:4294967297)"))
    w_ports = dataclasses.replace(w.ports, source_maps=lambda repo, version: DirectorySourceMaps(maps.parent))
    from homeostat_core.fixing.model_settings import load_model_settings
    from homeostat_core.pipeline import run_repo

    # When the repository runs
    record = run_repo(
        w.repo,
        w_ports,
        model_settings=load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": "http://127.0.0.1:9/v1"}),
        env="dev",
    )
    # Then the run finishes: the issue is worked on, its other frames are mapped; the bad one lost
    # its position at intake (it is neither looked up nor counted as minified)
    assert record.error is None
    (outcome,) = [o for o in record.outcomes if number in o.get("issues", ())]
    assert outcome["result"] != "error"
    assert record.frames_symbolicated == 2 and record.frames_minified == 0


def test_the_committed_map_is_parsed_once_for_every_version_of_a_run_and_the_next_run(tmp_path):
    # Given the repository commits release 1.1.0's bundle and map, and reports from two versions
    # (each version falls back to the committed map)
    w = bundled_world(tmp_path)
    _file(w, "v1.0.0")
    _file(w, "v1.1.0")
    PARSED_MAPS.clear()
    before = PARSED_MAPS.parses
    # When it runs twice (a warm container)
    first = w.run()
    second = w.run()
    # Then the map was parsed once in all
    assert first.frames_symbolicated >= 1 and second.frames_symbolicated >= 1
    assert PARSED_MAPS.parses - before == 1
