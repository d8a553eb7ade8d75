"""`homeostat symbolicate`, `homeostat fingerprint --maps` and `homeostat sourcemaps upload`."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from homeostat_core.cli import main
from tests.unit.symbolication.helpers import FIXTURES, RELEASES, TITLE, issue_body


def _issue_file(tmp_path, release):
    path = tmp_path / f"{release}.md"
    path.write_text(f'---\ntitle: "{TITLE}"\nlabels: [robot]\n---\n{issue_body(release)}')
    return path


def _run(monkeypatch, capsys, argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(argv)
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")], captured


def test_symbolicate_prints_resolved_frames(monkeypatch, capsys, tmp_path):
    issue = _issue_file(tmp_path, "v1.1.0")
    code, [line], _ = _run(
        monkeypatch, capsys, ["symbolicate", "--maps", str(FIXTURES / "v1.1.0"), "--issue", str(issue)]
    )
    assert code == 0
    top = line["frames"][0]
    assert (top["function"], top["path"], top["line"]) == ("saveNote", "src/lib/storage.js", 11)
    assert top["minified"]["path"] == "dist/background.js" and top["minified"]["line"] == 1
    assert line["stats"]["symbolicated"] == 3


def test_fingerprint_with_maps_groups_two_releases(monkeypatch, capsys, tmp_path):
    # Given one maps folder holding both releases is not possible (same paths), so each its own
    ids = []
    for release in RELEASES:
        issue = _issue_file(tmp_path, release)
        code, [fp], _ = _run(
            monkeypatch, capsys, ["fingerprint", "--maps", str(FIXTURES / release), "--issue", str(issue)]
        )
        assert code == 0
        ids.append((fp["id"], fp["filePath"]))
    assert ids[0] == ids[1] and ids[0][1] == "src/lib/storage.js"


def test_maps_flag_must_name_a_directory(monkeypatch, capsys, tmp_path):
    code, [line], _ = _run(monkeypatch, capsys, ["symbolicate", "--maps", str(tmp_path / "nope")])
    assert code == 3 and "not a directory" in line["error"]


def test_upload_rejects_a_wrong_version_format(capsys):
    code = main(
        [
            "sourcemaps",
            "upload",
            str(FIXTURES / "v1.0.0"),
            "--repo",
            "acme/notebridge",
            "--version",
            "v1.0",
            "--bucket",
            "b",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--version 'v1.0'" in err and "X.Y.Z" in err


def test_upload_names_the_bundle_whose_map_is_missing(tmp_path, capsys):
    shutil.copytree(FIXTURES / "v1.0.0" / "dist", tmp_path / "dist")
    (tmp_path / "dist" / "background.js.map").unlink()
    (tmp_path / "dist" / "other.js.map").write_text('{"version":3,"sources":[],"mappings":""}')
    code = main(
        [
            "sourcemaps",
            "upload",
            str(tmp_path),
            "--repo",
            "acme/notebridge",
            "--version",
            "1.0.0",
            "--bucket",
            "b",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3 and "dist/background.js" in err and "background.js.map, which does not exist" in err


@pytest.mark.parametrize(
    ("content", "reason"), [(b"not json", "not JSON"), (b'{"version": 3}', "not a source map")]
)
def test_upload_names_a_bad_map(tmp_path, capsys, content, reason):
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "bad.js.map").write_bytes(content)
    code = main(
        [
            "sourcemaps",
            "upload",
            str(tmp_path),
            "--repo",
            "acme/notebridge",
            "--version",
            "1.0.0",
            "--bucket",
            "b",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3 and "bad.js.map" in err and reason in err


def test_upload_with_no_maps_or_no_bucket(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HOMEOSTAT_SOURCEMAPS_BUCKET", raising=False)
    (tmp_path / "app.js").write_text("var a=1;\n")
    assert (
        main(
            ["sourcemaps", "upload", str(tmp_path), "--repo", "acme/n", "--version", "1.0.0", "--bucket", "b"]
        )
        == 3
    )
    assert "no .map file" in capsys.readouterr().err
    assert (
        main(["sourcemaps", "upload", str(FIXTURES / "v1.0.0"), "--repo", "acme/n", "--version", "1.0.0"])
        == 4
    )
    assert "no bucket" in capsys.readouterr().err
    assert (
        main(["sourcemaps", "upload", str(FIXTURES / "v1.0.0"), "--repo", "acme", "--version", "1.0.0"]) == 2
    )
    assert "OWNER/NAME" in capsys.readouterr().err


def test_the_committed_fixture_issues_are_what_build_sh_writes(monkeypatch, capsys):
    # The issue files the docs use: one per release, parsed by the same command
    argv = ["fingerprint", "--group"]
    for release in RELEASES:
        argv += ["--issue", str(FIXTURES / release / "issue.md")]
    code, groups, _ = _run(monkeypatch, capsys, argv)
    assert code == 0 and [g["count"] for g in groups] == [2] and groups[0]["filePath"] == "dist/background.js"
