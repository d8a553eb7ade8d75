"""The Forge port over GitHub's REST API, through PyGithub 2.x.

- Commits go through the Git Data API only (tree → commit → ref): no clone, no git binary.
- One PR per fingerprint: head branch `homeostat/fix-<id>` (or `-2`, `-3`, … when someone else
  holds that name), found in one listing of the repo's open PRs per run (never the search API),
  updated rather than duplicated, and a branch left by a crash before its PR existed is reused.
- Trust: a PR is Homeostat's own only when its author is `whoami()` (GET /user, once) and its
  head repository is the base repository; no other PR is ever returned as ours or written to.
  Homeostat's branch moves only from the commit it last pushed (`expected_head`).
- Retries with backoff on 5xx, 429 and rate-limit 403s (PyGithub's GithubRetry honours
  Retry-After and x-ratelimit-reset), but never waits past `max_rate_limit_wait` nor past the
  time the caller has left (`set_time_budget`): such a wait raises RateLimitLow instead.
- Rate-limit budget: every response's X-RateLimit-Remaining/Limit/Reset is read (PyGithub keeps
  them on the requester); below the floor (default 10% of the limit) calls raise RateLimitLow
  with the reset time, so a run stops cleanly and continues after the reset.
- Content-creating requests are paced under GitHub's secondary limit of 80 per minute.
- The REST API version and media type are pinned (X-GitHub-Api-Version, Accept).
- Issue listing is a conditional request (If-None-Match); an idle repo answers 304, which
  GitHub does not count against the rate limit.
- `api_calls` counts real HTTP requests, retries included.
The token never appears in a log line or an error message raised from here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import github
from github import (
    Auth,
    Consts,
    Github,
    GithubException,
    GithubIntegration,
    GithubRetry,
    RateLimitExceededException,
)
from requests.exceptions import RequestException
from urllib3 import Retry

from homeostat_core.config import RepoConfig
from homeostat_core.models import CheckResult, FileChange, ForgeIssue, PullRequest, Release
from homeostat_core.ports import (
    BRANCH_PREFIX,
    ForeignCommits,
    ForgeError,
    NotOwnPullRequest,
    RateLimitLow,
    TreeEntry,
    TreeListing,
    branch_candidates,
    check_verdict,
    ensure_changes_allowed,
    fit_body,
    is_branch_for,
    own_pull_request,
    releases_from,
)
from homeostat_core.report.markers import pr_marker

DEFAULT_BASE_URL = "https://api.github.com"
FAILING_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})
FAILING_STATUSES = frozenset({"failure", "error"})
RULES_REFUSAL = "Repository rule violations found"
MARK_READY = "markPullRequestReadyForReview"
MAX_ANNOTATIONS = 5
RETRY_STATUSES = (429, *range(500, 600))  # GithubRetry adds 403 (rate limits) itself
RETRY_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"})
API_VERSION = "2022-11-28"
ACCEPT = "application/vnd.github+json"
# A rate-limit reset further away than this is not waited for: the run defers (RateLimitLow).
DEFAULT_MAX_RATE_LIMIT_WAIT = 30.0
# Stop when fewer than this share of the credential's hourly limit is left.
DEFAULT_RATE_LIMIT_FLOOR = 0.10
# GitHub's secondary limit: at most 80 content-creating requests per minute (per credential).
CONTENT_WRITES_PER_MINUTE = 80
SECONDS_BETWEEN_WRITES = max(Consts.DEFAULT_SECONDS_BETWEEN_WRITES, 60 / CONTENT_WRITES_PER_MINUTE)


def default_retry(
    *,
    total: int = 5,
    backoff_factor: float = 1.0,
    backoff_max: float = 60.0,
    secondary_rate_wait: float = 60.0,
    retry_after_max: float = 120.0,
    max_rate_limit_wait: float = DEFAULT_MAX_RATE_LIMIT_WAIT,
) -> GithubRetry:
    """GithubRetry for 5xx, 429 and rate-limit 403s; tests shrink the waits to milliseconds.

    `max_rate_limit_wait`: a primary or secondary rate limit that needs a longer wait raises at
    once (PyGithub would otherwise sleep until the reset, up to an hour, inside a 900 s Lambda)."""
    return GithubRetry(
        total=total,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        secondary_rate_wait=secondary_rate_wait,
        retry_after_max=retry_after_max,
        max_rate_limit_wait=max_rate_limit_wait,
        status_forcelist=list(RETRY_STATUSES),
        allowed_methods=RETRY_METHODS,
    )


class _RequestCounter:
    def __init__(self) -> None:
        self.count = 0
        # Seconds the caller has left (the Lambda's remaining time minus its margin).
        self.time_left: Callable[[], float] = lambda: float("inf")


class _CountingRetry(GithubRetry):
    """A GithubRetry that counts every HTTP response and connection error it is consulted on.

    urllib3 asks the retry policy about each response (`is_retry`) and each failed connection
    (`increment` with an error), retries included, so the count is the number of real requests.
    """

    counter: _RequestCounter

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        self.counter.count += 1
        return super().is_retry(method, status_code, has_retry_after)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[override]
        if response is None and error is not None:
            self.counter.count += 1
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def new(self, **kw: Any) -> _CountingRetry:
        retry = super().new(**kw)
        retry.counter = self.counter
        return retry

    def sleep(self, response=None) -> None:  # type: ignore[override]
        # Never sleep past the time the caller has left: give the run back instead.
        retry_after = self.get_retry_after(response) if response is not None else None
        wait = retry_after if retry_after is not None else self.get_backoff_time()
        left = self.counter.time_left()
        if wait > left:
            raise RateLimitLow(
                f"GitHub asks to wait {wait:.0f}s before retrying; only {max(left, 0):.0f}s left in this run",
                reset_at=datetime.fromtimestamp(datetime.now(UTC).timestamp() + wait, UTC),
            )
        super().sleep(response)


def _counting(retry: Retry, counter: _RequestCounter) -> _CountingRetry:
    params = {
        name: getattr(retry, name)
        for name in (
            "total",
            "connect",
            "read",
            "redirect",
            "status",
            "other",
            "allowed_methods",
            "status_forcelist",
            "backoff_factor",
            "backoff_max",
            "retry_after_max",
            "raise_on_redirect",
            "raise_on_status",
            "history",
            "respect_retry_after_header",
            "remove_headers_on_redirect",
            "backoff_jitter",
        )
        if hasattr(retry, name)
    }
    # GithubRetry.__init__ appends 403 to status_forcelist; do not add it twice.
    params["status_forcelist"] = [s for s in (params.get("status_forcelist") or RETRY_STATUSES) if s != 403]
    counting = _CountingRetry(
        secondary_rate_wait=getattr(retry, "secondary_rate_wait", 60.0),
        max_rate_limit_wait=getattr(retry, "max_rate_limit_wait", None),
        **params,
    )
    counting.counter = counter
    return counting


@dataclass(frozen=True, slots=True)
class _Base:
    sha: str
    tree_sha: str


class _BranchExists(Exception):
    """POST git/refs answered 422 "Reference already exists"."""


class GitHubForge:
    """Forge port implementation for github.com or GitHub Enterprise (`base_url`)."""

    # Who Homeostat is: resolved by whoami() once per instance (an App: "<slug>[bot]").
    _login: str | None = None
    _app_auth: Auth.AppAuth | None = None

    def __init__(
        self,
        auth: Auth.Auth,
        base_url: str = DEFAULT_BASE_URL,
        *,
        retry: Retry | None = None,
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
        secondary rate limits (tests pass None). `etag_cache`: a dict the caller may keep across invocations (JSON-serializable values) so
        an idle repo costs one 304. `separate_blobs`: POST each file to git/blobs before the tree
        (one extra call per file); by default contents go inline in the tree request, which
        makes GitHub create the same blobs. `rate_limit_floor`: the share of the rate limit below
        which calls raise RateLimitLow. `credential`: what pays for the calls, for messages
        (`installation 123`, `token`).
        """
        self._counter = _RequestCounter()
        self._base_url = base_url
        self._rate_limit_floor = rate_limit_floor
        self._credential = credential
        self._gh = Github(
            base_url=base_url,
            auth=pin_media_type(auth),
            api_version=API_VERSION,
            retry=_counting(retry or default_retry(), self._counter),
            per_page=per_page,
            timeout=timeout,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
            lazy=True,
        )
        self._requester = self._gh.requester
        # The budget is checked before every request PyGithub makes for this forge (its objects
        # share this requester), so no call path can spend below the floor.
        for method in ("requestJsonAndCheck", "requestJson", "requestBlobAndCheck"):
            setattr(self._requester, method, self._budgeted(getattr(self._requester, method)))
        self._etag_cache: MutableMapping[str, Any] = etag_cache if etag_cache is not None else {}
        self._separate_blobs = separate_blobs
        self._per_page = per_page
        self._comment_counts: dict[tuple[str, int], int] = {}
        # Per-run caches, reset by list_trigger_issues (the start of a repo run): the repo's open
        # PRs, anyone's, by number (one listing instead of one lookup per fingerprint) and the base
        # branch head (our own PRs never move it). Repo runs are serialized, and a PR opened
        # meanwhile by a racing run is adopted on the 422 "already exists" answer.
        self._open_prs: dict[str, dict[int, PullRequest]] = {}
        self._bases: dict[str, _Base] = {}
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
        return self._counter.count

    # --- identity ----------------------------------------------------------------------------

    def whoami(self, repo: RepoConfig | None = None) -> str:
        """Who this forge's credential acts as: a token's user (GET /user), or for an App
        installation `<app-slug>[bot]` (GET /app with the App's JWT: installation tokens may not
        call /user). One credential per forge, so `repo` does not change the answer."""
        if self._login is None:
            if self._app_auth is not None:
                app = self._call(
                    "who am I", GithubIntegration(auth=self._app_auth, base_url=self._base_url).get_app
                )
                self._login = f"{app.slug}[bot]"
            else:
                self._login = self._request("who am I", "GET", "/user")["login"]
        return self._login

    # --- rate-limit budget -------------------------------------------------------------------

    def set_time_budget(self, time_left: Callable[[], float]) -> None:
        """Seconds the current run has left; no retry wait runs past it."""
        self._counter.time_left = time_left

    def rate_limit(self) -> tuple[int, int, datetime] | None:
        """(remaining, limit, reset) from the last response's headers; None before any response."""
        remaining, limit = self._requester.rate_limiting
        if limit <= 0:
            return None
        return remaining, limit, datetime.fromtimestamp(self._requester.rate_limiting_resettime, UTC)

    def rate_limit_low(self) -> datetime | None:
        """The reset time when the budget is below the floor, else None."""
        known = self.rate_limit()
        if known is None:
            return None
        remaining, limit, reset = known
        return reset if remaining < limit * self._rate_limit_floor else None

    def _budgeted(self, request: Callable[..., Any]) -> Callable[..., Any]:
        def budgeted(verb: str, url: str, *args: Any, **kwargs: Any) -> Any:
            reset = self.rate_limit_low()
            if reset is not None:
                remaining, limit, _ = self.rate_limit()  # type: ignore[misc]
                raise RateLimitLow(
                    f"{verb} {url.split('?')[0]}: GitHub rate limit of {self._credential} is low "
                    f"({remaining} of {limit} left, floor {self._rate_limit_floor:.0%}); "
                    f"continuing after the reset at {reset:%H:%M:%S} UTC",
                    reset_at=reset,
                )
            return request(verb, url, *args, **kwargs)

        return budgeted

    # --- issues ------------------------------------------------------------------------------

    def list_trigger_issues(
        self, repo: RepoConfig, since: datetime | None = None, *, include_opted_out: bool = False
    ) -> list[ForgeIssue]:
        params: dict[str, Any] = {"state": "open", "labels": repo.trigger_label, "per_page": self._per_page}
        if since is not None:
            params["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        key = f"issues:{repo.slug}:{repo.trigger_label}:{params.get('since', '')}"
        self._open_prs.pop(repo.slug, None)
        self._bases.pop(repo.slug, None)
        raw_issues = self._conditional_list(f"/repos/{repo.slug}/issues", params, key)
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
            issues.append(_issue_from_cache(raw))
        return issues

    def get_issue(self, repo: RepoConfig, number: int) -> ForgeIssue | None:
        data = self._get_or_none("read issue", f"/repos/{repo.slug}/issues/{number}")
        return _issue_from_cache(_issue_for_cache(data)) if data is not None else None

    def close_issue(self, repo: RepoConfig, number: int) -> None:
        url = f"/repos/{repo.slug}/issues/{number}"
        self._request("close issue", "PATCH", url, {"state": "closed", "state_reason": "completed"})

    def _conditional_list(self, url: str, params: dict[str, Any], key: str) -> list[dict[str, Any]]:
        cached = self._etag_cache.get(key)
        headers = {"If-None-Match": cached["etag"]} if cached else None
        status, response_headers, body = self._call(
            "list issues", self._requester.requestJson, "GET", url, parameters=params, headers=headers
        )
        if status == 304 and cached:
            return cached["issues"]
        pages = [_json_list(status, body)]
        next_url = _next_link(response_headers.get("link"))
        while next_url:
            status, page_headers, page_body = self._call(
                "list issues", self._requester.requestJson, "GET", next_url
            )
            pages.append(_json_list(status, page_body))
            next_url = _next_link(page_headers.get("link"))
        issues = [_issue_for_cache(item) for page in pages for item in page]
        etag = response_headers.get("etag")
        if etag and len(pages) == 1:  # a 304 on page one says nothing about later pages
            self._etag_cache[key] = {"etag": etag, "issues": issues}
        else:
            self._etag_cache.pop(key, None)
        return issues

    def comment_on_issue(self, repo: RepoConfig, issue_number: int, body: str, marker: str) -> None:
        body = fit_body(body, marker)
        issue = self._repo(repo).get_issue(issue_number)
        known = self._comment_counts.get((repo.slug, issue_number))
        if known != 0:  # 0 comments at listing time: nothing to look through
            for comment in self._call("list comments", lambda: list(issue.get_comments())):
                if marker in (comment.body or ""):
                    if comment.body != body:
                        self._call("edit comment", comment.edit, body)
                    return
        self._call("create comment", issue.create_comment, body)
        self._comment_counts[(repo.slug, issue_number)] = (known or 0) + 1

    def comment_on_pr(self, repo: RepoConfig, number: int, body: str, marker: str) -> None:
        self._own_pull(repo, number, "comment on PR")
        self.comment_on_issue(repo, number, body, marker)

    def add_labels(self, repo: RepoConfig, issue_number: int, labels: Sequence[str]) -> None:
        if not labels:
            return
        url = f"/repos/{repo.slug}/issues/{issue_number}/labels"
        self._call(
            "add labels", self._requester.requestJsonAndCheck, "POST", url, input={"labels": list(labels)}
        )

    # --- files -------------------------------------------------------------------------------

    def read_file(self, repo: RepoConfig, path: str, ref: str | None = None) -> str | None:
        try:
            content = self._repo(repo).get_contents(path, ref=ref or repo.branch)
        except GithubException as exc:
            if exc.status == 404:
                return None
            raise _forge_error("read file", exc) from None
        except RequestException as exc:
            raise ForgeError(f"read file: {type(exc).__name__}") from None
        if isinstance(content, list) or content.type != "file":
            return None
        if content.encoding == "none":  # files over 1 MB come without content
            blob = self._call("read blob", self._repo(repo).get_git_blob, content.sha)
            return base64.b64decode(blob.content).decode("utf-8", errors="replace")
        return content.decoded_content.decode("utf-8", errors="replace")

    def list_tree(self, repo: RepoConfig, folder: TreeEntry | None = None) -> TreeListing:
        """One Git Trees call: recursive from the base branch (by name: no branch read first),
        or one folder's children."""
        base = self._bases.get(repo.slug)
        sha = folder.sha if folder else base.tree_sha if base else quote(repo.branch, safe="")
        url = f"/repos/{repo.slug}/git/trees/{sha}"
        params = None if folder is not None else {"recursive": "1"}
        _, data = self._call("list tree", self._requester.requestJsonAndCheck, "GET", url, parameters=params)
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
        data = self._get_or_none("read PR", f"/repos/{repo.slug}/pulls/{number}")
        return _pull_from_json(data) if data is not None else None

    def _open_pr_index(self, repo: RepoConfig) -> dict[int, PullRequest]:
        """Every open PR of the repo (anyone's, forks included), listed once per run."""
        index = self._open_prs.get(repo.slug)
        if index is None:
            pulls = self._get_pages(
                "list PRs", f"/repos/{repo.slug}/pulls", {"state": "open", "per_page": self._per_page}
            )
            index = {}
            for data in pulls:
                pr = index[data["number"]] = _pull_from_json(data)
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
            head = self._branch_head(repo, existing.branch)
            if expected_head is None or head != expected_head:
                raise ForeignCommits(existing.branch, head, expected_head)
            commit_sha = self._commit(repo, self._base(repo), changes, title)
            self._request(
                "update branch",
                "PATCH",
                f"/repos/{repo.slug}/git/refs/heads/{existing.branch}",
                {"sha": commit_sha, "force": True},  # rebuilt on the base head: not a fast-forward
            )
            pr, created = self._edit_pr(repo, existing.number, title, body), False
        else:
            commit_sha = self._commit(repo, self._base(repo), changes, title)
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
                self._create_branch(repo, candidate, commit_sha)
                return candidate
            except _BranchExists:
                head = self._branch_head(repo, candidate)
                if head is None or not (head == expected_head or self._commit_is_own(repo, head)):
                    continue
            self._request(
                "update branch",
                "PATCH",
                f"/repos/{repo.slug}/git/refs/heads/{candidate}",
                {"sha": commit_sha, "force": True},
            )
            return candidate
        raise ForgeError(f"upsert PR: every branch name for {fingerprint_id} is held by someone else")

    def _create_branch(self, repo: RepoConfig, branch: str, sha: str) -> None:
        url = f"/repos/{repo.slug}/git/refs"
        try:
            self._requester.requestJsonAndCheck(
                "POST", url, input={"ref": f"refs/heads/{branch}", "sha": sha}
            )
        except GithubException as exc:
            if exc.status == 422 and "already exists" in _message(exc).lower():
                raise _BranchExists(branch) from None
            raise _forge_error("create branch", exc) from None
        except RequestException as exc:
            raise ForgeError(f"create branch: {type(exc).__name__}") from None

    def _branch_head(self, repo: RepoConfig, branch: str) -> str | None:
        data = self._get_or_none("read branch", f"/repos/{repo.slug}/git/ref/heads/{branch}")
        return data["object"]["sha"] if data is not None else None

    def _commit_is_own(self, repo: RepoConfig, sha: str) -> bool:
        """Written by Homeostat: GitHub maps both its author and its committer to our login."""
        data = self._request("read commit", "GET", f"/repos/{repo.slug}/commits/{sha}")
        me = self.whoami().lower()
        logins = [((data.get(role) or {}).get("login") or "").lower() for role in ("author", "committer")]
        return logins == [me, me]

    def _base(self, repo: RepoConfig) -> _Base:
        base = self._bases.get(repo.slug)
        if base is None:
            branch = self._call("read base branch", self._repo(repo).get_branch, repo.branch)
            base = self._bases[repo.slug] = _Base(
                sha=branch.commit.sha, tree_sha=branch.commit.commit.tree.sha
            )
        return base

    def _commit(self, repo: RepoConfig, base: _Base, changes: Sequence[FileChange], message: str) -> str:
        url = f"/repos/{repo.slug}/git"
        entries = []
        for change in changes:
            entry: dict[str, Any] = {"path": change.path, "mode": "100644", "type": "blob"}
            if self._separate_blobs:
                blob = self._request(
                    "create blob", "POST", f"{url}/blobs", {"content": change.content, "encoding": "utf-8"}
                )
                entry["sha"] = blob["sha"]
            else:
                entry["content"] = change.content
            entries.append(entry)
        tree = self._request(
            "create tree", "POST", f"{url}/trees", {"base_tree": base.tree_sha, "tree": entries}
        )
        commit = self._request(
            "create commit",
            "POST",
            f"{url}/commits",
            {"message": message, "tree": tree["sha"], "parents": [base.sha]},
        )
        return commit["sha"]

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
            return _pull_from_json(data), True
        except GithubException as exc:
            if exc.status != 422 or "already exists" not in str(exc.data):
                raise _forge_error("open PR", exc) from None
        except RequestException as exc:
            raise ForgeError(f"open PR: {type(exc).__name__}") from None
        # A retried POST (or a racing run) already opened it: adopt that one if it is ours.
        self._open_prs.pop(repo.slug, None)
        existing = self.find_open_pr(repo, fingerprint_id)
        if existing is None or existing.branch != branch:
            raise ForgeError(f"open PR: GitHub reports a PR for {branch} but Homeostat has none open")
        return self._edit_pr(repo, existing.number, title, body), False

    def _edit_pr(self, repo: RepoConfig, number: int, title: str, body: str) -> PullRequest:
        data = self._request(
            "update PR", "PATCH", f"/repos/{repo.slug}/pulls/{number}", {"title": title, "body": body}
        )
        return _pull_from_json(data)

    def _ensure_pr_labels(self, repo: RepoConfig, number: int) -> None:
        present = self._pr_labels.get((repo.slug, number))
        missing = [label for label in repo.labels if present is None or label not in present]
        if missing:
            self.add_labels(repo, number, missing)
            self._pr_labels[(repo.slug, number)] = (present or set()) | set(missing)

    def _own_pull(self, repo: RepoConfig, number: int, what: str) -> dict[str, Any]:
        """The PR's current JSON, read fresh; NotOwnPullRequest unless it is Homeostat's own."""
        data = self._get_or_none(what, f"/repos/{repo.slug}/pulls/{number}")
        if data is None:
            raise ForgeError(f"{what}: no PR #{number} in {repo.slug}")
        if not own_pull_request(_pull_from_json(data), repo.slug, self.whoami()):
            raise NotOwnPullRequest(f"{what}: #{number} is not a Homeostat PR; not touching it")
        return data

    def mark_ready(self, repo: RepoConfig, number: int) -> None:
        data = self._own_pull(repo, number, "mark ready")
        if not data.get("draft"):
            return
        # REST cannot take a PR out of draft; GraphQL's mutation is the only way.
        self._call(
            "mark ready",
            self._requester.graphql_named_mutation,
            MARK_READY,
            {"pullRequestId": data["node_id"]},
            "pullRequest { isDraft }",
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
        self._request(
            "request reviewers",
            "POST",
            f"/repos/{repo.slug}/pulls/{number}/requested_reviewers",
            {"reviewers": users, "team_reviewers": teams},
        )

    def close_pr(self, repo: RepoConfig, number: int) -> None:
        data = self._own_pull(repo, number, "close PR")
        if data["state"] == "open":
            self._request("close PR", "PATCH", f"/repos/{repo.slug}/pulls/{number}", {"state": "closed"})
        self._open_prs.get(repo.slug, {}).pop(number, None)

    def delete_branch(self, repo: RepoConfig, branch: str) -> None:
        if not branch.startswith(BRANCH_PREFIX):
            raise ForgeError(f"delete branch: {branch} is not a Homeostat branch")
        try:
            self._requester.requestJsonAndCheck("DELETE", f"/repos/{repo.slug}/git/refs/heads/{branch}")
        except GithubException as exc:
            gone = exc.status == 404 or (
                exc.status == 422 and RULES_REFUSAL.lower() not in _message(exc).lower()
            )
            if not gone:  # 404 / 422 "Reference does not exist": already deleted
                raise _forge_error("delete branch", exc) from None
        except RequestException as exc:
            raise ForgeError(f"delete branch: {type(exc).__name__}") from None

    # --- checks ------------------------------------------------------------------------------

    def get_check_results(self, repo: RepoConfig, head_sha: str) -> CheckResult:
        if not head_sha:
            raise ForgeError("read checks: no head SHA given")
        commit = f"/repos/{repo.slug}/commits/{head_sha}"
        params = {"per_page": self._per_page}
        runs = self._get_pages("read check runs", f"{commit}/check-runs", params, key="check_runs")
        statuses = self._get_pages("read statuses", f"{commit}/status", params, key="statuses")
        return summarize_checks(statuses, runs, annotations=lambda run: self._annotations(repo, run))

    def _annotations(self, repo: RepoConfig, run: dict[str, Any]) -> list[str]:
        """Titles of a failed run's first annotations (for runs with no output summary)."""
        url = f"/repos/{repo.slug}/check-runs/{run['id']}/annotations"
        _, data = self._call(
            "read annotations", self._requester.requestJsonAndCheck, "GET", url, parameters={"per_page": 5}
        )
        return [
            (a.get("title") or (a.get("message") or "").split("\n", 1)[0] or a.get("path") or "").strip()
            for a in (data or [])[:MAX_ANNOTATIONS]
        ]

    # --- releases ----------------------------------------------------------------------------

    def list_releases(self, repo: RepoConfig) -> list[Release]:
        params = {"per_page": self._per_page}
        tags = self._get_pages("list tags", f"/repos/{repo.slug}/tags", params)
        published = self._get_pages("list releases", f"/repos/{repo.slug}/releases", params)
        return releases_from(
            {tag["name"]: tag["commit"]["sha"] for tag in tags},
            {r["tag_name"]: r.get("name") or "" for r in published if not r.get("draft")},
        )

    def commit_contains(self, repo: RepoConfig, commit: str, ancestor: str) -> bool:
        url = f"/repos/{repo.slug}/compare/{ancestor}...{commit}"
        # per_page=1: only the status is needed, not the commits between
        _, data = self._call(
            "compare commits", self._requester.requestJsonAndCheck, "GET", url, parameters={"per_page": 1}
        )
        return data.get("status") in ("ahead", "identical")

    # --- paging and reads ----------------------------------------------------------------------

    def _get_pages(
        self, what: str, url: str, params: dict[str, Any] | None = None, *, key: str | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a paged listing, following GitHub's `Link: <…>; rel="next"` headers."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        first = True
        while next_url:
            headers, data = self._call(
                what,
                self._requester.requestJsonAndCheck,
                "GET",
                next_url,
                parameters=params if first else None,
            )
            first = False
            page = (data or {}).get(key) if key else data
            items.extend(page or [])
            next_url = _next_link(_header(headers, "link"))
        return items

    def _get_or_none(self, what: str, url: str) -> dict[str, Any] | None:
        try:
            _, data = self._requester.requestJsonAndCheck("GET", url)
            return data
        except GithubException as exc:
            if exc.status in (404, 410):
                return None
            raise _forge_error(what, exc) from None
        except RequestException as exc:
            raise ForgeError(f"{what}: {type(exc).__name__}") from None

    # --- plumbing ----------------------------------------------------------------------------

    def _repo(self, repo: RepoConfig) -> github.Repository.Repository:
        return self._gh.get_repo(repo.slug)  # lazy: no request until an endpoint is called

    def _request(
        self, what: str, verb: str, url: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        _, data = self._call(what, self._requester.requestJsonAndCheck, verb, url, input=payload)
        return data

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RateLimitExceededException as exc:  # the limit is spent and its reset too far off
            reset = _response_header(exc.headers, "x-ratelimit-reset")
            raise RateLimitLow(
                f"{what}: GitHub rate limit of {self._credential} exceeded; continuing after the reset",
                reset_at=datetime.fromtimestamp(int(reset), UTC) if reset and reset.isdigit() else None,
            ) from None
        except GithubException as exc:
            raise _forge_error(what, exc) from None
        except RequestException as exc:  # retries exhausted, connection refused, timeouts
            raise ForgeError(f"{what}: {type(exc).__name__}") from None


def summarize_checks(
    statuses: Sequence[dict[str, Any]],
    check_runs: Sequence[dict[str, Any]],
    annotations: Callable[[dict[str, Any]], list[str]] | None = None,
) -> CheckResult:
    """Every commit status and every check run of one commit → one verdict (`check_verdict`).

    A failed run is described by its output summary; without one (GitHub sends null), by its
    name, conclusion and the titles of its annotations (`annotations(run) -> list[str]`).
    """
    failing = [
        f"{s['context']}: {s.get('description') or s['state']}"
        for s in statuses
        if s["state"] in FAILING_STATUSES
    ]
    for run in check_runs:
        if run.get("status") != "completed" or run.get("conclusion") not in FAILING_CONCLUSIONS:
            continue
        output = run.get("output") or {}
        summary = (output.get("summary") or "").strip()
        if not summary:
            count = output.get("annotations_count") or 0
            summary = f"{run['conclusion']}, {count} annotation{'' if count == 1 else 's'}"
            titles = [t for t in (annotations(run) if annotations and count else []) if t]
            if titles:
                summary += ": " + "; ".join(titles)
        failing.append(f"{run['name']}: {summary}")
    pending = [s["context"] for s in statuses if s["state"] == "pending"]
    pending += [r["name"] for r in check_runs if r.get("status") != "completed"]
    return check_verdict(failing, pending, len(statuses) + len(check_runs))


def _message(exc: GithubException) -> str:
    return (exc.data.get("message") if isinstance(exc.data, dict) else None) or ""


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _response_header(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def pin_media_type(auth: Auth.Auth) -> Auth.Auth:
    """Every request asks for GitHub's JSON media type (and, through Github(api_version=...), the
    pinned REST API version). PyGithub adds headers only through the auth object, so this wraps
    its `authentication` hook. An explicit Accept (e.g. raw contents) is kept; a retired preview
    media type (PyGithub still sends `machine-man-preview` when minting tokens) is replaced."""
    original = auth.authentication

    def authentication(headers: dict) -> None:
        original(headers)
        if headers.get("Accept", "").endswith("-preview+json") or "Accept" not in headers:
            headers["Accept"] = ACCEPT

    auth.authentication = authentication  # type: ignore[method-assign]
    if isinstance(auth, Auth.AppInstallationAuth):
        pin_media_type(auth._app_auth)  # the token-minting calls too
    return auth


def _forge_error(what: str, exc: GithubException) -> ForgeError:
    message = _message(exc)
    if exc.status == 422 and RULES_REFUSAL.lower() in message.lower():
        # A ruleset (branch naming, creation/update restrictions, required signatures …).
        rules = " ".join(message.replace(RULES_REFUSAL, "", 1).split())
        if isinstance(exc.data, dict) and exc.data.get("errors"):
            rules = " ".join([rules, *(str(e.get("message", e)) for e in exc.data["errors"])]).strip()
        return ForgeError(f"{what}: repository rules refused the push: {rules or 'no rule named'}")
    return ForgeError(f"{what}: HTTP {exc.status} {message}".rstrip())


def _json_list(status: int, body: str) -> list[dict[str, Any]]:
    if status >= 400:
        data = json.loads(body) if body else {}
        raise ForgeError(f"list issues: HTTP {status} {data.get('message', '')}".rstrip())
    return json.loads(body) if body else []


def _next_link(link_header: str | None) -> str | None:
    for part in (link_header or "").split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None


def _issue_for_cache(item: dict[str, Any]) -> dict[str, Any]:
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


def _issue_from_cache(raw: dict[str, Any]) -> ForgeIssue:
    return ForgeIssue(
        number=raw["number"],
        title=raw["title"],
        body=raw["body"],
        labels=tuple(raw["labels"]),
        author=raw["author"],
        url=raw["url"],
        state=raw["state"],
        created_at=_as_datetime(raw.get("created_at")),
        closed_at=_as_datetime(raw.get("closed_at")),  # absent in caches written before it existed
    )


def _pull_from_json(data: dict[str, Any]) -> PullRequest:
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
        closed_at=_as_datetime(data.get("closed_at")),
        merged_at=_as_datetime(data.get("merged_at")),
        mergeable=data.get("mergeable") if isinstance(data.get("mergeable"), bool) else None,
    )


def _as_datetime(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
