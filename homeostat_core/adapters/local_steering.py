"""The steering part of the local forge: who may write, people's comments and reviews, a commit on
top of Homeostat's PR, and back to draft (the SteeringForge port, homeostat_core/steering).

Layout, next to local_forge's under `root/<owner>/<name>/`:

    collaborators.json      {login: permission}: admin, maintain, write, triage or read (anyone
                            else: read, as on a public repository); the seed's maintainer is admin
    reviews/<n>.json        [{id, body, state, author}] on PR n
    review_comments/<n>.json [{id, body, author, path, line, review_id}] on PR n

Comments on issues and PRs stay in `comments/<n>.json` (local_forge); every comment and review
takes its id from one sequence, as GitHub's ids never collide across them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from homeostat_core.config import RepoConfig
from homeostat_core.models import FileChange, PullRequest
from homeostat_core.ports import ForeignCommits, ensure_changes_allowed, fit_body
from homeostat_core.steering.port import Comment, CommentKind

DEFAULT_COLLABORATORS = {"maintainer": "admin"}  # local_forge.MAINTAINER, who seeded the repository
REVIEW_STATES = ("changes_requested", "commented", "approved")
_FOLDERS: dict[str, str] = {
    "issue_comment": "comments",
    "review": "reviews",
    "review_comment": "review_comments",
}


class LocalSteering:
    """Mixed into LocalForge: it relies on its storage helpers (`_dir`, `_git`, `_read_json`, …)."""

    # --- port operations ---------------------------------------------------------------------

    def permission(self, repo: RepoConfig, login: str) -> str:
        self.api_calls += 1
        return self.collaborators(repo).get(login.lower(), "read")

    def get_comment(
        self, repo: RepoConfig, kind: CommentKind, comment_id: int, number: int
    ) -> Comment | None:
        self.api_calls += 1
        path = self._dir(repo) / _FOLDERS[kind] / f"{number}.json"
        for item in self._read_json(path, []):
            if item["id"] == comment_id:
                return self._comment(kind, number, item)
        return None

    def review_comments(self, repo: RepoConfig, number: int, review_id: int) -> list[Comment]:
        self.api_calls += 1
        path = self._dir(repo) / _FOLDERS["review_comment"] / f"{number}.json"
        items = [i for i in self._read_json(path, []) if i.get("review_id") == review_id]
        return [self._comment("review_comment", number, i) for i in sorted(items, key=lambda i: i["id"])]

    def _comment(self, kind: CommentKind, number: int, item: dict[str, Any]) -> Comment:
        return Comment(
            kind=kind,
            id=item["id"],
            number=number,
            author=item.get("author", self.login),
            body=item.get("body") or "",
            review_state=item.get("state", ""),
            path=item.get("path", ""),
            line=item.get("line"),
            review_id=item.get("review_id"),
        )

    def push_on_top(
        self,
        repo: RepoConfig,
        number: int,
        changes: Sequence[FileChange],
        message: str,
        body: str,
        *,
        expected_head: str,
    ) -> PullRequest:
        self.api_calls += 1
        ensure_changes_allowed(repo, changes)
        record = self._own_pull_record(repo, number, "push on top")
        branch = record["branch"]
        head = self.branch_sha(repo, branch)
        if record["state"] != "open" or head is None or head != expected_head:
            raise ForeignCommits(branch, head, expected_head)
        commit = self._commit_tree(repo, head, changes, message, self.login)
        # compare-and-swap from the head Homeostat pushed: a fast-forward, never a rewrite
        moved = self._git(repo, "update-ref", f"refs/heads/{branch}", commit, head, check=False)
        if moved.returncode != 0:
            raise ForeignCommits(branch, self.branch_sha(repo, branch), expected_head)
        record.update(body=fit_body(body), head_sha=commit)
        self._save_pull(repo, record)
        return self._pull_model(repo, record)

    def mark_draft(self, repo: RepoConfig, number: int) -> None:
        self.api_calls += 1
        record = self._own_pull_record(repo, number, "mark draft")
        if self.drafts and not record.get("draft"):
            record["draft"] = True
            self._save_pull(repo, record)

    # --- people (local only) ---------------------------------------------------------------------

    def collaborators(self, repo: RepoConfig) -> dict[str, str]:
        found = self._read_json(self._dir(repo) / "collaborators.json", DEFAULT_COLLABORATORS)
        return {login.lower(): permission for login, permission in found.items()}

    def set_collaborator(self, repo: RepoConfig, login: str, permission: str) -> None:
        """Give `login` a permission on the repository (GitHub's collaborator settings)."""
        self._write_json(
            self._dir(repo) / "collaborators.json", {**self.collaborators(repo), login: permission}
        )

    def comment_as(self, repo: RepoConfig, number: int, body: str, login: str) -> int:
        """`login` comments on issue or PR `number`; returns the comment's id."""
        self._require_number(repo, number)
        return self._add(repo, "issue_comment", number, {"body": body, "author": login})

    def review_as(self, repo: RepoConfig, number: int, body: str, login: str, state: str) -> int:
        """`login` submits a review of PR `number` (state: changes_requested | commented | approved)."""
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {', '.join(REVIEW_STATES)}")
        self._pull_record(repo, number)
        return self._add(repo, "review", number, {"body": body, "author": login, "state": state})

    def review_comment_as(
        self,
        repo: RepoConfig,
        number: int,
        body: str,
        login: str,
        path: str = "",
        line: int | None = None,
        review_id: int | None = None,
    ) -> int:
        """`login` comments on a line of PR `number`'s diff, as part of review `review_id` (by
        default a review of its own, as GitHub makes for a single comment)."""
        self._pull_record(repo, number)
        fields = {"body": body, "author": login, "path": path, "line": line}
        if review_id is None:
            review_id = self._add(repo, "review", number, {"body": "", "author": login, "state": "commented"})
        return self._add(repo, "review_comment", number, fields | {"review_id": review_id})

    def commit_count(self, repo: RepoConfig, branch: str) -> int:
        """How many commits `branch` has that the base branch has not."""
        return int(
            self._git(repo, "rev-list", "--count", f"refs/heads/{repo.branch}..refs/heads/{branch}").stdout
        )

    def is_ancestor(self, repo: RepoConfig, ancestor: str, commit: str) -> bool:
        return self._git(repo, "merge-base", "--is-ancestor", ancestor, commit, check=False).returncode == 0

    # --- storage -----------------------------------------------------------------------------

    def _add(self, repo: RepoConfig, kind: CommentKind, number: int, fields: dict[str, Any]) -> int:
        path = self._dir(repo) / _FOLDERS[kind] / f"{number}.json"
        items = self._read_json(path, [])
        comment_id = self._next_id_of_any(repo)
        items.append({"id": comment_id, **fields})
        self._write_json(path, items)
        return comment_id

    def _next_id_of_any(self, repo: RepoConfig) -> int:
        paths: list[Path] = [
            p for folder in _FOLDERS.values() for p in (self._dir(repo) / folder).glob("*.json")
        ]
        return max((c["id"] for p in paths for c in self._read_json(p, [])), default=0) + 1
