"""One clock for every time Homeostat records: the Clock port (`ports.clock_for`, the local clock in
local mode). The wall clock is read only where the list below says, and why."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.models import FileChange
from homeostat_core.ports import OffsetClock, SystemClock, clock_for

ROOT = Path(__file__).resolve().parents[3] / "homeostat_core"
WALL_CLOCK_CALLS = {"datetime.now", "datetime.utcnow", "datetime.today", "date.today", "time.time"}

# (file, function) → why the wall clock is right there
ALLOWED = {
    ("ports.py", "SystemClock.now"): "the clock itself",
    ("ports.py", "OffsetClock.now"): "the local clock: real time plus the state folder's offset",
    ("adapters/github_limits.py", "_retry_after_s"): "GitHub's Retry-After dates are real time",
    ("adapters/github_limits.py", "_secondary"): "GitHub's secondary-limit pause is real time",
    ("adapters/github_limits.py", "Budgets.low"): "GitHub's rate-limit resets are real time",
    ("adapters/github_limits.py", "Budgets.check"): "GitHub's rate-limit resets are real time",
    ("adapters/github_forge.py", "GitHubForge._required_checks"): "a real-time cache of GitHub's answer",
    ("adapters/github_checks.py", "read_check_results"): "GitHub's check suites carry real times",
    ("adapters/scripted_llm.py", "_completion"): "the scripted model's response id, recorded nowhere",
}


def _wall_clock_reads(root: Path = ROOT) -> set[tuple[str, str]]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope, node in _walk(tree, ""):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and f"{node.func.value.id}.{node.func.attr}" in WALL_CLOCK_CALLS
            ):
                found.add((path.relative_to(root).as_posix(), scope))
    return found


def _walk(node: ast.AST, scope: str):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            inner = f"{scope}.{child.name}" if scope else child.name
            yield from _walk(child, inner)
        else:
            yield scope, child
            yield from _walk(child, scope)


def test_the_wall_clock_is_read_only_where_the_list_allows():
    reads = _wall_clock_reads()
    # every listed place still reads it (the list stays true), and nothing else does
    assert reads - set(ALLOWED) == set(), "record times through the Clock port (ports.clock_for)"
    assert set(ALLOWED) - reads == set(), "a listed place no longer reads the wall clock: drop it"


def test_the_finder_sees_a_wall_clock_read(tmp_path):
    (tmp_path / "mod.py").write_text(
        "import time\nclass A:\n    def f(self):\n        return time.time()\n", encoding="utf-8"
    )
    assert _wall_clock_reads(tmp_path) == {("mod.py", "A.f")}


def test_the_local_forge_records_its_times_on_the_local_clock(tmp_path):
    # Given a local forge on the local clock, 25 hours ahead of real time
    assert isinstance(clock_for(0), SystemClock) and isinstance(clock_for(25), OffsetClock)
    repo = RepoConfig(
        slug="acme/widget",
        branch="main",
        max_prs_per_run=3,
        labels=("homeostat",),
        path_filters=PathFilters(include=("",)),
    )
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.js").write_text("run();\n")
    forge = LocalForge(tmp_path / "forge", clock=clock_for(25))
    forge.seed_repo(repo, tmp_path / "src")

    # When an issue is filed and a PR opened and merged
    forge.add_issue(repo, "TypeError", "body", [repo.trigger_label], "logger-bot")
    pr, _ = forge.upsert_pr(repo, "a1b2c3d4e5f6", [FileChange("app.js", "run?.();\n")], "fix", "body")
    merged = forge.merge_pr(repo, pr.number)

    # Then every time it recorded is on that clock, not the wall clock
    ahead = datetime.now(UTC) + timedelta(hours=24)
    [issue] = forge.list_trigger_issues(repo)
    assert issue.created_at > ahead
    assert merged.merged_at is not None and merged.merged_at > ahead
