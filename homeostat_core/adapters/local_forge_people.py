"""What people do on the local forge (the demo, the CLI and tests act through these): seed a
repository, file an issue, commit, open, close and merge a PR, release a version, report a check.
A merge closes the issues its PR body says it fixes ("Fixes #12"), as GitHub does; a release is a
version bump on the default branch tagged `v<version>` (git tags are the releases)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from homeostat_core.adapters.local_forge_files import LocalForgeFiles, note_seeded, split_front_matter
from homeostat_core.ci_verdict import CONCLUSIONS
from homeostat_core.config import RepoConfig
from homeostat_core.models import FileChange, PullRequest
from homeostat_core.ports import ForgeError
from homeostat_core.versions import version_of_tag

MAINTAINER = ("maintainer", "maintainer@localhost")  # the seed commit and `merge_pr`'s merges
# GitHub's closing keywords ("Fixes #12", "closes: #3"); see docs "Linking a pull request to an issue"
CLOSING_REFERENCE = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#([0-9]+)\b", re.IGNORECASE)
CHECK_CONCLUSIONS = (*sorted(CONCLUSIONS), "pending")
VERSION_FIELD = re.compile(r'("version"\s*:\s*")([^"\n]*)(")')


class PeopleActions(LocalForgeFiles):
    """People's actions on a local forge; LocalForge has them, Homeostat never calls them."""

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
        note_seeded(self.root, repo)
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
        now = self.clock.now()
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
        now = self.clock.now().isoformat()
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

    def _load_issues(self, repo: RepoConfig, issues_dir: Path) -> None:
        for path in sorted(issues_dir.glob("*.md")):
            meta, body = split_front_matter(path.read_text(encoding="utf-8"))
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
