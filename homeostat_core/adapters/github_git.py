"""Git Data API plumbing for the GitHub forge: commits built from a tree (no clone, no git
binary), branch refs created and read, the base branch read with what it requires of CI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from github import GithubException
from requests.exceptions import RequestException

from homeostat_core.adapters.github_checks import branch_for_cache
from homeostat_core.adapters.github_transport import Transport, forge_error, message_of
from homeostat_core.config import RepoConfig
from homeostat_core.models import FileChange
from homeostat_core.ports import ForgeError


@dataclass(frozen=True, slots=True)
class Base:
    """The base branch's head commit and its tree."""

    sha: str
    tree_sha: str


class BranchExists(Exception):
    """POST git/refs answered 422 "Reference already exists"."""


def create_branch(t: Transport, repo: RepoConfig, branch: str, sha: str) -> None:
    url = f"/repos/{repo.slug}/git/refs"
    try:
        t.requester.requestJsonAndCheck("POST", url, input={"ref": f"refs/heads/{branch}", "sha": sha})
    except GithubException as exc:
        if exc.status == 422 and "already exists" in message_of(exc).lower():
            raise BranchExists(branch) from None
        raise forge_error("create branch", exc) from None
    except RequestException as exc:
        raise ForgeError(f"create branch: {type(exc).__name__}") from None


def branch_head(t: Transport, repo: RepoConfig, branch: str) -> str | None:
    data = t.get_or_none("read branch", f"/repos/{repo.slug}/git/ref/heads/{branch}")
    return data["object"]["sha"] if data is not None else None


def read_branch(t: Transport, repo: RepoConfig) -> dict[str, Any]:
    """The base branch: its head commit and tree, and what its protection requires of CI."""
    return t.get(
        "read base branch", f"/repos/{repo.slug}/branches/{quote(repo.branch)}", item=branch_for_cache
    )


def create_commit(
    t: Transport,
    repo: RepoConfig,
    base: Base,
    changes: Sequence[FileChange],
    message: str,
    *,
    parents: Sequence[str] = (),
    separate_blobs: bool = False,
) -> str:
    """One commit of `base`'s tree with `changes`; its parent is `base` unless `parents` says."""
    url = f"/repos/{repo.slug}/git"
    entries = []
    for change in changes:
        entry: dict[str, Any] = {"path": change.path, "mode": "100644", "type": "blob"}
        if separate_blobs:
            blob = t.request(
                "create blob", "POST", f"{url}/blobs", {"content": change.content, "encoding": "utf-8"}
            )
            entry["sha"] = blob["sha"]
        else:
            entry["content"] = change.content
        entries.append(entry)
    tree = t.request("create tree", "POST", f"{url}/trees", {"base_tree": base.tree_sha, "tree": entries})
    commit = t.request(
        "create commit",
        "POST",
        f"{url}/commits",
        {"message": message, "tree": tree["sha"], "parents": list(parents or [base.sha])},
    )
    return commit["sha"]
