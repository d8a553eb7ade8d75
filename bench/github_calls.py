"""GitHub API calls per repo run, measured against the fake GitHub server.

Prints the calls an idle repo costs (no eligible issue; target <= 2) and the calls per processed
issue that yields a PR (target <= 8), split by endpoint. `drive_repo` stands in for
homeostat_core.pipeline.run_repo until the pipeline exists: it makes the same forge calls, in
the same order, per issue.

    .venv/bin/python bench/github_calls.py
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Collection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homeostat_core.adapters.github_forge import GitHubForge, default_retry  # noqa: E402
from homeostat_core.config import PathFilters, RepoConfig  # noqa: E402
from homeostat_core.models import FileChange  # noqa: E402
from homeostat_core.ports import Forge, branch_for, issue_comment_marker, pr_marker  # noqa: E402
from tests.fakes.fake_github import FakeGitHub  # noqa: E402

SLUG = "acme/widget"
SOURCE = "src/background/sync.js"
REPO = RepoConfig(
    slug=SLUG,
    branch="main",
    max_prs_per_run=10,
    labels=("homeostat",),
    path_filters=PathFilters(include=("src",)),
)


def drive_repo(forge: Forge, repo: RepoConfig, cooling_down: Collection[int] = ()) -> int:
    """One repo run as the pipeline makes it; returns the number of PRs opened or updated.

    `cooling_down` stands for the attempt store: those issues are skipped before any forge call.
    """
    prs = 0
    for issue in forge.list_trigger_issues(repo):
        if issue.number in cooling_down:
            continue
        fingerprint_id = f"fp{issue.number:04d}"
        source = forge.read_file(repo, SOURCE) or ""
        forge.find_open_pr(repo, fingerprint_id)
        fixed = source.replace("tab.url", "tab?.url") + f"// attempt for #{issue.number}\n"
        body = f"Fix for #{issue.number}\n\nFixes #{issue.number}\n\n{pr_marker(fingerprint_id)}"
        pr, _ = forge.upsert_pr(
            repo, fingerprint_id, [FileChange(SOURCE, fixed)], f"fix: #{issue.number}", body
        )
        comment = f"Proposed a fix in #{pr.number} ({branch_for(fingerprint_id)})"
        forge.comment_on_issue(repo, issue.number, comment, issue_comment_marker(fingerprint_id))
        prs += 1
    return prs


def _run(
    fake: FakeGitHub, forge: GitHubForge, label: str, cooling_down: Collection[int] = ()
) -> tuple[int, Counter[str]]:
    fake.reset_calls()
    before = forge.api_calls
    prs = drive_repo(forge, REPO, cooling_down)
    calls = forge.api_calls - before
    assert calls == len(fake.calls), "adapter count and server count disagree"
    endpoints = Counter(f"{c.method} {_route(c.path)}" for c in fake.calls)
    print(f"{label}: {calls} API calls, {prs} PRs")
    return calls, endpoints


def _route(path: str) -> str:
    parts = path.split("/")[4:]  # drop '', 'repos', owner, name
    return "/".join("{n}" if p.isdigit() or len(p) == 40 else p for p in parts[:3])


def main() -> None:
    with FakeGitHub(tokens=["bench-token"]) as fake:
        fake.add_repo(SLUG, "main", {SOURCE: "export function syncTabs(tab) {\n  return tab.url;\n}\n"})
        forge = GitHubForge.from_token(
            "bench-token",
            fake.base_url,
            retry=default_retry(backoff_factor=0.001),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        _run(fake, forge, "first listing, empty repo")
        idle, _ = _run(fake, forge, "idle repo (no eligible issue)")

        issues = 5
        numbers = [
            fake.add_issue(SLUG, f"TypeError {i}", "stack", ["robot"], "logger-bot") for i in range(issues)
        ]
        fake.add_issue(SLUG, "not for us", "x", ["bug"], "someone")
        new_total, new_endpoints = _run(fake, forge, f"{issues} new issues → {issues} new PRs")
        update_total, update_endpoints = _run(
            fake, forge, f"same {issues} issues again → {issues} PR updates"
        )
        idle_after, _ = _run(fake, forge, "all issues in cooldown", cooling_down=numbers)

    listing = 1
    per_new = (new_total - listing) / issues
    per_update = (update_total - listing) / issues
    print()
    print(f"idle repo:                 {idle} calls (target <= 2)  [{'ok' if idle <= 2 else 'OVER'}]")
    print(f"all issues in cooldown:    {idle_after} calls (one 304 listing)")
    print(
        f"per issue, new PR:         {per_new:.1f} calls (target <= 8)  [{'ok' if per_new <= 8 else 'OVER'}]"
    )
    print(
        f"per issue, PR update:      {per_update:.1f} calls (target <= 8)  [{'ok' if per_update <= 8 else 'OVER'}]"
    )
    print("\nnew-PR run by endpoint:")
    for endpoint, count in sorted(new_endpoints.items()):
        print(f"  {count:3d}  {endpoint}")
    print("update run by endpoint:")
    for endpoint, count in sorted(update_endpoints.items()):
        print(f"  {count:3d}  {endpoint}")


if __name__ == "__main__":
    main()
