"""`homeostat fingerprint` through the real CLI entry point."""

from __future__ import annotations

import io
import json

import pytest

from homeostat_core.cli import main

CHROME = {
    "type": "TypeError",
    "message": "Cannot read properties of undefined (reading 'title')",
    "stack": "TypeError: x\n    at renderNote (chrome-extension://abcdefghijklmnopabcdefghijklmnop/src/popup/render.js:4:1)",
}
FIREFOX = {
    "type": "TypeError",
    "message": 'can\'t access property "title", note is undefined',
    "stack": "renderNote@moz-extension://8c7d5e3a-1b2c-4d5e-8f9a-0b1c2d3e4f5a/src/popup/render.js:3:9",
}
OTHER = {
    "type": "ReferenceError",
    "message": "chrome is not defined",
    "stack": "    at boot (chrome-extension://a/src/bg.js:1:1)",
}


def run(monkeypatch, capsys, argv, stdin=""):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["fingerprint", *argv])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_json_lines_with_a_bad_line(monkeypatch, capsys):
    stdin = "\n".join([json.dumps(CHROME), "{not json", json.dumps(FIREFOX), json.dumps({"stack": 5}), ""])
    code, lines = run(monkeypatch, capsys, [], stdin)
    assert code == 0
    assert lines[0]["id"] == lines[2]["id"] and lines[0]["filePath"] == "src/popup/render.js"
    seed_keys = {"id", "errorType", "filePath", "topStackFrame", "messageHash", "fullSignature"}
    assert set(lines[0]) == seed_keys | {"version"}
    assert lines[1]["line"] == 2 and "invalid JSON" in lines[1]["error"]
    assert lines[3] == {"line": 4, "error": "'stack' must be a string"}


def test_group(monkeypatch, capsys):
    stdin = "\n".join(json.dumps(x) for x in (CHROME, OTHER, FIREFOX))
    code, lines = run(monkeypatch, capsys, ["--group"], stdin)
    assert code == 0
    assert [(g["count"], g["members"]) for g in lines] == [(2, [1, 3]), (1, [2])]
    assert lines[0]["errorType"] == "TypeError"


def test_all_lines_bad_exits_3(monkeypatch, capsys):
    code, lines = run(monkeypatch, capsys, [], "[]\n{}\n")
    assert code == 3  # unusable input (README "Exit codes")
    assert [line["line"] for line in lines] == [1, 2]


def test_issue_files(tmp_path, monkeypatch, capsys):
    good = tmp_path / "a.md"
    good.write_text(
        "# [NoteBridge] TypeError: boom\n## Error Details\n- Message: boom\n\n## Stack Trace\n```\n"
        "    at save (chrome-extension://a/src/s.js:1:1)\n```\n\n## Breadcrumbs\n1. x\n"
    )
    bad = tmp_path / "b.md"
    bad.write_text("# [NoteBridge] TypeError: boom\nno stack\n")
    untitled = tmp_path / "c.md"
    untitled.write_text("no title\n")
    code, lines = run(
        monkeypatch, capsys, ["--issue", str(good), "--issue", str(bad), "--issue", str(untitled)]
    )
    assert code == 0
    assert lines[0]["filePath"] == "src/s.js"
    assert lines[1] == {"issue": str(bad), "error": lines[1]["error"], "code": "no_frames"}
    assert "no title" in lines[2]["error"]


def test_issue_with_title_flag_and_labels(tmp_path, monkeypatch, capsys):
    body = tmp_path / "wp.md"
    body.write_text(
        "## Error Message\nboom\n\n## Stack Trace\n```\n#0 /var/www/wp-content/plugins/p/includes/db.php(4): x()\n```\n"
    )
    code, lines = run(
        monkeypatch,
        capsys,
        ["--issue", str(body), "--title", "[wp] PDOException: boom", "--label", "source:wordpress"],
    )
    assert code == 0 and lines[0]["filePath"] == "includes/db.php"


@pytest.mark.parametrize("argv", [["--title", "x"], ["--title", "x", "--issue", "a", "--issue", "b"]])
def test_title_needs_one_issue(monkeypatch, capsys, argv):
    code, lines = run(monkeypatch, capsys, argv)
    assert code == 2 and "--title" in lines[0]["error"]


def test_the_projects_own_example_issues_are_accepted(monkeypatch, capsys):
    # Given every example issue the project ships (YAML front matter: title, labels, author)
    from tests.conftest import REPO_ROOT

    examples = sorted((REPO_ROOT / "examples" / "issues").rglob("*.md"))
    assert examples
    argv = [arg for path in examples for arg in ("--issue", str(path))]
    code, lines = run(monkeypatch, capsys, argv)
    assert code == 0
    # Then none fails for its format: the only failures are the deliberately garbled reports
    for path, line in zip(examples, lines, strict=True):
        if "error" in line:
            assert line["code"] == "bad_title" and "garbled" in path.name, line
        else:
            assert line["filePath"] != "unknown", path
    assert sum("id" in line for line in lines) >= len(examples) - 1


def test_error_type_is_accepted_as_type(monkeypatch, capsys):
    # Given the same error with `type` and with `errorType` (the key this command prints)
    as_error_type = {("errorType" if k == "type" else k): v for k, v in CHROME.items()}
    stdin = "\n".join([json.dumps(CHROME), json.dumps(as_error_type)])
    code, lines = run(monkeypatch, capsys, [], stdin)
    # Then both are the same id and the type is the one given
    assert code == 0 and lines[0]["id"] == lines[1]["id"] and lines[1]["errorType"] == "TypeError"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({**CHROME, "errortype": "TypeError"}, "unknown key 'errortype'"),
        ({**CHROME, "filePath": "src/x.js"}, "unknown key 'filePath'"),
        ({**CHROME, "errorType": "RangeError"}, "'type' and 'errorType' disagree"),
    ],
)
def test_unknown_or_conflicting_keys_are_errors(monkeypatch, capsys, data, error):
    code, lines = run(monkeypatch, capsys, [], json.dumps(data))
    assert code == 3 and error in lines[0]["error"]


@pytest.mark.parametrize(
    ("front", "error"),
    [
        ('title: "[A] TypeError: x"\nlabels: robot', "'labels' must be a list of strings"),
        ("labels: [robot]", "'title' must be a non-empty string"),
        ('title: "[A] TypeError: x"\nlables: [robot]', "key 'lables' is not known"),
        ("title: [unclosed", "not valid YAML"),
    ],
)
def test_bad_front_matter_names_the_file_and_key(tmp_path, monkeypatch, capsys, front, error):
    path = tmp_path / "issue.md"
    path.write_text(f"---\n{front}\n---\n## Error Details\n")
    code, lines = run(monkeypatch, capsys, ["--issue", str(path)])
    assert code == 3 and lines[0]["error"].startswith(str(path)) and error in lines[0]["error"]


def test_front_matter_labels_choose_the_source(tmp_path, monkeypatch, capsys):
    path = tmp_path / "wp.md"
    path.write_text(
        '---\ntitle: "[wp] PDOException: boom"\nlabels: [robot, "source:wordpress"]\n---\n'
        "## Stack Trace\n```\n#0 /var/www/wp-content/plugins/p/includes/db.php(4): x()\n```\n"
    )
    code, lines = run(monkeypatch, capsys, ["--issue", str(path)])
    # A WordPress issue needs no breadcrumbs; as an extension issue it would be rejected
    assert code == 0 and lines[0]["filePath"] == "includes/db.php"
