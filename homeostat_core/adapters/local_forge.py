"""The Forge port over plain folders: a git repository plus issues, PRs and comments as files.

Layout under `root/<owner>/<name>/`:

    repo/                 a git repository (git CLI), the repo's branch checked out
    issues/<n>.md         YAML front matter (number, title, labels, author, state) + the body
    pulls/<n>.json        number, branch, title, body, state, merged, labels, head_sha, base
    comments/<n>.json     [{id, body}] for issue or PR n
    checks/<n>.json       {state, summary} for PR n (optional; pending when absent)

It behaves like the GitHub adapter for every port operation: same branch names and marker, one
PR per fingerprint, commits built on the base head without touching the work tree (a temporary
index, like GitHub's tree → commit → ref), the same path-filter refusal. `api_calls` counts port
operations. Issue and PR numbers share one sequence per repo, as on GitHub.
"""

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
from homeostat_core.models import CheckResult, FileChange, ForgeIssue, PullRequest
from homeostat_core.ports import ForgeError, branch_for, ensure_changes_allowed, pr_marker

GIT_USER = ("Homeostat", "homeostat@localhost")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)
CHECK_STATES = ("success", "failure", "pending")


class LocalForge:
    """Forge port on the local disk; also the demo's way to add issues, merge and set checks."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self.api_calls = 0

    # --- port operations ---------------------------------------------------------------------

    def list_trigger_issues(self, repo: RepoConfig, since: datetime | None = None) -> list[ForgeIssue]:
        self.api_calls += 1
        allowed = {a.lower() for a in repo.allowed_authors}
        issues = []
        for issue in self._issues(repo):
            if issue["state"] != "open" or repo.trigger_label not in issue["labels"]:
                continue
            if repo.opt_out_label in issue["labels"]:
                continue
            if allowed and issue["author"].lower() not in allowed:
                continue
            if since is not None and issue["updated_at"] < since:
                continue
            issues.append(self._issue_model(repo, issue))
        return issues

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        self.api_calls += 1
        result = self._git(repo, "show", f"{ref or repo.branch}:{path}", check=False)
        return result.stdout if result.returncode == 0 else None

    def find_open_pr(self, repo: RepoConfig, fingerprint_id: str) -> PullRequest | None:
        self.api_calls += 1
        record = self._open_pull_for(repo, branch_for(fingerprint_id))
        return self._pull_model(repo, record) if record else None

    def upsert_pr(
        self,
        repo: RepoConfig,
        fingerprint_id: str,
        changes: Sequence[FileChange],
        title: str,
        body: str,
    ) -> tuple[PullRequest, bool]:
        self.api_calls += 1
        ensure_changes_allowed(repo, changes)
        marker = pr_marker(fingerprint_id)
        if marker not in body:
            body = f"{body}\n\n{marker}"
        branch = branch_for(fingerprint_id)
        commit = self._commit_on_base(repo, changes, title)
        # Rebuilt on the base head each time, so the branch moves by force (a branch left by a
        # crash before its PR existed is simply moved and reused).
        self._git(repo, "update-ref", f"refs/heads/{branch}", commit)
        record = self._open_pull_for(repo, branch)
        created = record is None
        if record is None:
            record = self._create_pull_record(repo, branch, title, body)
        record.update(title=title, body=body, head_sha=commit)
        record["labels"] = list(dict.fromkeys([*record["labels"], *repo.labels]))
        self._write_json(self._dir(repo) / "pulls" / f"{record['number']}.json", record)
        return self._pull_model(repo, record), created

    def comment_on_issue(self, repo: RepoConfig, issue_number: int, body: str, marker: str) -> None:
        self.api_calls += 1
        if marker not in body:
            body = f"{body}\n\n{marker}"
        self._require_number(repo, issue_number)
        path = self._dir(repo) / "comments" / f"{issue_number}.json"
        comments = self._read_json(path, [])
        for comment in comments:
            if marker in comment["body"]:
                comment["body"] = body
                break
        else:
            comments.append({"id": self._next_comment_id(repo), "body": body})
        self._write_json(path, comments)

    def add_labels(self, repo: RepoConfig, issue_number: int, labels: Sequence[str]) -> None:
        self.api_calls += 1
        pull_path = self._dir(repo) / "pulls" / f"{issue_number}.json"
        if pull_path.exists():
            record = self._read_json(pull_path, {})
            record["labels"] = list(dict.fromkeys([*record["labels"], *labels]))
            self._write_json(pull_path, record)
            return
        issue = self._issue(repo, issue_number)
        issue["labels"] = list(dict.fromkeys([*issue["labels"], *labels]))
        self._write_issue(repo, issue)

    def get_check_results(self, repo: RepoConfig, pr_number: int) -> CheckResult:
        self.api_calls += 1
        self._pull_record(repo, pr_number)
        data = self._read_json(self._dir(repo) / "checks" / f"{pr_number}.json", None)
        if data is None:
            return CheckResult("pending", "no checks reported yet")
        return CheckResult(data["state"], data.get("summary", ""))

    # --- local-only helpers (demo, CLI, tests) ----------------------------------------------

    def seed_repo(self, repo: RepoConfig, source_dir: Path, issues_dir: Path | None = None) -> Path:
        """A fresh git repo from `source_dir` (one commit on repo.branch) plus its issues."""
        base = self._dir(repo)
        if base.exists():
            shutil.rmtree(base)
        work = base / "repo"
        shutil.copytree(source_dir, work, ignore=shutil.ignore_patterns(".git"))
        for folder in ("issues", "pulls", "comments", "checks"):
            (base / folder).mkdir(parents=True, exist_ok=True)
        self._git(repo, "init", "--quiet", f"--initial-branch={repo.branch}")
        self._git(repo, "config", "user.name", GIT_USER[0])
        self._git(repo, "config", "user.email", GIT_USER[1])
        self._git(repo, "config", "commit.gpgsign", "false")
        self._git(repo, "add", "--all")
        self._git(repo, "commit", "--quiet", "--allow-empty", "-m", "Initial commit")
        if issues_dir is not None:
            self._load_issues(repo, Path(issues_dir))
        return work

    def add_issue(
        self,
        repo: RepoConfig,
        title: str,
        body: str,
        labels: Sequence[str],
        author: str,
        number: int | None = None,
    ) -> int:
        number = number if number is not None else self._next_number(repo)
        now = _now()
        issue = {
            "number": number,
            "title": title,
            "labels": list(labels),
            "author": author,
            "state": "open",
            "created_at": now,
            "updated_at": now,
            "body": body,
        }
        self._write_issue(repo, issue)
        return number

    def merge_pr(self, repo: RepoConfig, number: int) -> PullRequest:
        record = self._pull_record(repo, number)
        if record["state"] != "open":
            raise ForgeError(f"PR #{number} is {record['state']}")
        self._git(repo, "checkout", "--quiet", record["base"])
        merged = self._git(
            repo,
            "merge",
            "--no-ff",
            "--quiet",
            "-m",
            f"Merge pull request #{number}",
            record["branch"],
            check=False,
        )
        if merged.returncode != 0:
            self._git(repo, "merge", "--abort", check=False)
            raise ForgeError(f"PR #{number} does not merge cleanly: {merged.stderr.strip()}")
        record.update(state="closed", merged=True)
        self._write_json(self._dir(repo) / "pulls" / f"{number}.json", record)
        return self._pull_model(repo, record)

    def close_pr(self, repo: RepoConfig, number: int) -> PullRequest:
        record = self._pull_record(repo, number)
        record["state"] = "closed"
        self._write_json(self._dir(repo) / "pulls" / f"{number}.json", record)
        return self._pull_model(repo, record)

    def set_check_result(self, repo: RepoConfig, pr_number: int, state: str, summary: str = "") -> None:
        if state not in CHECK_STATES:
            raise ValueError(f"check state must be one of {CHECK_STATES}, got {state!r}")
        self._pull_record(repo, pr_number)
        self._write_json(
            self._dir(repo) / "checks" / f"{pr_number}.json", {"state": state, "summary": summary}
        )

    def list_prs(self, repo: RepoConfig, state: str = "all") -> list[PullRequest]:
        """PRs by number; `state` is open, closed or all."""
        records = [self._read_json(p, {}) for p in (self._dir(repo) / "pulls").glob("*.json")]
        records = [r for r in records if state == "all" or r["state"] == state]
        return [self._pull_model(repo, r) for r in sorted(records, key=lambda r: r["number"])]

    def pr_record(self, repo: RepoConfig, number: int) -> dict[str, Any]:
        """The stored PR record (title, labels, base, …), for inspection."""
        return self._pull_record(repo, number)

    def issue_comments(self, repo: RepoConfig, number: int) -> list[dict[str, Any]]:
        return self._read_json(self._dir(repo) / "comments" / f"{number}.json", [])

    def issue_labels(self, repo: RepoConfig, number: int) -> list[str]:
        pull_path = self._dir(repo) / "pulls" / f"{number}.json"
        if pull_path.exists():
            return list(self._read_json(pull_path, {})["labels"])
        return list(self._issue(repo, number)["labels"])

    def pr_diff(self, repo: RepoConfig, number: int) -> str:
        record = self._pull_record(repo, number)
        head = record["head_sha"] or record["branch"]
        return self._git(repo, "diff", f"{record['base']}...{head}").stdout

    def branch_sha(self, repo: RepoConfig, branch: str) -> str | None:
        result = self._git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
        return result.stdout.strip() or None

    def set_issue_state(self, repo: RepoConfig, number: int, state: str) -> None:
        issue = self._issue(repo, number)
        issue.update(state=state, updated_at=_now())
        self._write_issue(repo, issue)

    # --- storage -----------------------------------------------------------------------------

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

    def _commit_on_base(self, repo: RepoConfig, changes: Sequence[FileChange], message: str) -> str:
        base = self._git(repo, "rev-parse", f"refs/heads/{repo.branch}").stdout.strip()
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self._git(repo, "read-tree", base, env=env)
            for change in changes:
                blob = self._git(repo, "hash-object", "-w", "--stdin", stdin=change.content).stdout.strip()
                self._git(
                    repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{change.path}", env=env
                )
            tree = self._git(repo, "write-tree", env=env).stdout.strip()
        return self._git(repo, "commit-tree", tree, "-p", base, "-m", message).stdout.strip()

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
        meta, body = _split_front_matter(path.read_text(encoding="utf-8"))
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return {
            "number": int(meta.get("number") or path.stem),
            "title": str(meta.get("title", "")),
            "labels": [str(label) for label in meta.get("labels") or []],
            "author": str(meta.get("author", "")),
            "state": str(meta.get("state", "open")),
            "created_at": _as_datetime(meta.get("created_at")) or stamp,
            "updated_at": _as_datetime(meta.get("updated_at")) or stamp,
            "body": body,
        }

    def _write_issue(self, repo: RepoConfig, issue: dict[str, Any]) -> None:
        meta = {k: issue[k] for k in ("number", "title", "labels", "author", "state")}
        for key in ("created_at", "updated_at"):
            value = issue.get(key)
            meta[key] = value.isoformat() if isinstance(value, datetime) else value
        text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + issue["body"]
        _atomic_write(self._dir(repo) / "issues" / f"{issue['number']}.md", text)

    def _load_issues(self, repo: RepoConfig, issues_dir: Path) -> None:
        for path in sorted(issues_dir.glob("*.md")):
            meta, body = _split_front_matter(path.read_text(encoding="utf-8"))
            self.add_issue(
                repo,
                title=str(meta.get("title", path.stem)),
                body=body,
                labels=[str(label) for label in meta.get("labels") or []],
                author=str(meta.get("author", "")),
                number=int(meta["number"]) if meta.get("number") is not None else None,
            )
            if meta.get("state", "open") != "open":
                self.set_issue_state(repo, self._last_number(repo), str(meta["state"]))

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

    def _open_pull_for(self, repo: RepoConfig, branch: str) -> dict[str, Any] | None:
        for path in (self._dir(repo) / "pulls").glob("*.json"):
            record = self._read_json(path, {})
            if record.get("branch") == branch and record.get("state") == "open":
                return record
        return None

    def _create_pull_record(self, repo: RepoConfig, branch: str, title: str, body: str) -> dict[str, Any]:
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
        }
        self._write_json(self._dir(repo) / "pulls" / f"{record['number']}.json", record)
        return record

    def _pull_model(self, repo: RepoConfig, record: dict[str, Any]) -> PullRequest:
        return PullRequest(
            number=record["number"],
            url=(self._dir(repo) / "pulls" / f"{record['number']}.json").as_uri(),
            branch=record["branch"],
            state=record["state"],
            merged=record["merged"],
            body=record["body"],
            head_sha=record["head_sha"],
        )

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


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
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


def _now() -> datetime:
    return datetime.now(UTC)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
