"""The Forge port over plain folders: a git repository plus issues, PRs and comments as files.

Layout under `root/<owner>/<name>/`:

    repo/                 a git repository (git CLI), the repo's branch checked out
    issues/<n>.md         YAML front matter (number, title, labels, author, state, closed_at) + body
    pulls/<n>.json        number, branch, title, body, state, merged, labels, head_sha, base,
                          author, head_repo, draft, requested_reviewers, merge_commit_sha,
                          closed_at, merged_at
    comments/<n>.json     [{id, body}] for issue or PR n
    checks/<sha>.json     {check name: {conclusion, summary}} for one commit (CI results)

It behaves like the GitHub adapter for every port operation: same branch names and marker, one
PR per fingerprint, the same trust rule (a PR is Homeostat's own only when its author is
`login` and its head repository is the repo itself), commits built on the base head without
touching the work tree (a temporary index, like GitHub's tree → commit → ref) with `login` as
git author and committer, drafts, the same path-filter refusal. `api_calls` counts port
operations. Issue and PR numbers share one sequence per repo, as on GitHub.

People act through the local-only helpers: `commit_as`, `open_pr_as`, `close_pr_as`,
`merge_pr` (which closes the issues the PR body says it fixes, as GitHub does), `set_check`,
`release` (a version bump on the default branch, tagged `v<version>`: git tags are the releases).
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

from homeostat_core.ci_verdict import CONCLUSIONS, Check, ci_verdict, outcome_of
from homeostat_core.config import RepoConfig
from homeostat_core.models import CheckResult, FileChange, ForgeIssue, PullRequest, Release
from homeostat_core.ports import (
    BRANCH_PREFIX,
    DEFAULT_BOT_LOGIN,
    ForeignCommits,
    ForgeError,
    NotOwnPullRequest,
    TreeEntry,
    TreeListing,
    branch_candidates,
    ensure_changes_allowed,
    fit_body,
    is_branch_for,
    own_pull_request,
    releases_from,
)
from homeostat_core.report.markers import pr_marker
from homeostat_core.versions import version_of_tag

MAINTAINER = ("maintainer", "maintainer@localhost")  # the seed commit and `merge_pr`'s merges
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)
# GitHub's closing keywords ("Fixes #12", "closes: #3"); see docs "Linking a pull request to an issue"
CLOSING_REFERENCE = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#([0-9]+)\b", re.IGNORECASE)
CHECK_CONCLUSIONS = (*sorted(CONCLUSIONS), "pending")
VERSION_FIELD = re.compile(r'("version"\s*:\s*")([^"\n]*)(")')


class LocalForge:
    """Forge port on the local disk; also the demo's way to add issues, merge and set checks.

    `login`: who Homeostat is here (its PRs' author, its commits' author and committer).
    `drafts`: False behaves like a GitHub plan without draft PRs (new PRs open ready).
    """

    def __init__(self, root: Path, *, login: str = DEFAULT_BOT_LOGIN, drafts: bool = True):
        self.root = Path(root).resolve()
        self.api_calls = 0
        self.login = login
        self.drafts = drafts

    # --- port operations ---------------------------------------------------------------------

    def whoami(self, repo: RepoConfig | None = None) -> str:
        return self.login

    def list_trigger_issues(
        self, repo: RepoConfig, since: datetime | None = None, *, include_opted_out: bool = False
    ) -> list[ForgeIssue]:
        self.api_calls += 1
        allowed = {a.lower() for a in repo.allowed_authors}
        trigger, opt_out = repo.trigger_label.lower(), repo.opt_out_label.lower()
        issues = []
        for issue in self._issues(repo):
            labels = {label.lower() for label in issue["labels"]}
            if issue["state"] != "open" or trigger not in labels:
                continue
            if opt_out in labels and not include_opted_out:
                continue
            if allowed and issue["author"].lower() not in allowed:
                continue
            if since is not None and issue["updated_at"] < since:
                continue
            issues.append(self._issue_model(repo, issue))
        return issues

    def get_issue(self, repo: RepoConfig, number: int) -> ForgeIssue | None:
        self.api_calls += 1
        path = self._dir(repo) / "issues" / f"{number}.md"
        return self._issue_model(repo, self._parse_issue(path)) if path.exists() else None

    def close_issue(self, repo: RepoConfig, number: int) -> None:
        self.api_calls += 1
        self.set_issue_state(repo, number, "closed")

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        self.api_calls += 1
        result = self._git(repo, "show", f"{ref or repo.branch}:{path}", check=False)
        return result.stdout if result.returncode == 0 else None

    def list_tree(self, repo: RepoConfig, folder: TreeEntry | None = None) -> TreeListing:
        self.api_calls += 1
        if folder is None:
            sha = self._git(repo, "rev-parse", f"refs/heads/{repo.branch}^{{tree}}").stdout.strip()
            args, prefix = ["-r", "-t", sha], ""
        else:
            sha, args, prefix = folder.sha, [folder.sha], f"{folder.path}/" if folder.path else ""
        return TreeListing(sha, ls_tree_entries(self._git(repo, "ls-tree", "-l", "-z", *args).stdout, prefix))

    def find_open_pr(self, repo: RepoConfig, fingerprint_id: str) -> PullRequest | None:
        self.api_calls += 1
        record = self._own_open_pull_for(repo, fingerprint_id)
        return self._pull_model(repo, record) if record else None

    def list_own_open_prs(self, repo: RepoConfig) -> list[PullRequest]:
        self.api_calls += 1
        return [
            pr
            for pr in (self._pull_model(repo, r) for r in self._pull_records(repo))
            if pr.state == "open" and own_pull_request(pr, repo.slug, self.login)
        ]

    def get_pr(self, repo: RepoConfig, number: int) -> PullRequest | None:
        self.api_calls += 1
        record = self._read_json(self._dir(repo) / "pulls" / f"{number}.json", None)
        return self._pull_model(repo, record) if record else None

    def upsert_pr(
        self,
        repo: RepoConfig,
        fingerprint_id: str,
        changes: Sequence[FileChange],
        title: str,
        body: str,
        *,
        expected_head: str | None = None,
        draft: bool = True,
    ) -> tuple[PullRequest, bool]:
        self.api_calls += 1
        ensure_changes_allowed(repo, changes)
        body = fit_body(body, pr_marker(fingerprint_id))
        record = self._own_open_pull_for(repo, fingerprint_id)
        if record is not None:
            branch = record["branch"]
            head = self.branch_sha(repo, branch)
            if expected_head is None or head != expected_head:
                raise ForeignCommits(branch, head, expected_head)
            # A follow-up is a new commit on top (the failed one stays for the reviewer), with the
            # base head as a second parent when the base moved, so the PR's diff is this fix alone.
            base = self._base_sha(repo)
            parents = [head] if self.commit_contains(repo, head, base) else [head, base]
            commit = self._commit_tree(repo, base, changes, title, self.login, parents=parents)
            # compare-and-swap: the branch moves only if it still ends at what Homeostat pushed
            moved = self._git(repo, "update-ref", f"refs/heads/{branch}", commit, head, check=False)
            if moved.returncode != 0:
                raise ForeignCommits(branch, self.branch_sha(repo, branch), expected_head)
            created = False
        else:
            branch, leftover = self._free_branch(repo, fingerprint_id, expected_head)
            commit = self._commit_on_base(repo, changes, title)
            # compare-and-swap again: from the leftover Homeostat wrote (a crash before its PR
            # existed), or from nothing (all zeros: the branch must not exist yet)
            self._git(repo, "update-ref", f"refs/heads/{branch}", commit, leftover or "0" * 40)
            record = self._create_pull_record(repo, branch, title, body, draft=draft and self.drafts)
            created = True
        record.update(title=title, body=body, head_sha=commit)
        record["labels"] = list(dict.fromkeys([*record["labels"], *repo.labels]))
        self._save_pull(repo, record)
        return self._pull_model(repo, record), created

    def mark_ready(self, repo: RepoConfig, number: int) -> None:
        self.api_calls += 1
        record = self._own_pull_record(repo, number, "mark ready")
        record["draft"] = False
        self._save_pull(repo, record)

    def request_reviewers(self, repo: RepoConfig, number: int, reviewers: Sequence[str]) -> None:
        self.api_calls += 1
        record = self._own_pull_record(repo, number, "request reviewers")
        wanted = [r for r in reviewers if r.lower() != record.get("author", "").lower()]
        record["requested_reviewers"] = list(dict.fromkeys([*record.get("requested_reviewers", []), *wanted]))
        self._save_pull(repo, record)

    def close_pr(self, repo: RepoConfig, number: int) -> None:
        self.api_calls += 1
        record = self._own_pull_record(repo, number, "close PR")
        if record["state"] == "open":
            self._close_record(repo, record)
            self._save_pull(repo, record)

    def delete_branch(self, repo: RepoConfig, branch: str) -> None:
        self.api_calls += 1
        if not branch.startswith(BRANCH_PREFIX):
            raise ForgeError(f"delete branch: {branch} is not a Homeostat branch")
        if self.branch_sha(repo, branch) is not None:
            self._git(repo, "update-ref", "-d", f"refs/heads/{branch}")

    def comment_on_issue(self, repo: RepoConfig, issue_number: int, body: str, marker: str) -> None:
        self.api_calls += 1
        body = fit_body(body, marker)
        self._require_number(repo, issue_number)
        path = self._dir(repo) / "comments" / f"{issue_number}.json"
        comments = self._read_json(path, [])
        for comment in comments:
            if marker in comment["body"]:
                comment["body"] = body
                break
        else:
            comments.append({"id": self._next_comment_id(repo), "body": body, "author": self.login})
        self._write_json(path, comments)

    def comment_on_pr(self, repo: RepoConfig, number: int, body: str, marker: str) -> None:
        self._own_pull_record(repo, number, "comment on PR")
        self.comment_on_issue(repo, number, body, marker)

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

    def get_check_results(self, repo: RepoConfig, head_sha: str) -> CheckResult:
        self.api_calls += 1
        checks = self._read_json(self._checks_path(repo, head_sha), {})
        return ci_verdict(
            [Check(name, _outcome(c["conclusion"]), _detail(c)) for name, c in sorted(checks.items())],
            ignore=repo.ci_ignore,
        )

    def list_releases(self, repo: RepoConfig) -> list[Release]:
        self.api_calls += 1
        refs = self._git(
            repo, "for-each-ref", "--format=%(refname:strip=2)%09%(objectname)%09%(*objectname)", "refs/tags"
        ).stdout
        tags = {}
        for line in refs.splitlines():
            name, sha, peeled = line.split("\t")
            tags[name] = peeled or sha  # an annotated tag points at its tag object; its commit is peeled
        return releases_from(tags)

    def commit_contains(self, repo: RepoConfig, commit: str, ancestor: str) -> bool:
        self.api_calls += 1
        for sha in (commit, ancestor):
            if self._git(repo, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode != 0:
                raise ForgeError(f"{repo.slug}: no commit {sha}")
        return self._git(repo, "merge-base", "--is-ancestor", ancestor, commit, check=False).returncode == 0

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
        self._git(repo, "config", "user.name", MAINTAINER[0])
        self._git(repo, "config", "user.email", MAINTAINER[1])
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
            "closed_at": None,
            "body": body,
        }
        self._write_issue(repo, issue)
        return number

    def commit_as(
        self,
        repo: RepoConfig,
        branch: str,
        author: str,
        changes: Sequence[FileChange],
        message: str = "A change by a person",
    ) -> str:
        """A person commits `changes` onto `branch` (created from the base when missing)."""
        parent = self.branch_sha(repo, branch) or self._base_sha(repo)
        commit = self._commit_tree(repo, parent, changes, message, author)
        self._git(repo, "update-ref", f"refs/heads/{branch}", commit)
        return commit

    def open_pr_as(
        self,
        repo: RepoConfig,
        author: str,
        branch: str,
        title: str = "A change",
        body: str = "",
        *,
        head_repo: str | None = None,
    ) -> int:
        """A person opens a PR from `branch` of the repo itself or, with `head_repo`, of a fork."""
        head_repo = head_repo or repo.slug
        if head_repo == repo.slug:
            head_sha = self.branch_sha(repo, branch) or ""
            if not head_sha:
                raise ForgeError(f"open PR: no branch {branch} in {repo.slug}")
        else:  # the fork's commit: an object here (as GitHub shares a network), under no ref
            head_sha = self._commit_tree(repo, self._base_sha(repo), [], title, author)
        record = self._create_pull_record(
            repo, branch, title, body, draft=False, author=author, head_repo=head_repo, head_sha=head_sha
        )
        return record["number"]

    def close_pr_as(self, repo: RepoConfig, number: int, login: str = MAINTAINER[0]) -> PullRequest:
        """A person closes a PR (anyone's) without merging it."""
        record = self._pull_record(repo, number)
        if record["state"] == "open":
            self._close_record(repo, record)
            record["closed_by"] = login
            self._save_pull(repo, record)
        return self._pull_model(repo, record)

    def merge_pr(self, repo: RepoConfig, number: int) -> PullRequest:
        """A maintainer merges (git merge --no-ff); issues the body closes ("Fixes #n") close."""
        record = self._pull_record(repo, number)
        if record["state"] != "open":
            raise ForgeError(f"PR #{number} is {record['state']}")
        if record.get("head_repo", repo.slug) != repo.slug:
            raise ForgeError(f"PR #{number} comes from a fork; the local forge merges only its own branches")
        self._git(repo, "checkout", "--quiet", record["base"])
        self._git(
            repo, "reset", "--quiet", "--hard"
        )  # the work tree as the base is now (commit_as moves refs)
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
        now = _now().isoformat()
        record.update(
            state="closed",
            merged=True,
            merged_at=now,
            closed_at=now,
            head_sha=self.branch_sha(repo, record["branch"]) or record["head_sha"],
            merge_commit_sha=self._base_sha(repo),
        )
        self._save_pull(repo, record)
        if record["base"] == repo.branch:  # like GitHub: only merges into the default branch close
            for issue_number in sorted({int(n) for n in CLOSING_REFERENCE.findall(record["body"])}):
                path = self._dir(repo) / "issues" / f"{issue_number}.md"
                if path.exists() and self._parse_issue(path)["state"] == "open":
                    self.set_issue_state(repo, issue_number, "closed")
        return self._pull_model(repo, record)

    def release(self, repo: RepoConfig, version: str) -> str:
        """A maintainer releases `version` from the default branch: the version in
        repo.version_file is bumped to it (a commit, when it says otherwise), then tag
        `v<version>` marks the release. Returns the released commit."""
        if version_of_tag(version) != version:
            raise ForgeError(f"release: {version!r} is not a version like 1.3.0")
        tag = f"v{version}"
        if self._git(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", check=False).stdout:
            raise ForgeError(f"release: {repo.slug} already has a tag {tag}")
        self._git(repo, "checkout", "--quiet", repo.branch)
        self._git(repo, "reset", "--quiet", "--hard")  # the work tree as the branch is now
        manifest = self._dir(repo) / "repo" / repo.version_file
        if manifest.is_file():
            text = manifest.read_text(encoding="utf-8")
            bumped = VERSION_FIELD.sub(lambda m: f"{m.group(1)}{version}{m.group(3)}", text, count=1)
            if bumped != text:
                manifest.write_text(bumped, encoding="utf-8")
                self._git(repo, "commit", "--quiet", "-am", f"Release {version}")
        self._git(repo, "tag", "--annotate", tag, "-m", f"Release {version}")
        return self._base_sha(repo)

    def set_check(self, repo: RepoConfig, sha: str, name: str, conclusion: str, summary: str = "") -> None:
        """CI reports check `name` on commit `sha`: a conclusion, or "pending" while it runs."""
        if conclusion not in CHECK_CONCLUSIONS:
            raise ValueError(f"check conclusion must be one of {CHECK_CONCLUSIONS}, got {conclusion!r}")
        if self._git(repo, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode != 0:
            raise ForgeError(f"{repo.slug}: no commit {sha}")
        path = self._checks_path(repo, sha)
        checks = self._read_json(path, {})
        checks[name] = {"conclusion": conclusion, "summary": summary}
        self._write_json(path, checks)

    def list_prs(self, repo: RepoConfig, state: str = "all") -> list[PullRequest]:
        """PRs by number (anyone's); `state` is open, closed or all."""
        records = [r for r in self._pull_records(repo) if state == "all" or r["state"] == state]
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

    def commit_author(self, repo: RepoConfig, sha: str) -> tuple[str, str]:
        """(author name, committer name) of a commit."""
        out = self._git(repo, "log", "-1", "--format=%an%x00%cn", sha).stdout.strip()
        author, _, committer = out.partition("\x00")
        return author, committer

    def set_issue_state(self, repo: RepoConfig, number: int, state: str) -> None:
        issue = self._issue(repo, number)
        now = _now()
        issue.update(state=state, updated_at=now, closed_at=now if state == "closed" else None)
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
        record.update(state="closed", closed_at=_now().isoformat(), head_sha=head or record["head_sha"])

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
            "created_at": _now().isoformat(),
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


def ls_tree_entries(output: str, prefix: str = "") -> tuple[TreeEntry, ...]:
    """`git ls-tree -l -z` output as tree entries: `<mode> <type> <sha> <size>\t<path>` each."""
    entries = []
    for record in output.split("\0"):
        head, tab, path = record.partition("\t")
        if not tab:
            continue
        mode, kind, sha, size = head.split()
        entries.append(TreeEntry(prefix + path, kind, mode, sha, int(size) if size.isdigit() else None))
    return tuple(entries)


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


def _outcome(conclusion: str):
    """A local check's outcome: "pending" while it runs, else GitHub's meaning of its conclusion."""
    return "running" if conclusion == "pending" else outcome_of("completed", conclusion)


def _detail(check: dict) -> str:
    if _outcome(check["conclusion"]) == "waiting":
        return check["conclusion"]
    return check.get("summary") or check["conclusion"]
