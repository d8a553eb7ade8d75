"""Does the fix engine find the code to fix on real repository layouts?

For each layout in tests/fixtures/context_layouts/layouts.py (extension at the root, in src/, in
source/, in a named folder, per-browser copies, a build-copied public/, manifest and sources
apart, a vendored library on top, one file name in two folders, a ReferenceError defined in
another file, a fix in module-level code, a minified bundle with its map, a TypeScript bundle
without a map, a trace from an older build, frames already mapped to source, tsc output), the
layout is written as a git repository, its bug report goes through intake and symbolication as
in a run, and the prompt the model would get is built. Measured from that prompt:

- file hit: the file of the first source window (the top frame's) is one the real fix changed;
- any line: a line the real fix changes is inside a window;
- line recall: the share of the fix's lines inside the windows (mean over layouts);
- prompt size: the prompt's tokens against sending every file read whole.

Run: .venv/bin/python bench/context_recall.py   (exits 1 when file hit is below 95%)
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homeostat_core.adapters.local_forge import LocalForge  # noqa: E402
from homeostat_core.config import parse_config  # noqa: E402
from homeostat_core.fixing.model_settings import ModelSettings  # noqa: E402
from homeostat_core.fixing.prompts import estimate_messages_tokens, whole_file_messages  # noqa: E402
from homeostat_core.sourcing.context import issue_context  # noqa: E402
from tests.fixtures.context_layouts.layouts import LAYOUTS, Layout  # noqa: E402

TARGET_FILE_HIT = 0.95
_WINDOW = re.compile(r"^File (\S+), lines (\d+)-(\d+) \(", re.MULTILINE)


@dataclass
class Measure:
    name: str
    chosen: str | None
    resolved_by: str
    file_hit: bool
    any_line: bool
    recall: float
    prompt_tokens: int
    whole_tokens: int


def measure(layout: Layout, workdir: Path) -> Measure:
    layout.write_repo(workdir / "acme" / layout.name / "repo")
    forge = LocalForge(workdir)
    repo = parse_config(
        {
            "version": 1,
            "repositories": [
                {
                    "slug": f"acme/{layout.name}",
                    "branch": "main",
                    "max_prs_per_run": 1,
                    "labels": [],
                    "path_filters": {"include": ["."]},
                    **layout.config,
                }
            ],
        }
    ).repositories[0]
    found = issue_context(layout.issue_markdown(), forge, repo, ModelSettings())
    text = found.prompt.messages[1]["content"] if found.prompt else ""
    windows = [(m.group(1), int(m.group(2)), int(m.group(3))) for m in _WINDOW.finditer(text)]
    fix = layout.fix_lines()
    chosen = windows[0][0] if windows else None
    total = sum(len(lines) for lines in fix.values())
    covered = sum(
        1
        for path, lines in fix.items()
        for line in lines
        if any(p == path and start <= line <= end for p, start, end in windows)
    )
    whole = estimate_messages_tokens(whole_file_messages(found.context)) if found.prompt else 0
    return Measure(
        name=layout.name,
        chosen=chosen,
        resolved_by=found.resolved_by,
        file_hit=chosen in fix,
        any_line=covered > 0,
        recall=covered / total,
        prompt_tokens=found.prompt.estimated_tokens if found.prompt else 0,
        whole_tokens=whole,
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(layout, Path(tmp) / str(i)) for i, layout in enumerate(LAYOUTS)]
    print(
        f"{'layout':<28} {'file':<5} {'line':<5} {'recall':>6}  {'prompt':>6} {'whole':>6}  resolved by → file"
    )
    for r in results:
        print(
            f"{r.name:<28} {'yes' if r.file_hit else 'no':<5} {'yes' if r.any_line else 'no':<5} "
            f"{r.recall:>6.2f}  {r.prompt_tokens:>6} {r.whole_tokens:>6}  {r.resolved_by} → {r.chosen or '-'}"
        )
    n = len(results)
    file_hit = sum(r.file_hit for r in results) / n
    any_line = sum(r.any_line for r in results) / n
    recall = sum(r.recall for r in results) / n
    prompted = [r for r in results if r.prompt_tokens]
    ratio = sum(r.prompt_tokens for r in prompted) / max(1, sum(r.whole_tokens for r in prompted))
    print(
        f"\n{n} layouts: file hit {file_hit:.0%} ({sum(r.file_hit for r in results)}/{n}), "
        f"any fix line in the prompt {any_line:.0%}, mean line recall {recall:.2f}, "
        f"prompt {ratio:.2f}× of whole files ({len(prompted)} prompts)"
    )
    return 0 if file_hit >= TARGET_FILE_HIT else 1


if __name__ == "__main__":
    sys.exit(main())
