"""One harness per forge adapter, so the contract suite runs the same cases against both.

The harness seeds the same repo and issues, and offers the out-of-band views and actions a test
needs (what is on a branch, the PR records, injected failure of PR creation, CI results) and what
people do (commit onto a branch, open a PR from the repo or a fork, merge, close).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from homeostat_core.adapters.github_forge import GitHubForge, default_retry
from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.config import PathFilters, RepoConfig
from homeostat_core.models import FileChange
from tests.fakes.fake_github import FakeGitHub

TOKEN = "ghp_contract_test_token_0123456789"
SLUG = "acme/widget"
FILES = {
    "src/app.js": "export function run(user) {\n  return user.name.trim();\n}\n",
    "src/vendor/lib.js": "export const lib = 1;\n",
    "README.md": "# widget\n",
}
REPO = RepoConfig(
    slug=SLUG,
    branch="main",
    max_prs_per_run=3,
    labels=("homeostat", "automated-fix"),
    path_filters=PathFilters(include=("src",), exclude=("src/vendor",)),
    allowed_authors=("logger-bot",),
)


def fast_retry():
    """Real GithubRetry semantics with millisecond waits."""
    return default_retry(total=4, backoff_factor=0.001, backoff_max=0.01, secondary_rate_wait=0.01)


@dataclass
class Harness:
    kind: str
    forge: Any
    repo: RepoConfig
    add_issue: Callable[..., int]
    fail_next_pr_creation: Callable[[], None]
    file_on_branch: Callable[[str, str], str | None]
    branch_sha: Callable[[str], str | None]
    prs: Callable[[], list[dict[str, Any]]]
    comments: Callable[[int], list[str]]
    labels: Callable[[int], list[str]]
    set_checks: Callable[[str, str, str], None]  # (head sha, success|failure|pending, summary)
    add_check: Callable[[str, str, str, str], None]  # (head sha, name, conclusion|pending, summary)
    push_to_base: Callable[[dict[str, str]], None]
    # people
    commit_as: Callable[[str, str, dict[str, str]], str]  # (branch, author, files) -> sha
    open_pr_as: Callable[..., int]  # (author, branch, body="", head_repo=None) -> number
    merge: Callable[[int], None]
    close_as_person: Callable[[int], None]
    commit_author: Callable[[str], str]
    without_drafts: Callable[[], None]
    commits_ahead: Callable[[str], list[str]]  # (branch) -> its commits not on the base, newest first
    fake: FakeGitHub | None = None


def _github_harness() -> Iterator[Harness]:
    fake = FakeGitHub(tokens=[TOKEN])
    url = fake.start()
    fake.add_repo(SLUG, "main", FILES)
    forge = GitHubForge.from_token(
        TOKEN, url, retry=fast_retry(), seconds_between_requests=None, seconds_between_writes=None
    )

    def prs() -> list[dict[str, Any]]:
        return [
            {
                "number": p["number"],
                "branch": p["head"]["ref"],
                "state": p["state"],
                "body": p["body"] or "",
                "title": p["title"],
                "labels": [label["name"] for label in p["labels"]],
                "head_sha": p["head"]["sha"],
                "author": p["user"]["login"],
                "head_repo": p["head"]["repo"]["full_name"],
                "draft": p["draft"],
                "requested_reviewers": [u["login"] for u in p["requested_reviewers"]],
            }
            for p in fake.prs(SLUG)
        ]

    def add_check(sha: str, name: str, conclusion: str, summary: str) -> None:
        if conclusion == "pending":
            fake.add_check_run(SLUG, sha, name, "in_progress", None)
        else:
            fake.add_check_run(SLUG, sha, name, "completed", conclusion, summary)

    def without_drafts() -> None:
        fake._repos[SLUG].drafts = False

    def set_checks(sha: str, state: str, summary: str) -> None:
        if state == "pending":
            fake.set_status(SLUG, sha, "success", "ci/lint", "lint ok")
            fake.add_check_run(SLUG, sha, "build", "in_progress", None)
        elif state == "failure":
            fake.add_check_run(SLUG, sha, "build", "completed", "success", "ok")
            fake.add_check_run(SLUG, sha, "tests", "completed", "failure", summary)
        else:
            fake.set_status(SLUG, sha, "success", "ci/lint", "lint ok")
            fake.add_check_run(SLUG, sha, "tests", "completed", "success", summary)

    yield Harness(
        kind="github",
        forge=forge,
        repo=REPO,
        add_issue=lambda title, body, labels, author, is_pull_request=False: fake.add_issue(
            SLUG, title, body, labels, author, is_pull_request=is_pull_request
        ),
        # every attempt of one request fails (fast_retry: 1 + 4 retries)
        fail_next_pr_creation=lambda: fake.inject(500, 5, method="POST", path_contains="/pulls"),
        file_on_branch=lambda branch, path: fake.file_at(SLUG, branch, path),
        branch_sha=lambda branch: fake.ref_sha(SLUG, branch),
        prs=prs,
        comments=lambda n: [c["body"] for c in fake.comments(SLUG, n)],
        labels=lambda n: fake.issue_labels(SLUG, n),
        set_checks=set_checks,
        add_check=add_check,
        push_to_base=lambda files: fake.push_commit(SLUG, "main", files),
        commit_as=lambda branch, author, files: fake.push_commit(SLUG, branch, files, author=author),
        open_pr_as=lambda author, branch, body="", head_repo=None: fake.add_pull(
            SLUG, branch, author, body=body, head_repo=head_repo, files=None
        ),
        merge=lambda number: fake.merge_pr(SLUG, number),
        close_as_person=lambda number: fake.close_pull(SLUG, number),
        commit_author=lambda sha: fake.commit_author(SLUG, sha),
        without_drafts=without_drafts,
        commits_ahead=lambda branch: fake._only_in(
            fake._repos[SLUG], fake.ref_sha(SLUG, branch), fake.ref_sha(SLUG, "main")
        ),
        fake=fake,
    )
    fake.stop()


def _local_harness(tmp_path: Path) -> Iterator[Harness]:
    source = tmp_path / "source"
    for path, content in FILES.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_text(content)
    forge = LocalForge(tmp_path / "forge")
    forge.seed_repo(REPO, source)
    failures = {"pr": 0}
    original_create = forge._create_pull_record

    def failing_create(*args: Any, **kwargs: Any) -> dict[str, Any]:
        if failures["pr"] > 0:
            failures["pr"] -= 1
            raise OSError("simulated crash before the PR record was written")
        return original_create(*args, **kwargs)

    forge._create_pull_record = failing_create  # type: ignore[method-assign]

    def add_issue(
        title: str, body: str, labels: list[str], author: str, is_pull_request: bool = False
    ) -> int:
        if is_pull_request:  # a PR someone else opened, from a fork: never an issue file
            return forge.open_pr_as(REPO, author, "feature/other", title, body, head_repo="someone/widget")
        return forge.add_issue(REPO, title, body, labels, author)

    def prs() -> list[dict[str, Any]]:
        out = []
        for pr in forge.list_prs(REPO):
            record = forge.pr_record(REPO, pr.number)
            out.append({**record, "head_sha": pr.head_sha, "author": pr.author, "head_repo": pr.head_repo})
        return [p for p in out if p["branch"] != "feature/other"]

    def set_checks(sha: str, state: str, summary: str) -> None:
        if state == "pending":
            forge.set_check(REPO, sha, "ci/lint", "success", "lint ok")
            forge.set_check(REPO, sha, "build", "pending")
        elif state == "failure":
            forge.set_check(REPO, sha, "build", "success", "ok")
            forge.set_check(REPO, sha, "tests", "failure", summary)
        else:
            forge.set_check(REPO, sha, "ci/lint", "success", "lint ok")
            forge.set_check(REPO, sha, "tests", "success", summary)

    def commit_as(branch: str, author: str, files: dict[str, str]) -> str:
        return forge.commit_as(REPO, branch, author, [FileChange(p, c) for p, c in files.items()])

    def open_pr_as(author: str, branch: str, body: str = "", head_repo: str | None = None) -> int:
        return forge.open_pr_as(REPO, author, branch, "A change", body, head_repo=head_repo)

    def without_drafts() -> None:
        forge.drafts = False

    def push_to_base(files: dict[str, str]) -> None:
        work = tmp_path / "forge" / "acme" / "widget" / "repo"
        for path, content in files.items():
            (work / path).write_text(content)
        forge._git(REPO, "commit", "--quiet", "-am", "Change on main")

    yield Harness(
        kind="local",
        forge=forge,
        repo=REPO,
        add_issue=add_issue,
        fail_next_pr_creation=lambda: failures.__setitem__("pr", 1),
        file_on_branch=lambda branch, path: forge.read_file(REPO, path, ref=branch),
        branch_sha=lambda branch: forge.branch_sha(REPO, branch),
        prs=prs,
        comments=lambda n: [c["body"] for c in forge.issue_comments(REPO, n)],
        labels=lambda n: forge.issue_labels(REPO, n),
        set_checks=set_checks,
        add_check=lambda sha, name, conclusion, summary: forge.set_check(
            REPO, sha, name, conclusion, summary
        ),
        push_to_base=push_to_base,
        commit_as=commit_as,
        open_pr_as=open_pr_as,
        merge=lambda number: forge.merge_pr(REPO, number),
        close_as_person=lambda number: forge.close_pr_as(REPO, number),
        commit_author=lambda sha: forge.commit_author(REPO, sha)[0],
        without_drafts=without_drafts,
        commits_ahead=lambda branch: forge._git(REPO, "rev-list", f"main..{branch}").stdout.split(),
    )


@pytest.fixture(params=["local", "github"])
def forge_harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "github":
        yield from _github_harness()
    else:
        yield from _local_harness(tmp_path)


@pytest.fixture
def github_harness() -> Iterator[Harness]:
    yield from _github_harness()
