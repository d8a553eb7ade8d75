"""The local forge's files: where each repository, issue, PR, comment and check lives on disk
(the layout is in local_forge.py), read and written atomically, and the git commands that build
commits without touching the work tree. LocalForge's port operations and people's actions both
stand on this."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from homeostat_core.config import RepoConfig
from homeostat_core.models import FileChange, ForgeIssue, PullRequest
from homeostat_core.ports import (
    DEFAULT_BOT_LOGIN,
    Clock,
    ForgeError,
    NotOwnPullRequest,
    SystemClock,
    branch_candidates,
    is_branch_for,
    own_pull_request,
)
from homeostat_core.report.markers import pr_marker

# The repositories this forge made under its root, one OWNER/NAME per line: a fresh start of a
# state folder deletes these and nothing else a person may have put beside them.
SEEDED_REPOS = ".homeostat-repos"
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)


class LocalForgeFiles:
    """A local forge's storage under `root` (see LocalForge for `login` and `drafts`)."""

    def __init__(
        self,
        root: Path,
        *,
        login: str = DEFAULT_BOT_LOGIN,
        drafts: bool = True,
        clock: Clock = SystemClock(),  # noqa: B008 (stateless)
    ):
        self.root = Path(root).resolve()
        self.clock = clock  # every time the forge records (issues, PRs, merges) is on this clock
        self.api_calls = 0
        self.login = login
        self.drafts = drafts

    def branch_sha(self, repo: RepoConfig, branch: str) -> str | None:
        result = self._git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
        return result.stdout.strip() or None

    def commit_author(self, repo: RepoConfig, sha: str) -> tuple[str, str]:
        """(author name, committer name) of a commit."""
        out = self._git(repo, "log", "-1", "--format=%an%x00%cn", sha).stdout.strip()
        author, _, committer = out.partition("\x00")
        return author, committer

    def set_issue_state(self, repo: RepoConfig, number: int, state: str) -> None:
        issue = self._issue(repo, number)
        now = self.clock.now()
        issue.update(state=state, updated_at=now, closed_at=now if state == "closed" else None)
        self._write_issue(repo, issue)

    def _dir(self, repo: RepoConfig) -> Path:
        return self.root / repo.owner / repo.name

    def _git(
        self,
        repo: RepoConfig,
        *args: str,
        check: bool = True,
        env: dict[str, str] | None = None,
        stdin: str | None = None,
    ):
        work = self._dir(repo) / "repo"
        if not work.exists():
            raise ForgeError(f"unknown local repo {repo.slug} (seed it first)")
        result = subprocess.run(
            ["git", "-C", str(work), *args],
            capture_output=True,
            text=True,
            input=stdin,
            env={**os.environ, **(env or {}), "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
        if check and result.returncode != 0:
            raise ForgeError(f"git {args[0]} failed: {result.stderr.strip()}")
        return result

    def _base_sha(self, repo: RepoConfig) -> str:
        return self._git(repo, "rev-parse", f"refs/heads/{repo.branch}").stdout.strip()

    def _commit_on_base(self, repo: RepoConfig, changes: Sequence[FileChange], message: str) -> str:
        return self._commit_tree(repo, self._base_sha(repo), changes, message, self.login)

    def _commit_tree(
        self,
        repo: RepoConfig,
        parent: str,
        changes: Sequence[FileChange],
        message: str,
        login: str,
        *,
        parents: Sequence[str] = (),
    ) -> str:
        """One commit of `parent`'s tree with `changes`, by `login`, built in a temporary index;
        its parent is `parent` unless `parents` says."""
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self._git(repo, "read-tree", parent, env=env)
            for change in changes:
                blob = self._git(repo, "hash-object", "-w", "--stdin", stdin=change.content).stdout.strip()
                self._git(
                    repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{change.path}", env=env
                )
            tree = self._git(repo, "write-tree", env=env).stdout.strip()
        email = f"{login}@users.noreply.localhost"
        identity = {
            "GIT_AUTHOR_NAME": login,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": login,
            "GIT_COMMITTER_EMAIL": email,
        }
        parent_args = [arg for sha in (parents or [parent]) for arg in ("-p", sha)]
        return self._git(repo, "commit-tree", tree, *parent_args, "-m", message, env=identity).stdout.strip()

    def _free_branch(
        self, repo: RepoConfig, fingerprint_id: str, expected_head: str | None
    ) -> tuple[str, str | None]:
        """(branch, its current head or None): the first candidate nobody else holds."""
        foreign = {r["branch"] for r in self._pull_records(repo) if r["state"] == "open"}
        for candidate in branch_candidates(fingerprint_id):
            if candidate in foreign:  # open own PRs were handled by the caller
                continue
            head = self.branch_sha(repo, candidate)
            if head is None:
                return candidate, None
            if head == expected_head or self.commit_author(repo, head) == (self.login, self.login):
                return candidate, head
        raise ForgeError(f"upsert PR: every branch name for {fingerprint_id} is held by someone else")

    def _issues(self, repo: RepoConfig) -> list[dict[str, Any]]:
        folder = self._dir(repo) / "issues"
        issues = [self._parse_issue(p) for p in folder.glob("*.md")] if folder.exists() else []
        return sorted(issues, key=lambda i: i["number"])

    def _issue(self, repo: RepoConfig, number: int) -> dict[str, Any]:
        path = self._dir(repo) / "issues" / f"{number}.md"
        if not path.exists():
            raise ForgeError(f"{repo.slug}: no issue #{number}")
        return self._parse_issue(path)

    @staticmethod
    def _parse_issue(path: Path) -> dict[str, Any]:
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return {
            "number": int(meta.get("number") or path.stem),
            "title": str(meta.get("title", "")),
            "labels": [str(label) for label in meta.get("labels") or []],
            "author": str(meta.get("author", "")),
            "state": str(meta.get("state", "open")),
            "created_at": _as_datetime(meta.get("created_at")) or stamp,
            "updated_at": _as_datetime(meta.get("updated_at")) or stamp,
            "closed_at": _as_datetime(meta.get("closed_at")),
            "body": body,
        }

    def _write_issue(self, repo: RepoConfig, issue: dict[str, Any]) -> None:
        meta = {k: issue[k] for k in ("number", "title", "labels", "author", "state")}
        for key in ("created_at", "updated_at", "closed_at"):
            value = issue.get(key)
            meta[key] = value.isoformat() if isinstance(value, datetime) else value
        text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + issue["body"]
        _atomic_write(self._dir(repo) / "issues" / f"{issue['number']}.md", text)

    def _numbers(self, repo: RepoConfig) -> list[int]:
        base = self._dir(repo)
        return [
            int(p.stem)
            for folder in ("issues", "pulls")
            for p in (base / folder).glob("*")
            if p.stem.isdigit()
        ]

    def _next_number(self, repo: RepoConfig) -> int:
        return max(self._numbers(repo), default=0) + 1

    def _last_number(self, repo: RepoConfig) -> int:
        return max(self._numbers(repo), default=0)

    def _require_number(self, repo: RepoConfig, number: int) -> None:
        if number not in self._numbers(repo):
            raise ForgeError(f"{repo.slug}: no issue or PR #{number}")

    def _next_comment_id(self, repo: RepoConfig) -> int:
        ids = [c["id"] for p in (self._dir(repo) / "comments").glob("*.json") for c in self._read_json(p, [])]
        return max(ids, default=0) + 1

    def _pull_record(self, repo: RepoConfig, number: int) -> dict[str, Any]:
        record = self._read_json(self._dir(repo) / "pulls" / f"{number}.json", None)
        if record is None:
            raise ForgeError(f"{repo.slug}: no PR #{number}")
        return record

    def _pull_records(self, repo: RepoConfig) -> list[dict[str, Any]]:
        return [self._read_json(p, {}) for p in (self._dir(repo) / "pulls").glob("*.json")]

    def _own_pull_record(self, repo: RepoConfig, number: int, what: str) -> dict[str, Any]:
        record = self._pull_record(repo, number)
        if not own_pull_request(self._pull_model(repo, record), repo.slug, self.login):
            raise NotOwnPullRequest(f"{what}: #{number} is not a Homeostat PR; not touching it")
        return record

    def _own_open_pull_for(self, repo: RepoConfig, fingerprint_id: str) -> dict[str, Any] | None:
        marker = pr_marker(fingerprint_id)
        for record in sorted(self._pull_records(repo), key=lambda r: r["number"]):
            pr = self._pull_model(repo, record)
            if pr.state != "open" or not own_pull_request(pr, repo.slug, self.login):
                continue
            if marker in pr.body or is_branch_for(pr.branch, fingerprint_id):
                return record
        return None

    def _close_record(self, repo: RepoConfig, record: dict[str, Any]) -> None:
        """Closed unmerged; the head it had is kept (the branch may move or go later)."""
        head = (
            self.branch_sha(repo, record["branch"])
            if record.get("head_repo", repo.slug) == repo.slug
            else None
        )
        record.update(
            state="closed", closed_at=self.clock.now().isoformat(), head_sha=head or record["head_sha"]
        )

    def _save_pull(self, repo: RepoConfig, record: dict[str, Any]) -> None:
        self._write_json(self._dir(repo) / "pulls" / f"{record['number']}.json", record)

    def _create_pull_record(
        self, repo: RepoConfig, branch: str, title: str, body: str, **fields: Any
    ) -> dict[str, Any]:
        record = {
            "number": self._next_number(repo),
            "branch": branch,
            "title": title,
            "body": body,
            "state": "open",
            "merged": False,
            "labels": [],
            "head_sha": "",
            "base": repo.branch,
            "author": self.login,
            "head_repo": repo.slug,
            "draft": False,
            "requested_reviewers": [],
            "merge_commit_sha": None,
            "closed_at": None,
            "merged_at": None,
            "created_at": self.clock.now().isoformat(),
        }
        record.update(fields)
        self._save_pull(repo, record)
        return record

    def _pull_model(self, repo: RepoConfig, record: dict[str, Any]) -> PullRequest:
        head_repo = record.get("head_repo", repo.slug)
        head_sha = record["head_sha"]
        mergeable = None
        if record["state"] == "open" and head_repo == repo.slug:  # like GitHub: the branch's head now
            head_sha = self.branch_sha(repo, record["branch"]) or head_sha
            mergeable = self._merges_cleanly(repo, record["base"], head_sha)
        return PullRequest(
            number=record["number"],
            url=(self._dir(repo) / "pulls" / f"{record['number']}.json").as_uri(),
            branch=record["branch"],
            state=record["state"],
            merged=record["merged"],
            body=record["body"],
            head_sha=head_sha,
            # records written before identity existed were all Homeostat's own
            author=record.get("author", self.login),
            head_repo=head_repo,
            draft=bool(record.get("draft", False)),
            merge_commit_sha=record.get("merge_commit_sha"),
            closed_at=_as_datetime(record.get("closed_at")),
            merged_at=_as_datetime(record.get("merged_at")),
            mergeable=mergeable,
        )

    def _merges_cleanly(self, repo: RepoConfig, base: str, head_sha: str) -> bool | None:
        """Whether `head_sha` merges into `base` without conflicts (git merge-tree, no work tree)."""
        if not head_sha:
            return None
        result = self._git(repo, "merge-tree", "--write-tree", f"refs/heads/{base}", head_sha, check=False)
        return {0: True, 1: False}.get(result.returncode)

    def _checks_path(self, repo: RepoConfig, sha: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{7,64}", sha or ""):
            raise ForgeError(f"{repo.slug}: {sha!r} is not a commit SHA")
        return self._dir(repo) / "checks" / f"{sha}.json"

    def _issue_model(self, repo: RepoConfig, issue: dict[str, Any]) -> ForgeIssue:
        return ForgeIssue(
            number=issue["number"],
            title=issue["title"],
            body=issue["body"],
            labels=tuple(issue["labels"]),
            author=issue["author"],
            url=(self._dir(repo) / "issues" / f"{issue['number']}.md").as_uri(),
            state=issue["state"],
            created_at=issue["created_at"],
            closed_at=issue.get("closed_at"),
        )

    @staticmethod
    def _read_json(path: Path, default: Any) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default

    @staticmethod
    def _write_json(path: Path, data: Any) -> None:
        _atomic_write(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    meta = yaml.safe_load(match.group(1)) or {}
    if not isinstance(meta, dict):
        raise ForgeError("issue front matter must be a mapping")
    return meta, match.group(2)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def note_seeded(root: Path, repo: RepoConfig) -> None:
    listed = Path(root) / SEEDED_REPOS
    known = listed.read_text(encoding="utf-8").splitlines() if listed.exists() else []
    if repo.slug not in known:
        listed.write_text("".join(f"{slug}\n" for slug in [*known, repo.slug]), encoding="utf-8")


def clear_seeded(root: Path) -> tuple[list[str], list[str]]:
    """Delete the repositories this forge made under `root` (its SEEDED_REPOS list); returns what
    was cleared and what was kept (paths relative to root's parent, such as `forge/notes.txt`).
    A forge from before the list is deleted whole, as it was then."""
    root = Path(root)
    listed = root / SEEDED_REPOS
    if not listed.exists():
        shutil.rmtree(root)
        return [root.name], []
    seeded = set(listed.read_text(encoding="utf-8").splitlines())
    listed.unlink()
    cleared: list[str] = []
    kept: list[str] = []
    for owner in sorted(root.iterdir()):
        repos = sorted(owner.iterdir()) if owner.is_dir() and not owner.is_symlink() else [owner]
        for path in repos:
            name = f"{root.name}/{path.relative_to(root).as_posix()}"
            if path.relative_to(root).as_posix() in seeded and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                cleared.append(name)
            else:
                kept.append(name)
        if owner.is_dir() and not owner.is_symlink() and not any(owner.iterdir()):
            owner.rmdir()
    if not any(root.iterdir()):
        root.rmdir()
    return cleared, kept
