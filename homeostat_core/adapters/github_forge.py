"""The Forge port over GitHub's REST API, through PyGithub 2.x.

- Commits go through the Git Data API only (tree → commit → ref; github_git.py): no clone, no
  git binary.
- One PR per fingerprint: head branch `homeostat/fix-<id>` (or `-2`, `-3`, … when someone else
  holds that name), found in one listing of the repo's open PRs per run (never the search API),
  updated rather than duplicated, and a branch left by a crash before its PR existed is reused.
- Trust: a PR is Homeostat's own only when its author is `whoami()` (GET /user, once) and its
  head repository is the base repository; no other PR is ever returned as ours or written to.
  Homeostat's branch moves only from the commit it last pushed (`expected_head`).
- Every request travels through `github_transport.Transport`: GitHub's refusals classified one
  way (primary and secondary rate limits, transient 5xx), retries bounded by the time the caller
  has left (`set_time_budget`), a budget per rate-limit resource (REST and GraphQL apart), the
  pinned API version, and conditional reads (an unchanged answer is a free 304).
- The CI verdict is GitHub's (`homeostat_core.ci_verdict`): required checks of the base branch
  (branch protection, rulesets) decide alone when there are any.
- Content-creating requests are paced under GitHub's secondary limit of 80 per minute.
- `api_calls` counts real HTTP requests, retries and 304s included.
The token never appears in a log line or an error message raised from here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from github import Auth, Consts, GithubException
from requests.exceptions import RequestException

from homeostat_core.adapters.github_checks import read_check_results, read_required_checks
from homeostat_core.adapters.github_git import (
    Base,
    BranchExists,
    branch_head,
    create_branch,
    create_commit,
    read_branch,
)
from homeostat_core.adapters.github_limits import DEFAULT_RATE_LIMIT_FLOOR, GitHubRetry, default_retry
from homeostat_core.adapters.github_shapes import (
    commit_logins,
    content_for_cache,
    issue_for_cache,
    issue_from_cache,
    pull_for_cache,
    pull_from_json,
)
from homeostat_core.adapters.github_steering import GitHubSteering
from homeostat_core.adapters.github_transport import (
    ACCEPT,
    API_VERSION,
    RULES_REFUSAL,
    Transport,
    forge_error,
    message_of,
)
from homeostat_core.ci_verdict import RequiredCheck
from homeostat_core.config import RepoConfig
from homeostat_core.models import CheckResult, FileChange, ForgeIssue, PullRequest, Release
from homeostat_core.ports import (
    BRANCH_PREFIX,
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

__all__ = ["ACCEPT", "API_VERSION", "CONTENT_WRITES_PER_MINUTE", "GitHubForge", "default_retry"]

DEFAULT_BASE_URL = "https://api.github.com"
MARK_READY = "markPullRequestReadyForReview"
# GitHub's secondary limit: at most 80 content-creating requests per minute (per credential).
CONTENT_WRITES_PER_MINUTE = 80
SECONDS_BETWEEN_WRITES = max(Consts.DEFAULT_SECONDS_BETWEEN_WRITES, 60 / CONTENT_WRITES_PER_MINUTE)
# What the base branch requires is read once per run (or again after this long: learning jobs).
REQUIRED_CHECKS_FOR = timedelta(minutes=5)


class GitHubForge(GitHubSteering):
    """Forge port implementation for github.com or GitHub Enterprise (`base_url`)."""

    # Who Homeostat is: resolved by whoami() once per instance (an App: "<slug>[bot]").
    _login: str | None = None
    _app_auth: Auth.AppAuth | None = None

    def __init__(
        self,
        auth: Auth.Auth,
        base_url: str = DEFAULT_BASE_URL,
        *,
        retry: GitHubRetry | None = None,
        per_page: int = 100,
        timeout: int = 15,
        seconds_between_requests: float | None = Consts.DEFAULT_SECONDS_BETWEEN_REQUESTS,
        seconds_between_writes: float | None = SECONDS_BETWEEN_WRITES,
        etag_cache: MutableMapping[str, Any] | None = None,
        separate_blobs: bool = False,
        rate_limit_floor: float = DEFAULT_RATE_LIMIT_FLOOR,
        credential: str = "token",
    ):
        """
        `seconds_between_*`: PyGithub's pacing, which GitHub asks of integrations to avoid
        secondary rate limits (tests pass None). `etag_cache`: a dict the caller may keep across
        invocations (JSON values) so unchanged reads cost a free 304. `separate_blobs`: POST each
        file to git/blobs before the tree (one extra call per file); by default contents go inline
        in the tree request, which makes GitHub create the same blobs. `rate_limit_floor`: the
        share of a rate limit below which calls raise RateLimitLow. `credential`: what pays for
        the calls, for messages (`installation 123`, `token`).
        """
        self._web_root = web_root(base_url)
        self._t = Transport.create(
            auth,
            base_url,
            retry=retry,
            per_page=per_page,
            timeout=timeout,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
            rate_limit_floor=rate_limit_floor,
            credential=credential,
            cache=etag_cache,
        )
        self._gh = self._t.github
        self._requester = self._t.requester
        self._separate_blobs = separate_blobs
        self._per_page = per_page
        self._comment_counts: dict[tuple[str, int], int] = {}
        # Per-run caches, reset by list_trigger_issues (the start of a repo run): the repo's open
        # PRs, anyone's, by number (one listing instead of one lookup per fingerprint), the base
        # branch head (our own PRs never move it) and what the base branch requires of CI. Repo
        # runs are serialized, and a PR opened meanwhile by a racing run is adopted on the 422
        # "already exists" answer.
        self._open_prs: dict[str, dict[int, PullRequest]] = {}
        self._bases: dict[str, Base] = {}
        self._required: dict[str, tuple[datetime, tuple[RequiredCheck, ...]]] = {}
        self._pr_labels: dict[tuple[str, int], set[str]] = {}

    @classmethod
    def from_token(cls, token: str, base_url: str = DEFAULT_BASE_URL, **kwargs: Any) -> GitHubForge:
        return cls(Auth.Token(token), base_url, **kwargs)

    @classmethod
    def from_app(
        cls,
        app_id: int | str,
        private_key: str,
        installation_id: int,
        base_url: str = DEFAULT_BASE_URL,
        **kwargs: Any,
    ) -> GitHubForge:
        """Calls as the App's installation: PyGithub mints the installation token on first use and
        mints a new one shortly before it expires (AppInstallationAuth)."""
        app_auth = Auth.AppAuth(app_id, private_key)
        kwargs.setdefault("credential", f"installation {installation_id}")
        forge = cls(Auth.AppInstallationAuth(app_auth, installation_id), base_url, **kwargs)
        forge._app_auth = app_auth
        return forge

    def __repr__(self) -> str:  # never show the auth object
        return f"GitHubForge(api_calls={self.api_calls})"

    @property
    def api_calls(self) -> int:
        return self._t.meter.requests

    # --- identity ----------------------------------------------------------------------------

    def whoami(self, repo: RepoConfig | None = None) -> str:
        """Who this forge's credential acts as: a token's user (GET /user), or for an App
        installation `<app-slug>[bot]` (GET /app with the App's JWT: installation tokens may not
        call /user). One credential per forge, so `repo` does not change the answer."""
        if self._login is None:
            if self._app_auth is not None:
                app = self._t.as_app(self._app_auth).request("who am I", "GET", "/app")
                self._login = f"{app['slug']}[bot]"
            else:
                self._login = self._t.request("who am I", "GET", "/user")["login"]
        return self._login

    # --- time and rate-limit budget ----------------------------------------------------------

    def set_time_budget(self, time_left: Callable[[], float]) -> None:
        """Seconds the current invocation has left for waiting; no retry wait runs past it."""
        self._t.meter.time_left = time_left

    def rate_limit(self, resource: str = "core") -> tuple[int, int, datetime] | None:
        """(remaining, limit, reset) of a resource from the last response's headers; None before."""
        budget = self._t.budgets.by_resource.get(resource)
        return None if budget is None else (budget.remaining, budget.limit, budget.reset_at)

    def rate_limit_low(self) -> datetime | None:
        """The reset time when any resource's budget is below the floor, else None."""
        return self._t.budgets.low()

    # --- issues ------------------------------------------------------------------------------

    def list_trigger_issues(
        self, repo: RepoConfig, since: datetime | None = None, *, include_opted_out: bool = False
    ) -> list[ForgeIssue]:
        params: dict[str, Any] = {"state": "open", "labels": repo.trigger_label, "per_page": self._per_page}
        if since is not None:
            params["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._open_prs.pop(repo.slug, None)
        self._bases.pop(repo.slug, None)
        self._required.pop(repo.slug, None)
        raw_issues = self._t.pages("list issues", f"/repos/{repo.slug}/issues", params, item=issue_for_cache)
        allowed = {a.lower() for a in repo.allowed_authors}
        opt_out = repo.opt_out_label.lower()
        issues = []
        for raw in raw_issues:
            self._comment_counts[(repo.slug, raw["number"])] = raw["comments"]
            if raw["is_pull"]:
                continue
            if opt_out in {label.lower() for label in raw["labels"]} and not include_opted_out:
                continue
            if allowed and raw["author"].lower() not in allowed:
                continue
            issues.append(issue_from_cache(raw))
        return issues

    def get_issue(self, repo: RepoConfig, number: int) -> ForgeIssue | None:
        data = self._t.get_or_none("read issue", f"/repos/{repo.slug}/issues/{number}", item=issue_for_cache)
        return issue_from_cache(data) if data is not None else None

    def close_issue(self, repo: RepoConfig, number: int) -> None:
        url = f"/repos/{repo.slug}/issues/{number}"
        self._t.request("close issue", "PATCH", url, {"state": "closed", "state_reason": "completed"})

    def comment_on_issue(self, repo: RepoConfig, issue_number: int, body: str, marker: str) -> None:
        body = fit_body(body, marker)
        url = f"/repos/{repo.slug}/issues"
        known = self._comment_counts.get((repo.slug, issue_number))
        if known != 0:  # 0 comments at listing time: nothing to look through
            comments = self._t.pages(
                "list comments",
                f"{url}/{issue_number}/comments",
                {"per_page": self._per_page},
                item=lambda c: {"id": c["id"], "body": c.get("body") or ""},
            )
            for comment in comments:
                if marker in comment["body"]:
                    if comment["body"] != body:
                        self._t.request(
                            "edit comment", "PATCH", f"{url}/comments/{comment['id']}", {"body": body}
                        )
                    return
        self._t.request("create comment", "POST", f"{url}/{issue_number}/comments", {"body": body})
        self._comment_counts[(repo.slug, issue_number)] = (known or 0) + 1

    def comment_on_pr(self, repo: RepoConfig, number: int, body: str, marker: str) -> None:
        self._own_pull(repo, number, "comment on PR")
        self.comment_on_issue(repo, number, body, marker)

    def add_labels(self, repo: RepoConfig, issue_number: int, labels: Sequence[str]) -> None:
        if not labels:
            return
        url = f"/repos/{repo.slug}/issues/{issue_number}/labels"
        self._t.request("add labels", "POST", url, {"labels": list(labels)})

    # --- files -------------------------------------------------------------------------------

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        url = f"/repos/{repo.slug}/contents/{quote(path)}"
        content = self._t.get_or_none("read file", url, {"ref": ref or repo.branch}, item=content_for_cache)
        if content is None or content.get("type") != "file":  # missing, or a folder
            return None
        if content["encoding"] == "none":  # files over 1 MB come without content
            blob = self._t.get("read blob", f"/repos/{repo.slug}/git/blobs/{content['sha']}")
            return base64.b64decode(blob["content"]).decode("utf-8", errors="replace")
        return base64.b64decode(content["content"]).decode("utf-8", errors="replace")

    def list_tree(self, repo: RepoConfig, folder: TreeEntry | None = None) -> TreeListing:
        """One Git Trees call: recursive from the base branch (by name: no branch read first),
        or one folder's children."""
        base = self._bases.get(repo.slug)
        sha = folder.sha if folder else base.tree_sha if base else quote(repo.branch, safe="")
        url = f"/repos/{repo.slug}/git/trees/{sha}"
        params = None if folder is not None else {"recursive": "1"}
        data = self._t.get("list tree", url, params)
        prefix = f"{folder.path}/" if folder is not None and folder.path else ""
        entries = tuple(
            TreeEntry(prefix + e["path"], e["type"], e["mode"], e["sha"], e.get("size")) for e in data["tree"]
        )
        return TreeListing(data["sha"], entries, bool(data.get("truncated")))

    # --- pull requests -----------------------------------------------------------------------

    def find_open_pr(self, repo: RepoConfig, fingerprint_id: str) -> PullRequest | None:
        marker = pr_marker(fingerprint_id)
        for pr in self.list_own_open_prs(repo):
            if marker in pr.body or is_branch_for(pr.branch, fingerprint_id):
                return pr
        return None

    def list_own_open_prs(self, repo: RepoConfig) -> list[PullRequest]:
        me = self.whoami()
        return [pr for pr in self._open_pr_index(repo).values() if own_pull_request(pr, repo.slug, me)]

    def get_pr(self, repo: RepoConfig, number: int) -> PullRequest | None:
        data = self._t.get_or_none("read PR", f"/repos/{repo.slug}/pulls/{number}", item=pull_for_cache)
        return pull_from_json(data) if data is not None else None

    def _open_pr_index(self, repo: RepoConfig) -> dict[int, PullRequest]:
        """Every open PR of the repo (anyone's, forks included), listed once per run."""
        index = self._open_prs.get(repo.slug)
        if index is None:
            pulls = self._t.pages(
                "list PRs",
                f"/repos/{repo.slug}/pulls",
                {"state": "open", "per_page": self._per_page},
                item=pull_for_cache,
            )
            index = {}
            for data in pulls:
                pr = index[data["number"]] = pull_from_json(data)
                if pr.branch.startswith(BRANCH_PREFIX):
                    self._pr_labels[(repo.slug, pr.number)] = {lb["name"] for lb in data.get("labels") or []}
            self._open_prs[repo.slug] = index
        return index

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
        ensure_changes_allowed(repo, changes)
        body = fit_body(body, pr_marker(fingerprint_id))
        existing = self.find_open_pr(repo, fingerprint_id)
        if existing is not None:
            # Never over people's commits: the branch must still end at Homeostat's last push.
            head = branch_head(self._t, repo, existing.branch)
            if expected_head is None or head != expected_head:
                raise ForeignCommits(existing.branch, head, expected_head)
            # A follow-up is a new commit on top (the failed one stays for the reviewer), with the
            # base head as a second parent when the base moved, so the PR's diff is this fix alone.
            base = self._base(repo)
            parents = [head] if self.commit_contains(repo, head, base.sha) else [head, base.sha]
            commit_sha = create_commit(
                self._t, repo, base, changes, title, parents=parents, separate_blobs=self._separate_blobs
            )
            self._t.request(
                "update branch",
                "PATCH",
                f"/repos/{repo.slug}/git/refs/heads/{existing.branch}",
                {"sha": commit_sha, "force": False},  # a fast-forward: refused if the branch moved
            )
            pr, created = self._edit_pr(repo, existing.number, title, body), False
        else:
            commit_sha = create_commit(
                self._t, repo, self._base(repo), changes, title, separate_blobs=self._separate_blobs
            )
            branch = self._push_new_branch(repo, fingerprint_id, commit_sha, expected_head)
            pr, created = self._open_pr(repo, fingerprint_id, branch, title, body, draft)
        self._ensure_pr_labels(repo, pr.number)
        result = replace(pr, body=body, head_sha=commit_sha, state="open")
        self._open_pr_index(repo)[result.number] = result
        return result, created

    def _push_new_branch(
        self, repo: RepoConfig, fingerprint_id: str, commit_sha: str, expected_head: str | None
    ) -> str:
        """Point the first branch name nobody else holds at `commit_sha`; returns its name.

        Held: an open PR by anyone else on that name (from any repository), or an existing
        branch whose head commit Homeostat did not write. A leftover branch ending at Homeostat's
        own commit (a crash before its PR existed) is reused.
        """
        me = self.whoami()
        foreign = {
            pr.branch for pr in self._open_pr_index(repo).values() if not own_pull_request(pr, repo.slug, me)
        }
        for candidate in branch_candidates(fingerprint_id):
            if candidate in foreign:
                continue
            try:
                create_branch(self._t, repo, candidate, commit_sha)
                return candidate
            except BranchExists:
                head = branch_head(self._t, repo, candidate)
                if head is None or not (head == expected_head or self._commit_is_own(repo, head)):
                    continue
            self._t.request(
                "update branch",
                "PATCH",
                f"/repos/{repo.slug}/git/refs/heads/{candidate}",
                {"sha": commit_sha, "force": True},
            )
            return candidate
        raise ForgeError(f"upsert PR: every branch name for {fingerprint_id} is held by someone else")

    def _commit_is_own(self, repo: RepoConfig, sha: str) -> bool:
        """Written by Homeostat: GitHub maps both its author and its committer to our login."""
        data = self._t.get("read commit", f"/repos/{repo.slug}/commits/{sha}", item=commit_logins)
        me = self.whoami().lower()
        return [login.lower() for login in data] == [me, me]

    def base_commit(self, repo: RepoConfig) -> str:
        return self._base(repo).sha

    def line_url(self, repo: RepoConfig, commit: str, path: str, line: int | None) -> str:
        anchor = f"#L{line}" if line else ""
        return f"{self._web_root}/{repo.slug}/blob/{commit}/{quote(path, safe='/')}{anchor}"

    def _base(self, repo: RepoConfig) -> Base:
        base = self._bases.get(repo.slug)
        if base is None:
            branch = read_branch(self._t, repo)
            base = self._bases[repo.slug] = Base(sha=branch["sha"], tree_sha=branch["tree_sha"])
        return base

    def _open_pr(
        self, repo: RepoConfig, fingerprint_id: str, branch: str, title: str, body: str, draft: bool
    ) -> tuple[PullRequest, bool]:
        url = f"/repos/{repo.slug}/pulls"
        payload = {"base": repo.branch, "head": branch, "title": title, "body": body, "draft": draft}
        try:
            try:
                _, data = self._requester.requestJsonAndCheck("POST", url, input=payload)
            except GithubException as exc:
                if not (draft and exc.status == 422 and "draft" in str(exc.data).lower()):
                    raise
                # This repository's plan has no draft PRs: open a normal one (pr.draft says so).
                _, data = self._requester.requestJsonAndCheck("POST", url, input={**payload, "draft": False})
            self._pr_labels[(repo.slug, data["number"])] = set()
            return pull_from_json(data), True
        except GithubException as exc:
            if exc.status != 422 or "already exists" not in str(exc.data):
                raise forge_error("open PR", exc) from None
        except RequestException as exc:
            raise ForgeError(f"open PR: {type(exc).__name__}") from None
        # A retried POST (or a racing run) already opened it: adopt that one if it is ours.
        self._open_prs.pop(repo.slug, None)
        existing = self.find_open_pr(repo, fingerprint_id)
        if existing is None or existing.branch != branch:
            raise ForgeError(f"open PR: GitHub reports a PR for {branch} but Homeostat has none open")
        return self._edit_pr(repo, existing.number, title, body), False

    def _edit_pr(self, repo: RepoConfig, number: int, title: str, body: str) -> PullRequest:
        data = self._t.request(
            "update PR", "PATCH", f"/repos/{repo.slug}/pulls/{number}", {"title": title, "body": body}
        )
        return pull_from_json(data)

    def _ensure_pr_labels(self, repo: RepoConfig, number: int) -> None:
        present = self._pr_labels.get((repo.slug, number))
        missing = [label for label in repo.labels if present is None or label not in present]
        if missing:
            self.add_labels(repo, number, missing)
            self._pr_labels[(repo.slug, number)] = (present or set()) | set(missing)

    def _own_pull(self, repo: RepoConfig, number: int, what: str) -> dict[str, Any]:
        """The PR's current JSON, read fresh; NotOwnPullRequest unless it is Homeostat's own."""
        data = self._t.get_or_none(what, f"/repos/{repo.slug}/pulls/{number}", item=pull_for_cache)
        if data is None:
            raise ForgeError(f"{what}: no PR #{number} in {repo.slug}")
        if not own_pull_request(pull_from_json(data), repo.slug, self.whoami()):
            raise NotOwnPullRequest(f"{what}: #{number} is not a Homeostat PR; not touching it")
        return data

    def mark_ready(self, repo: RepoConfig, number: int) -> None:
        data = self._own_pull(repo, number, "mark ready")
        if not data.get("draft"):
            return
        # REST cannot take a PR out of draft; GraphQL's mutation is the only way.
        self._t.graphql(
            "mark ready", MARK_READY, {"pullRequestId": data["node_id"]}, "pullRequest { isDraft }"
        )
        cached = self._open_prs.get(repo.slug, {}).get(number)
        if cached is not None:
            self._open_prs[repo.slug][number] = replace(cached, draft=False)

    def request_reviewers(self, repo: RepoConfig, number: int, reviewers: Sequence[str]) -> None:
        data = self._own_pull(repo, number, "request reviewers")
        author = ((data.get("user") or {}).get("login") or "").lower()
        users = [r for r in reviewers if "/" not in r and r.lower() != author]  # GitHub refuses the author
        teams = [r.split("/", 1)[1] for r in reviewers if "/" in r]
        if not users and not teams:
            return
        self._t.request(
            "request reviewers",
            "POST",
            f"/repos/{repo.slug}/pulls/{number}/requested_reviewers",
            {"reviewers": users, "team_reviewers": teams},
        )

    def close_pr(self, repo: RepoConfig, number: int) -> None:
        data = self._own_pull(repo, number, "close PR")
        if data["state"] == "open":
            self._t.request("close PR", "PATCH", f"/repos/{repo.slug}/pulls/{number}", {"state": "closed"})
        self._open_prs.get(repo.slug, {}).pop(number, None)

    def delete_branch(self, repo: RepoConfig, branch: str) -> None:
        if not branch.startswith(BRANCH_PREFIX):
            raise ForgeError(f"delete branch: {branch} is not a Homeostat branch")
        try:
            self._requester.requestJsonAndCheck("DELETE", f"/repos/{repo.slug}/git/refs/heads/{branch}")
        except GithubException as exc:
            gone = exc.status == 404 or (
                exc.status == 422 and RULES_REFUSAL.lower() not in message_of(exc).lower()
            )
            if not gone:  # 404 / 422 "Reference does not exist": already deleted
                raise forge_error("delete branch", exc) from None
        except RequestException as exc:
            raise ForgeError(f"delete branch: {type(exc).__name__}") from None

    # --- checks ------------------------------------------------------------------------------

    def get_check_results(self, repo: RepoConfig, head_sha: str) -> CheckResult:
        """GitHub's verdict on `head_sha` (`github_checks`): decided by the base branch's required
        checks when it has any."""
        if not head_sha:
            raise ForgeError("read checks: no head SHA given")
        return read_check_results(self._t, repo, head_sha, self._required_checks(repo), self._per_page)

    def _required_checks(self, repo: RepoConfig) -> tuple[RequiredCheck, ...]:
        """What the base branch requires, read once per run (learning jobs: again after a while)."""
        now = datetime.now(UTC)
        known = self._required.get(repo.slug)
        if known is not None and now - known[0] < REQUIRED_CHECKS_FOR:
            return known[1]
        required = read_required_checks(self._t, repo, read_branch(self._t, repo)["required"], self._per_page)
        self._required[repo.slug] = (now, required)
        return required

    # --- releases ----------------------------------------------------------------------------

    def list_releases(self, repo: RepoConfig) -> list[Release]:
        params = {"per_page": self._per_page}
        tags = self._t.pages("list tags", f"/repos/{repo.slug}/tags", params)
        published = self._t.pages("list releases", f"/repos/{repo.slug}/releases", params)
        return releases_from(
            {tag["name"]: tag["commit"]["sha"] for tag in tags},
            {r["tag_name"]: r.get("name") or "" for r in published if not r.get("draft")},
        )

    def commit_contains(self, repo: RepoConfig, commit: str, ancestor: str) -> bool:
        url = f"/repos/{repo.slug}/compare/{ancestor}...{commit}"
        # per_page=1: only the status is needed, not the commits between
        data = self._t.get(
            "compare commits", url, {"per_page": 1}, item=lambda d: {"status": d.get("status")}
        )
        return data.get("status") in ("ahead", "identical")


def web_root(api_url: str) -> str:
    """Where people browse what the API at `api_url` serves: github.com for api.github.com, the
    host of a GitHub Enterprise Server (`https://host/api/v3`), else the API's own root."""
    root = api_url.rstrip("/")
    if root == "https://api.github.com":
        return "https://github.com"
    return root[: -len("/api/v3")] if root.endswith("/api/v3") else root
