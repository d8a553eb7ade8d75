"""What Homeostat keeps of GitHub's answers about issues, pull requests, files and commits: the
few fields it reads, as plain JSON (the conditional-read cache holds these), and the port's models
built from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeostat_core.models import ForgeIssue, PullRequest


def commit_logins(data: dict[str, Any]) -> list[str]:
    """The GitHub logins of a commit's author and committer ('' when not a GitHub user)."""
    return [((data.get(role) or {}).get("login") or "") for role in ("author", "committer")]


def content_for_cache(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):  # a folder's listing
        return {"type": "dir"}
    return {k: data.get(k) for k in ("type", "encoding", "content", "sha")}


def pull_for_cache(data: dict[str, Any]) -> dict[str, Any]:
    head = data.get("head") or {}
    keep = ("number", "html_url", "state", "merged", "merged_at", "body", "draft", "merge_commit_sha")
    return {
        **{k: data.get(k) for k in (*keep, "closed_at", "mergeable", "node_id")},
        "head": {
            "ref": head.get("ref", ""),
            "sha": head.get("sha", ""),
            "repo": {"full_name": (head.get("repo") or {}).get("full_name", "")},
        },
        "user": {"login": (data.get("user") or {}).get("login", "")},
        "labels": [{"name": label["name"]} for label in data.get("labels") or []],
    }


def issue_for_cache(item: dict[str, Any]) -> dict[str, Any]:
    """The few fields Homeostat needs, JSON-serializable so a worker can keep them between runs."""
    return {
        "number": item["number"],
        "title": item.get("title") or "",
        "body": item.get("body") or "",
        "labels": [label["name"] for label in item.get("labels", [])],
        "author": (item.get("user") or {}).get("login", ""),
        "url": item.get("html_url", ""),
        "state": item.get("state", "open"),
        "created_at": item.get("created_at"),
        "comments": item.get("comments", 0),
        "is_pull": "pull_request" in item,
        "closed_at": item.get("closed_at"),
    }


def issue_from_cache(raw: dict[str, Any]) -> ForgeIssue:
    return ForgeIssue(
        number=raw["number"],
        title=raw["title"],
        body=raw["body"],
        labels=tuple(raw["labels"]),
        author=raw["author"],
        url=raw["url"],
        state=raw["state"],
        created_at=as_datetime(raw.get("created_at")),
        closed_at=as_datetime(raw.get("closed_at")),  # absent in caches written before it existed
    )


def pull_from_json(data: dict[str, Any]) -> PullRequest:
    head = data.get("head") or {}
    return PullRequest(
        number=data["number"],
        url=data.get("html_url", ""),
        branch=head.get("ref", ""),
        state=data.get("state", "open"),
        merged=bool(data.get("merged")) or data.get("merged_at") is not None,  # lists carry merged_at only
        body=data.get("body") or "",  # GitHub sends null for an empty body
        head_sha=head.get("sha", ""),
        author=(data.get("user") or {}).get("login", ""),
        head_repo=(head.get("repo") or {}).get("full_name", ""),  # null when the fork was deleted
        draft=bool(data.get("draft")),
        merge_commit_sha=data.get("merge_commit_sha"),
        closed_at=as_datetime(data.get("closed_at")),
        merged_at=as_datetime(data.get("merged_at")),
        mergeable=data.get("mergeable") if isinstance(data.get("mergeable"), bool) else None,
    )


def as_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
