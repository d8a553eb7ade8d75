"""The port steering needs beyond the Forge port (homeostat_core/steering): who may write, a
comment or review read back from the forge, a commit on top of Homeostat's PR, back to draft.
Both forges implement it (adapters/local_steering.py, adapters/github_steering.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from homeostat_core.config import RepoConfig
from homeostat_core.models import FileChange, PullRequest

CommentKind = Literal["issue_comment", "review", "review_comment"]
# GitHub's collaborator permission levels that may steer Homeostat (`permission` of GET
# /repos/{o}/{r}/collaborators/{user}/permission; "maintain" reads as "write" there).
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment or review as the forge stores it (never as a webhook payload claims it)."""

    kind: CommentKind
    id: int
    number: int  # the issue or PR it is on
    author: str
    body: str
    review_state: str = ""  # reviews: changes_requested | commented | approved | dismissed
    path: str = ""  # review comments: the file the comment is on
    line: int | None = None
    review_id: int | None = None  # review comments: the review they were submitted with


@runtime_checkable
class SteeringForge(Protocol):
    """What steering needs beyond the Forge port; both forges implement it."""

    def permission(self, repo: RepoConfig, login: str) -> str:
        """`login`'s permission on the repository from the collaborator-permission API: admin,
        maintain, write, triage, read or none (no such user: none)."""
        ...

    def get_comment(
        self, repo: RepoConfig, kind: CommentKind, comment_id: int, number: int
    ) -> Comment | None:
        """The comment (or review) `comment_id` on issue or PR `number`; None when there is none
        there (deleted, or on another issue)."""
        ...

    def review_comments(self, repo: RepoConfig, number: int, review_id: int) -> list[Comment]:
        """The line comments submitted with review `review_id` on PR `number`, oldest first."""
        ...

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
        """A new commit on Homeostat's own open PR `number` whose parent is its head, which must
        be `expected_head` (ForeignCommits otherwise); the branch moves forward, never forced.
        The PR body becomes `body`. Refuses changes outside the path filters (PathNotAllowed)."""
        ...

    def mark_draft(self, repo: RepoConfig, number: int) -> None:
        """Put Homeostat's own PR back into draft (no-op when it is one, or drafts are off)."""
        ...
