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

People act through the local-only helpers (local_forge_people.py): `commit_as`, `open_pr_as`,
`close_pr_as`, `merge_pr` (which closes the issues the PR body says it fixes, as GitHub does),
`set_check`, `release` (a version bump on the default branch, tagged `v<version>`: git tags are
the releases). The files and git plumbing under both are in local_forge_files.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from homeostat_core.adapters.local_forge_people import PeopleActions
from homeostat_core.adapters.local_steering import LocalSteering
from homeostat_core.ci_verdict import Check, ci_verdict, outcome_of
from homeostat_core.config import RepoConfig
from homeostat_core.models import CheckResult, FileChange, ForgeIssue, PullRequest, Release
from homeostat_core.ports import (
    BRANCH_PREFIX,
    ForeignCommits,
    ForgeError,
    TreeEntry,
    TreeListing,
    ensure_changes_allowed,
    fit_body,
    own_pull_request,
    releases_from,
)
from homeostat_core.report.markers import pr_marker


class LocalForge(PeopleActions, LocalSteering):
    """Forge port on the local disk; also the demo's way to add issues, merge and set checks.

    `login`: who Homeostat is here (its PRs' author, its commits' author and committer).
    `drafts`: False behaves like a GitHub plan without draft PRs (new PRs open ready).
    """

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

    def base_commit(self, repo: RepoConfig) -> str:
        self.api_calls += 1
        return self._base_sha(repo)

    def line_url(self, repo: RepoConfig, commit: str, path: str, line: int | None) -> str:
        # The repository's work tree holds the base branch: the file as the PR's base has it
        # (a browser opens it; git show <commit>:<path> shows the same text).
        anchor = f"#L{line}" if line else ""
        return (self._dir(repo) / "repo" / path).as_uri() + anchor

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

    # --- local-only reads (demo, CLI, tests) --------------------------------------------------

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


def _outcome(conclusion: str):
    """A local check's outcome: "pending" while it runs, else GitHub's meaning of its conclusion."""
    return "running" if conclusion == "pending" else outcome_of("completed", conclusion)


def _detail(check: dict) -> str:
    if _outcome(check["conclusion"]) == "waiting":
        return check["conclusion"]
    return check.get("summary") or check["conclusion"]
