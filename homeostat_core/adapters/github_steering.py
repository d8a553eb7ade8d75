"""The steering part of the GitHub forge (the SteeringForge port, homeostat_core/steering):
a person's permission from the collaborator-permission API, a comment or review read back from
GitHub, a commit on top of Homeostat's PR (a fast-forward, never forced) and back to draft.

Mixed into GitHubForge: every request goes through its transport (retries, rate-limit budget,
time budget) and its trust rule (`_own_pull`: only Homeostat's own PR is written to).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from github import GithubException

from homeostat_core.adapters.github_git import Base, branch_head, create_commit
from homeostat_core.adapters.github_shapes import pull_from_json
from homeostat_core.adapters.github_transport import forge_error, message_of
from homeostat_core.config import RepoConfig
from homeostat_core.models import FileChange, PullRequest
from homeostat_core.ports import ForeignCommits, ensure_changes_allowed, fit_body
from homeostat_core.steering.port import Comment, CommentKind

CONVERT_TO_DRAFT = "convertPullRequestToDraft"


class GitHubSteering:
    def permission(self, repo: RepoConfig, login: str) -> str:
        data = self._t.get_or_none(
            "read permission",
            f"/repos/{repo.slug}/collaborators/{quote(login)}/permission",
            item=lambda d: {"permission": d.get("permission")},
        )
        return (data or {}).get("permission") or "none"

    def get_comment(
        self, repo: RepoConfig, kind: CommentKind, comment_id: int, number: int
    ) -> Comment | None:
        if kind == "issue_comment":
            url, parent = f"/repos/{repo.slug}/issues/comments/{comment_id}", ("issue_url", "issues")
        elif kind == "review":
            url, parent = (
                f"/repos/{repo.slug}/pulls/{number}/reviews/{comment_id}",
                ("pull_request_url", "pulls"),
            )
        else:
            url, parent = f"/repos/{repo.slug}/pulls/comments/{comment_id}", ("pull_request_url", "pulls")
        data = self._t.get_or_none(f"read {kind.replace('_', ' ')}", url, item=_comment_fields)
        if data is None or not str(data.get(parent[0]) or "").endswith(f"/{parent[1]}/{number}"):
            return None  # gone, or on another issue or PR than the delivery said
        return _comment(kind, number, data)

    def review_comments(self, repo: RepoConfig, number: int, review_id: int) -> list[Comment]:
        listed = self._t.pages(
            "list review comments",
            f"/repos/{repo.slug}/pulls/{number}/reviews/{review_id}/comments",
            {"per_page": self._per_page},
            item=_comment_fields,
        )
        return sorted((_comment("review_comment", number, data) for data in listed), key=lambda c: c.id)

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
        ensure_changes_allowed(repo, changes)
        data = self._own_pull(repo, number, "push on top")
        branch = data["head"]["ref"]
        head = branch_head(self._t, repo, branch)
        if data["state"] != "open" or head is None or head != expected_head:
            raise ForeignCommits(branch, head, expected_head)
        parent = self._t.request("read commit", "GET", f"/repos/{repo.slug}/git/commits/{head}")
        # the PR's head and its tree, where upsert_pr starts from the base branch's
        on_top = Base(sha=head, tree_sha=parent["tree"]["sha"])
        commit_sha = create_commit(
            self._t, repo, on_top, changes, message, separate_blobs=self._separate_blobs
        )
        try:
            # no force: GitHub refuses it unless the new commit descends from the branch's head
            self._requester.requestJsonAndCheck(
                "PATCH",
                f"/repos/{repo.slug}/git/refs/heads/{branch}",
                input={"sha": commit_sha, "force": False},
            )
        except GithubException as exc:
            if exc.status == 422 and "fast forward" in message_of(exc).lower():
                raise ForeignCommits(branch, branch_head(self._t, repo, branch), expected_head) from None
            raise forge_error("push on top", exc) from None
        edited = self._t.request(
            "update PR", "PATCH", f"/repos/{repo.slug}/pulls/{number}", {"body": fit_body(body)}
        )
        pr = replace(pull_from_json(edited), head_sha=commit_sha, state="open")
        self._open_pr_index(repo)[number] = pr
        return pr

    def mark_draft(self, repo: RepoConfig, number: int) -> None:
        data = self._own_pull(repo, number, "mark draft")
        if data.get("draft"):
            return
        # REST cannot put a PR back into draft; GraphQL's mutation is the only way.
        self._t.graphql(
            "mark draft", CONVERT_TO_DRAFT, {"pullRequestId": data["node_id"]}, "pullRequest { isDraft }"
        )
        cached = self._open_prs.get(repo.slug, {}).get(number)
        if cached is not None:
            self._open_prs[repo.slug][number] = replace(cached, draft=True)


def _comment(kind: CommentKind, number: int, data: dict[str, Any]) -> Comment:
    review_id = data.get("pull_request_review_id")
    return Comment(
        kind=kind,
        id=data["id"],
        number=number,
        author=(data.get("user") or {}).get("login") or "",
        body=data.get("body") or "",
        review_state=(data.get("state") or "").lower(),
        path=data.get("path") or "",
        line=data.get("line"),
        review_id=review_id if isinstance(review_id, int) else None,
    )


def _comment_fields(data: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "body", "state", "path", "line", "issue_url", "pull_request_url", "pull_request_review_id")
    return {key: data.get(key) for key in keep} | {"user": {"login": (data.get("user") or {}).get("login")}}
