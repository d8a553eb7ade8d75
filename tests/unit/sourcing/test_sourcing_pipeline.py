"""A repository run on a real-shaped layout: one tree listing per run, the rule that found the
file in the run record, the PR body and (for no_source) the issue comment."""

from __future__ import annotations

import json

from homeostat_core.config import PathFilters
from homeostat_core.intake.issue_file import read_issue_markdown
from homeostat_core.outcomes import REJECTED_LABEL
from tests.fixtures.context_layouts.layouts import LAYOUTS
from tests.unit.lifecycle.world import make_world

SRC = next(layout for layout in LAYOUTS if layout.name == "src-folder")


def src_world(tmp_path):
    """The extension kept in src/ (its own code in src/lib/), with a model that guards the parse."""
    source = tmp_path / "source"
    for path, text in SRC.files.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(text)
    w = make_world(tmp_path, path_filters=PathFilters(include=("src/",)))
    w.forge.seed_repo(w.repo, source)
    edit = {
        "path": "src/lib/storage.js",
        "search": "  const parsed = JSON.parse(raw);\n",
        "replace": "  const parsed = raw ? JSON.parse(raw) : {};\n",
    }
    w.model.answer = lambda model, messages: json.dumps(
        {"summary": "Guard a missing value.", "edits": [edit]}
    )
    return w


def file(w, markdown: str) -> int:
    issue = read_issue_markdown(markdown, "issue")
    return w.forge.add_issue(w.repo, issue.title, issue.body, ["robot"], "cloakpipe-bot")


def test_a_fix_in_a_subfolder_extension_says_how_its_file_was_found(tmp_path):
    # Given an extension kept in src/ and a report whose paths are relative to src/
    w = src_world(tmp_path)
    file(w, SRC.issue_markdown())
    listings = []
    real = w.forge.list_tree
    w.forge.list_tree = lambda repo, folder=None: listings.append(folder) or real(repo, folder)
    # and a second error in another file of the same run
    second = SRC.issue_markdown().replace("JSON.parse (<anonymous>)", "Array.map (<anonymous>)")
    file(w, second.replace('"undefined" is not valid JSON', "x.map is not a function"))

    # When Homeostat runs
    record = w.run()

    # Then one tree listing served the run, the PR was opened on src/lib/storage.js, and the
    # record and the PR body say which rule found it
    assert listings == [None]
    assert record.resolved_by == {"manifest_root": 2}
    (pr, *_) = w.prs()
    assert "- File: `lib/storage.js` → `src/lib/storage.js` (extension root `src/`" in pr.body
    assert "src/lib/storage.js" in w.forge.pr_diff(w.repo, pr.number)


def test_no_source_names_the_paths_tried_and_the_roots_searched(tmp_path):
    # Given a report whose files are nowhere in the repository and whose names are minified
    w = src_world(tmp_path)
    markdown = (
        SRC.issue_markdown().replace("lib/storage.js", "lib/gone.js").replace("popup/popup.js", "x/y.js")
    )
    number = file(w, markdown.replace("at loadSettings", "at e").replace("at async initPopup", "at async t"))

    # When Homeostat runs
    record = w.run()

    # Then no model is asked; the record and the issue comment say where Homeostat looked
    assert w.model.calls == []
    (outcome,) = record.outcomes
    assert (outcome["result"], outcome["reason"], outcome["resolvedBy"]) == ("rejected", "no_source", "none")
    assert "src/lib/gone.js" in outcome["detail"] and "src/" in outcome["detail"]
    assert record.resolved_by == {"none": 1}
    assert REJECTED_LABEL in w.forge.issue_labels(w.repo, number)
    (comment,) = [c["body"] for c in w.forge.issue_comments(w.repo, number)]
    assert "src/lib/gone.js" in comment and "source_roots" in comment and "homeostat context" in comment
