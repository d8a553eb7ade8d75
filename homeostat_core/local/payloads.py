"""GitHub webhook deliveries as local mode sends them: the fields learning and GitHub both use."""

from __future__ import annotations

import time

from homeostat_core.config import RepoConfig


def pull_request_closed_payload(repo: RepoConfig, pr, *, merged: bool) -> dict:
    """A `pull_request` closed delivery in GitHub's shape (fields learning and GitHub both use)."""
    owner = {"login": repo.owner, "type": "Organization"}
    repository = {"name": repo.name, "full_name": repo.slug, "owner": owner, "default_branch": repo.branch}
    return {
        "action": "closed",
        "number": pr.number,
        "pull_request": {
            "url": f"https://api.github.com/repos/{repo.slug}/pulls/{pr.number}",
            "html_url": pr.url,
            "number": pr.number,
            "state": "closed",
            "title": "",
            "body": pr.body,
            "merged": merged,
            "merged_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if merged else None,
            "head": {"ref": pr.branch, "sha": pr.head_sha, "repo": {"full_name": pr.head_repo}},
            "base": {"ref": repo.branch, "repo": repository},
            "user": {"login": pr.author, "type": "Bot"},
        },
        "repository": repository,
        "sender": {"login": "maintainer", "type": "User"},
    }


def check_run_payload(repo: RepoConfig, pr, *, passed: bool, summary: str) -> dict:
    """A `check_run` completed delivery in GitHub's shape, for the PR's head commit."""
    conclusion = "success" if passed else "failure"
    return {
        "action": "completed",
        "check_run": {
            "name": "ci",
            "head_sha": pr.head_sha,
            "status": "completed",
            "conclusion": conclusion,
            "output": {"title": conclusion, "summary": summary or None},
            "check_suite": {"head_branch": pr.branch, "head_sha": pr.head_sha},
            "pull_requests": [{"number": pr.number}],
        },
        "repository": {"name": repo.name, "full_name": repo.slug, "owner": {"login": repo.owner}},
        "sender": {"login": "github-actions[bot]", "type": "Bot"},
    }


def _repository(repo: RepoConfig) -> dict:
    return {"name": repo.name, "full_name": repo.slug, "owner": {"login": repo.owner}}


def _user(login: str) -> dict:
    return {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"}


def issue_comment_payload(
    repo: RepoConfig,
    number: int,
    comment_id: int,
    body: str,
    login: str,
    *,
    pr=None,
    association: str = "NONE",
) -> dict:
    """An `issue_comment` created delivery in GitHub's shape: on an issue, or on the PR `pr`
    (GitHub sends PR conversation comments as issue comments with `issue.pull_request`)."""
    issue = {"number": number, "title": "", "state": "open", "user": _user("someone")}
    if pr is not None:
        issue["pull_request"] = {"url": f"https://api.github.com/repos/{repo.slug}/pulls/{number}"}
    return {
        "action": "created",
        "issue": issue,
        "comment": {"id": comment_id, "body": body, "user": _user(login), "author_association": association},
        "repository": _repository(repo),
        "sender": _user(login),
    }


def review_payload(
    repo: RepoConfig, pr, review_id: int, body: str, login: str, *, state: str = "changes_requested"
) -> dict:
    """A `pull_request_review` submitted delivery in GitHub's shape."""
    return {
        "action": "submitted",
        "review": {"id": review_id, "body": body, "state": state, "user": _user(login)},
        "pull_request": {"number": pr.number, "head": {"ref": pr.branch, "sha": pr.head_sha}},
        "repository": _repository(repo),
        "sender": _user(login),
    }


def review_comment_payload(repo: RepoConfig, pr, comment_id: int, body: str, login: str) -> dict:
    """A `pull_request_review_comment` created delivery in GitHub's shape."""
    return {
        "action": "created",
        "comment": {"id": comment_id, "body": body, "user": _user(login)},
        "pull_request": {"number": pr.number, "head": {"ref": pr.branch, "sha": pr.head_sha}},
        "repository": _repository(repo),
        "sender": _user(login),
    }


def issue_opened_payload(repo: RepoConfig, number: int, title: str, labels, author: str) -> dict:
    """An `issues` opened delivery in GitHub's shape (the fields a wake reads)."""
    return {
        "action": "opened",
        "issue": {
            "number": number,
            "title": title,
            "state": "open",
            "user": _user(author),
            "labels": [{"name": label} for label in labels],
        },
        "repository": _repository(repo),
        "sender": _user(author),
    }
