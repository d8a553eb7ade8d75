"""Prompt tokens per attempt: windowed prompts (the fix engine) versus whole files (the baseline).

Sample sources are generated deterministically as browser-extension modules of 200-600 lines
(helpers, a class with methods, one long event handler, listeners); errors point at small
functions, at the long handler (±N lines fallback) and across files. Any examples/repos/*
JavaScript file of 150+ lines is measured too. Tokens are the engine's estimate, ceil(chars/4).

Run: .venv/bin/python bench/prompt_tokens.py   (exits 1 when the overall ratio is above 0.5)
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homeostat_core.config import PathFilters, RepoConfig  # noqa: E402
from homeostat_core.fixing.model_settings import ModelSettings  # noqa: E402
from homeostat_core.fixing.prompts import (  # noqa: E402
    build_fix_messages,
    estimate_messages_tokens,
    load_context,
    whole_file_messages,
)
from homeostat_core.models import ErrorFingerprint, ErrorReport, Source, StackFrame  # noqa: E402
from homeostat_core.sourcing.sources import RepoSources  # noqa: E402
from tests.unit.fixing.fakes import MemoryForge  # noqa: E402

TARGET_RATIO = 0.5
NOUNS = ["tab", "note", "palette", "file", "setting", "badge", "history", "token", "color", "entry", "queue"]
VERBS = ["load", "save", "render", "sync", "format", "parse", "update", "remove", "collect", "notify"]


def _helper(rng: random.Random, name: str) -> list[str]:
    noun = rng.choice(NOUNS)
    lines = [
        f"/** {name.capitalize()} the {noun}s kept in storage. */",
        f"export function {name}(items, options = {{}}) {{",
    ]
    lines.append("  const result = [];")
    lines.append("  for (const item of items) {")
    for i in range(rng.randint(2, 8)):
        lines.append(f"    if (item.{noun}{i} && options.{rng.choice(VERBS)}) {{")
        lines.append(f"      result.push({{ id: item.id, value: item.{noun}{i}.trim(), at: Date.now() }});")
        lines.append("    }")
    lines += [
        "  }",
        f"  return result.filter(Boolean).slice(0, options.limit ?? {rng.randint(5, 50)});",
        "}",
        "",
    ]
    return lines


def _class(rng: random.Random, name: str) -> list[str]:
    lines = [
        f"export class {name} {{",
        "  constructor(storage) {",
        "    this.storage = storage;",
        "    this.cache = new Map();",
        "  }",
        "",
    ]
    for verb in rng.sample(VERBS, 5):
        noun = rng.choice(NOUNS)
        lines += [
            f"  async {verb}{noun.capitalize()}(id) {{",
            "    if (this.cache.has(id)) {",
            "      return this.cache.get(id);",
            "    }",
            f"    const stored = await this.storage.get(`{noun}:${{id}}`);",
            f"    const value = stored?.{noun} ?? null;",
            "    this.cache.set(id, value);",
            "    return value;",
            "  }",
            "",
        ]
    return lines + ["}", ""]


def _long_handler(rng: random.Random, name: str, steps: int) -> list[str]:
    lines = [f"async function {name}(message, sender, sendResponse) {{", "  const state = await loadState();"]
    for i in range(steps):
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        lines += [
            f"  // step {i}: {verb} the {noun}",
            f"  if (message.type === '{verb}-{noun}-{i}') {{",
            f"    const {noun}{i} = state.{noun}s.find((x) => x.id === message.id);",
            f"    state.{noun}s = state.{noun}s.map((x) => (x.id === {noun}{i}.id ? {{ ...x, done: true }} : x));",
            "    await saveState(state);",
            f"    sendResponse({{ ok: true, step: {i} }});",
            "    return;",
            "  }",
        ]
    return lines + ["  sendResponse({ ok: false });", "}", ""]


def make_module(seed: int, target_lines: int) -> str:
    rng = random.Random(seed)
    lines = [
        "// Generated sample of a browser-extension module (bench only).",
        "import { loadState, saveState } from './state.js';",
        "",
    ]
    lines += _class(rng, f"Store{seed}")
    lines += _long_handler(rng, "handleMessage", rng.randint(12, 18))
    while len(lines) < target_lines - 6:
        lines += _helper(rng, f"{rng.choice(VERBS)}{rng.choice(NOUNS).capitalize()}{len(lines)}")
    lines += [
        "chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {",
        "  handleMessage(message, sender, sendResponse);",
        "  return true;",
        "});",
        "",
    ]
    return "\n".join(lines)


def _line_of(text: str, needle: str, offset: int = 0) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number + offset
    raise ValueError(needle)


def _frame(path: str, line: int, function: str) -> StackFrame:
    return StackFrame(
        function=function,
        file=path,
        line=line,
        column=9,
        path=path,
        in_app=True,
        raw=f"at {function} ({path}:{line}:9)",
    )


def _error(name: str, frames: list[StackFrame], error_type: str = "TypeError") -> ErrorReport:
    message = f"Cannot read properties of undefined (reading '{name}')"
    return ErrorReport(
        source=Source.EXTENSION,
        product="bench",
        error_type=error_type,
        message=message,
        stack=f"{error_type}: {message}\n" + "\n".join(f"    {f.raw}" for f in frames),
        frames=tuple(frames),
        breadcrumbs=("popup opened", "click #sync", "storage.get state", "runtime.sendMessage"),
    )


def generated_cases() -> tuple[dict[str, str], list[tuple[str, ErrorReport]]]:
    files = {
        "src/background/worker.js": make_module(1, 560),
        "src/popup/popup.js": make_module(2, 320),
        "src/lib/storage.js": make_module(3, 230),
        "src/content/overlay.js": make_module(4, 440),
    }
    w, p, s, o = (files[k] for k in files)
    cases = [
        (
            "helper, one frame (function window)",
            _error("trim", [_frame("src/popup/popup.js", _line_of(p, ".trim()"), "helper")]),
        ),
        (
            "class method (function window)",
            _error("get", [_frame("src/lib/storage.js", _line_of(s, "this.cache.get(id)"), "method")]),
        ),
        (
            "long handler (±N window)",
            _error("id", [_frame("src/background/worker.js", _line_of(w, "step 9:", 2), "handleMessage")]),
        ),
        (
            "two files, three frames",
            _error(
                "map",
                [
                    _frame("src/background/worker.js", _line_of(w, "step 4:", 3), "handleMessage"),
                    _frame(
                        "src/background/worker.js",
                        _line_of(w, "handleMessage(message, sender"),
                        "<anonymous>",
                    ),
                    _frame("src/lib/storage.js", _line_of(s, "const stored = await"), "get"),
                ],
            ),
        ),
        (
            "three files, four frames",
            _error(
                "value",
                [
                    _frame("src/content/overlay.js", _line_of(o, ".trim()"), "helper"),
                    _frame("src/content/overlay.js", _line_of(o, "step 2:", 2), "handleMessage"),
                    _frame("src/popup/popup.js", _line_of(p, "this.cache.set"), "method"),
                    _frame("src/lib/storage.js", _line_of(s, "result.filter"), "helper"),
                ],
            ),
        ),
    ]
    return files, cases


def example_cases() -> tuple[dict[str, str], list[tuple[str, ErrorReport]]]:
    """Long-enough JavaScript files under examples/repos/*: one error in the middle of each."""
    files, cases = {}, []
    for path in sorted((ROOT / "examples" / "repos").glob("*/src/**/*.js")):
        text = path.read_text(encoding="utf-8")
        count = len(text.splitlines())
        if count < 150:
            continue
        rel = f"{path.relative_to(ROOT / 'examples' / 'repos')}"
        files[rel] = text
        cases.append((f"examples/{rel}", _error("x", [_frame(rel, count // 2, "fn")])))
    return files, cases


def main() -> int:
    settings = ModelSettings()
    repo = RepoConfig(
        slug="bench/ext",
        branch="main",
        max_prs_per_run=1,
        labels=(),
        path_filters=PathFilters(include=(".",)),
    )
    fingerprint = ErrorFingerprint("bench0123", "TypeError", "", "", "", "")
    rows = []
    for files, cases in (generated_cases(), example_cases()):
        for name, error in cases:
            ctx = load_context(error, fingerprint, repo, RepoSources(MemoryForge(files), repo))
            windowed = build_fix_messages(ctx, settings, nonce="0" * 12).estimated_tokens
            whole = estimate_messages_tokens(whole_file_messages(ctx))
            file_lines = sum(len(files[p].splitlines()) for p in ctx.sources)
            rows.append((name, len(ctx.sources), file_lines, windowed, whole))
    print(f"prompt tokens per attempt (estimate ceil(chars/4); cap {settings.max_prompt_tokens})")
    print(f"{'case':42} {'files':>5} {'lines':>6} {'windowed':>9} {'whole':>7} {'ratio':>6}")
    for name, n_files, lines, windowed, whole in rows:
        print(f"{name:42} {n_files:5d} {lines:6d} {windowed:9d} {whole:7d} {windowed / whole:6.2f}")
    total_windowed = sum(r[3] for r in rows)
    total_whole = sum(r[4] for r in rows)
    ratio = total_windowed / total_whole
    verdict = "OK" if ratio <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"overall: {total_windowed} vs {total_whole} tokens, ratio {ratio:.2f} (target <= {TARGET_RATIO}) {verdict}"
    )
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
