"""A small fake GitHub REST API on 127.0.0.1, built from in-memory state.

Response bodies follow GitHub's real shapes (the keys of the recorded exchanges in
shared/data/github-api and the webhook payloads in shared/data/webhooks), so PyGithub parses them
as it parses github.com. Only the endpoints Homeostat uses exist; anything else is a 404.

    fake = FakeGitHub()
    base_url = fake.start()
    fake.add_repo("acme/widget", "main", {"src/app.js": "..."})
    fake.add_issue("acme/widget", "TypeError ...", body, ["robot"], "logger-bot")
    ...
    fake.stop()

Faults: `inject(status, count, headers, message=..., method=..., path_contains=...)` answers the
next `count` matching requests with that error (500s, 429 + Retry-After, secondary-rate-limit
403s). Every request is recorded in `calls` (method, path, query, status).

Like GitHub it pages with `Link` headers (30 per page by default, at most 100), sends null for
empty bodies, refuses commits without a message and tree entries without mode/type (422), serves
files over 1 MB from the contents API with `encoding: "none"` (the blob API has them), refuses
ref writes that match a ruleset (`add_ruleset`, 422 "Repository rule violations found"),
refuses drafts where the plan has none (`add_repo(..., drafts=False)`), lists trees one level or
recursively with folders as `tree` entries, symlinks (`add_symlink`) as mode 120000 and
`truncated: true` past `tree_entry_limit` entries, and answers the GraphQL
mutation `markPullRequestReadyForReview`. People act through `push_commit(author=...)`,
`add_pull(...)` (a PR by anyone, from a fork with `head_repo`) and `merge_pr` (which closes the
issues the PR body says it fixes, on the default branch).

Scale (GitHub App, rate limits, latency): `configure_app(app_id, public_key_pem)` checks App JWTs
(RS256, PyJWT) and mints installation tokens that expire (`token_ttl_s`) and see only their
installation's repos (`add_installation`); `set_rate_limit(limit)` gives each credential
(installation or token) its own primary rate limit with GitHub's headers and, when spent, the real
403 "API rate limit exceeded for installation ID …" with `x-ratelimit-remaining: 0` and
`x-ratelimit-reset` (304s are free, as on GitHub); `latency_s` delays every answer.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
BAD_JWT_MESSAGE = "A JSON web token could not be decoded"
FAILING_CONCLUSIONS = {"failure", "timed_out", "cancelled", "action_required", "startup_failure"}
CONTENTS_LIMIT = 1024 * 1024  # the contents API leaves files above 1 MB to the blob API
RULES_REFUSAL = "Repository rule violations found"
CLOSING_REFERENCE = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+#([0-9]+)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    status: int


@dataclass(slots=True)
class _Injection:
    status: int
    remaining: int
    headers: dict[str, str]
    message: str
    method: str | None = None
    path_contains: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains in path
        )


@dataclass(slots=True)
class _Repo:
    slug: str
    id: int
    default_branch: str
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)  # sha -> {path: blob sha}
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/x" -> commit sha
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    check_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    check_suites: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sha -> suites
    protection: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # branch -> [{context, app_id}]
    required_rules: list[tuple[str, list[dict[str, Any]], int]] = field(
        default_factory=list
    )  # (glob, checks, id)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    rulesets: list[tuple[str, str]] = field(default_factory=list)  # (ref glob, refusal)
    drafts: bool = True
    modes: dict[str, str] = field(default_factory=dict)  # blob sha -> mode, for symlinks
    parent: str | None = None  # set on forks
    next_number: int = 1
    tags: dict[str, str] = field(default_factory=dict)  # tag name -> commit sha
    releases: list[dict[str, Any]] = field(default_factory=list)  # GitHub releases, oldest first
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> admin|maintain|write|triage|read
    reviews: dict[int, dict[str, Any]] = field(default_factory=dict)  # review id -> review
    review_comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> comment on a diff line

    @property
    def owner(self) -> str:
        return self.slug.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.slug.split("/", 1)[1]


class _HttpError(Exception):
    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None):
        self.status = status
        self.message = message
        self.errors = errors
        super().__init__(message)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Apps as GitHub names them (the check runs of GitHub Actions carry app id 15368).
KNOWN_APPS = {
    "github-actions": (15368, "GitHub Actions"),
    "dependabot": (29110, "Dependabot"),
    "codecov": (254, "Codecov"),
}
# GitHub reports the highest-priority run conclusion as the suite's (docs: "About check suites").
SUITE_CONCLUSION_ORDER = (
    "action_required",
    "cancelled",
    "timed_out",
    "failure",
    "startup_failure",
    "stale",
    "neutral",
    "skipped",
    "success",
)


def _sha(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


def _b64_lines(data: bytes) -> str:
    # GitHub wraps base64 content at 60 characters per line.
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


Handler = Callable[
    [_Repo, re.Match[str], dict[str, str], Any, dict[str, str]], tuple[int, Any, dict[str, str]]
]


class FakeGitHub:
    """In-memory GitHub for one test (or one bench run); thread-safe, loopback only."""

    def __init__(
        self, *, tokens: Iterable[str] | None = None, login: str = "homeostat-bot", latency_s: float = 0.0
    ):
        self.login = login
        self.latency_s = latency_s
        self.tree_entry_limit: int | None = None  # GitHub cuts recursive listings at 100,000
        self._app: _App | None = None
        self._limits: _RateLimits | None = None
        self.calls: list[Call] = []
        self._tokens = set(tokens) if tokens is not None else None
        self._repos: dict[str, _Repo] = {}
        self._injections: list[_Injection] = []
        self._lock = threading.RLock()
        self._next_id = 1000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = self._build_routes()

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> str:
        fake = self

        class _RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Status, headers and body go out in small writes: without TCP_NODELAY each response
            # waits ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload, headers = fake._dispatch(self.command, self.path, dict(self.headers), raw)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                if data:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- test-side setup and inspection -----------------------------------------------------

    def add_repo(
        self, slug: str, branch: str = "main", files: dict[str, str] | None = None, *, drafts: bool = True
    ) -> None:
        with self._lock:
            repo = _Repo(slug=slug, id=self._new_id(), default_branch=branch, drafts=drafts)
            self._repos[slug] = repo
            tree = self._store_tree(
                repo, {p: self._store_blob(repo, c.encode()) for p, c in (files or {}).items()}
            )
            commit = self._store_commit(repo, tree, [], "Initial commit", author=repo.owner)
            repo.refs[f"refs/heads/{branch}"] = commit

    def add_ruleset(
        self, slug: str, ref_glob: str, refusal: str = "Cannot create ref due to creations being restricted."
    ) -> None:
        """A repository ruleset: creating or updating a ref matching `ref_glob` gets GitHub's 422."""
        with self._lock:
            self._repos[slug].rulesets.append((ref_glob, refusal))

    def add_pull(
        self,
        slug: str,
        branch: str,
        author: str,
        *,
        title: str = "A change",
        body: str | None = None,
        head_repo: str | None = None,
        files: dict[str, str] | None = None,
        draft: bool = False,
    ) -> int:
        """Someone opens a PR from `branch` of `slug` itself or of the fork `head_repo` (created
        on first use); with `files`, `author` first commits them onto that branch."""
        with self._lock:
            base = self._repos[slug]
            head_slug = head_repo or slug
            if head_slug not in self._repos:
                self._repos[head_slug] = _Repo(
                    slug=head_slug, id=self._new_id(), default_branch=base.default_branch, parent=slug
                )
                head = self._repos[head_slug]
                head.blobs, head.trees, head.commits = (
                    base.blobs,
                    base.trees,
                    base.commits,
                )  # a fork shares objects
                head.refs[f"refs/heads/{base.default_branch}"] = base.refs[
                    f"refs/heads/{base.default_branch}"
                ]
            head = self._repos[head_slug]
            ref = f"refs/heads/{branch}"
            if files or ref not in head.refs:
                head.refs.setdefault(ref, head.refs[f"refs/heads/{base.default_branch}"])
                if files:
                    self.push_commit(head_slug, branch, files, "A change", author=author)
            number = self._new_issue(base, title, body or "", [], author, "open")
            base.issues[number]["is_pull"] = True
            base.pulls[number] = {
                "number": number,
                "id": self._new_id(),
                "head": branch,
                "base": base.default_branch,
                "head_repo": head_slug,
                "draft": draft,
                "requested_reviewers": [],
            }
            return number

    def close_pull(self, slug: str, number: int) -> None:
        """A person closes a PR without merging it."""
        with self._lock:
            repo = self._repos[slug]
            pr = repo.pulls[number]
            head = self._repos.get(pr.get("head_repo") or slug, repo)
            pr["head_sha"] = head.refs.get(f"refs/heads/{pr['head']}", pr.get("head_sha", ""))
            repo.issues[number].update(state="closed", closed_at=_now(), updated_at=_now())

    def add_issue(
        self,
        slug: str,
        title: str,
        body: str,
        labels: Iterable[str] = (),
        author: str = "octocat",
        is_pull_request: bool = False,
        state: str = "open",
    ) -> int:
        with self._lock:
            repo = self._repos[slug]
            number = self._new_issue(repo, title, body, list(labels), author, state)
            if is_pull_request:
                # A PR opened by someone else: shows up in the issues list with a pull_request key.
                repo.issues[number]["is_pull"] = True
            return number

    # --- people steering Homeostat (comments, reviews, who may write) ---------------------------

    def set_collaborator(self, slug: str, login: str, permission: str) -> None:
        with self._lock:
            self._repos[slug].collaborators[login.lower()] = permission

    def add_comment(self, slug: str, number: int, body: str, author: str) -> int:
        """`author` comments on issue or PR `number` (the API's comment id)."""
        with self._lock:
            repo = self._repos[slug]
            issue = self._issue(repo, number)
            now = _now()
            comment = {"id": self._new_id(), "issue": issue["number"], "body": body, "author": author}
            comment.update(created_at=now, updated_at=now)
            repo.comments[comment["id"]] = comment
            return comment["id"]

    def add_review(
        self, slug: str, number: int, body: str, author: str, state: str = "CHANGES_REQUESTED"
    ) -> int:
        with self._lock:
            repo = self._repos[slug]
            pr = self._pull(repo, str(number))
            review = {"id": self._new_id(), "pull": number, "body": body, "author": author, "state": state}
            review.update(submitted_at=_now(), commit_id=repo.refs.get(f"refs/heads/{pr['head']}", ""))
            repo.reviews[review["id"]] = review
            return review["id"]

    def add_review_comment(
        self,
        slug: str,
        number: int,
        body: str,
        author: str,
        path: str,
        line: int,
        review_id: int | None = None,
    ) -> int:
        with self._lock:
            repo = self._repos[slug]
            pr = self._pull(repo, str(number))
            now = _now()
            comment = {"id": self._new_id(), "pull": number, "body": body, "author": author, "path": path}
            if review_id is None:  # a single comment: GitHub files it as a review of its own
                review_id = self._new_id()
                repo.reviews[review_id] = {"id": review_id, "pull": number, "body": "", "author": author}
                repo.reviews[review_id].update(
                    state="COMMENTED",
                    submitted_at=now,
                    commit_id=repo.refs.get(f"refs/heads/{pr['head']}", ""),
                )
            comment.update(line=line, review_id=review_id, created_at=now, updated_at=now)
            comment["commit_id"] = repo.refs.get(f"refs/heads/{pr['head']}", "")
            repo.review_comments[comment["id"]] = comment
            return comment["id"]

    def commits_between(self, slug: str, base: str, head: str) -> list[str]:
        """Commits on branch `head` that branch `base` does not have, newest first."""
        with self._lock:
            repo = self._repos[slug]
            return self._only_in(repo, repo.refs[f"refs/heads/{head}"], repo.refs[f"refs/heads/{base}"])

    def inject(
        self,
        status: int,
        count: int = 1,
        headers: dict[str, str] | None = None,
        *,
        message: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        default = {403: SECONDARY_RATE_LIMIT_MESSAGE, 429: "Too Many Requests"}.get(status, "Server Error")
        with self._lock:
            self._injections.append(
                _Injection(status, count, dict(headers or {}), message or default, method, path_contains)
            )

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for c in self.calls
                if (method is None or c.method == method)
                and (path_contains is None or path_contains in c.path)
            )

    def prs(self, slug: str) -> list[dict[str, Any]]:
        with self._lock:
            repo = self._repos[slug]
            return [
                self._pull_json(repo, pr) for pr in sorted(repo.pulls.values(), key=lambda p: p["number"])
            ]

    def comments(self, slug: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            repo = self._repos[slug]
            return [self._comment_json(repo, c) for c in repo.comments.values() if c["issue"] == number]

    def issue_labels(self, slug: str, number: int) -> list[str]:
        with self._lock:
            return list(self._repos[slug].issues[number]["labels"])

    def set_issue(self, slug: str, number: int, **changes: Any) -> None:
        """Change an issue as a person would (labels, state, body); bumps updated_at."""
        with self._lock:
            issue = self._repos[slug].issues[number]
            issue.update(changes)
            issue["updated_at"] = _now()

    def ref_sha(self, slug: str, branch: str) -> str | None:
        with self._lock:
            return self._repos[slug].refs.get(f"refs/heads/{branch}")

    def file_at(self, slug: str, ref: str, path: str) -> str | None:
        with self._lock:
            repo = self._repos[slug]
            tree = self._tree_of(repo, ref)
            blob = tree.get(path) if tree is not None else None
            return repo.blobs[blob].decode() if blob else None

    def push_commit(
        self,
        slug: str,
        branch: str,
        files: dict[str, str],
        message: str = "Change",
        *,
        author: str = "octocat",
        parent_branch: str | None = None,
    ) -> str:
        """`author` pushes a commit onto `branch` (created from `parent_branch` when missing)."""
        with self._lock:
            repo = self._repos[slug]
            parent = (
                repo.refs.get(f"refs/heads/{branch}")
                or repo.refs[f"refs/heads/{parent_branch or repo.default_branch}"]
            )
            tree = dict(repo.trees[repo.commits[parent]["tree"]])
            tree.update({p: self._store_blob(repo, c.encode()) for p, c in files.items()})
            sha = self._store_commit(repo, self._store_tree(repo, tree), [parent], message, author=author)
            repo.refs[f"refs/heads/{branch}"] = sha
            return sha

    def pull(self, slug: str, number: int) -> dict[str, Any]:
        """A PR as GET /pulls/<n> answers it."""
        with self._lock:
            repo = self._repos[slug]
            return self._pull_json(repo, repo.pulls[number])

    def commit_author(self, slug: str, sha: str) -> str:
        with self._lock:
            return self._repos[slug].commits[sha]["author"]

    def set_conflicting(self, slug: str, number: int, conflicting: bool = True) -> None:
        """The PR's base moved and now conflicts with its head (GitHub: mergeable false, "dirty")."""
        with self._lock:
            self._repos[slug].pulls[number]["conflicting"] = conflicting

    def merge_pr(self, slug: str, number: int) -> str:
        with self._lock:
            repo = self._repos[slug]
            pr = repo.pulls[number]
            base_ref = f"refs/heads/{pr['base']}"
            head_sha = repo.refs[f"refs/heads/{pr['head']}"]
            tree = repo.commits[head_sha]["tree"]
            merge = self._store_commit(
                repo,
                tree,
                [repo.refs[base_ref], head_sha],
                f"Merge pull request #{number}",
                author=repo.owner,
            )
            repo.refs[base_ref] = merge
            pr.update(
                state="closed", merged=True, merged_at=_now(), merge_commit_sha=merge, head_sha=head_sha
            )
            repo.issues[number].update(state="closed", closed_at=_now(), updated_at=_now())
            if pr["base"] == repo.default_branch:  # GitHub closes linked issues on the default branch
                for linked in {int(n) for n in CLOSING_REFERENCE.findall(repo.issues[number]["body"] or "")}:
                    issue = repo.issues.get(linked)
                    if issue is not None and not issue["is_pull"] and issue["state"] == "open":
                        issue.update(state="closed", closed_at=_now(), updated_at=_now())
            return merge

    def set_status(self, slug: str, sha: str, state: str, context: str, description: str = "") -> None:
        with self._lock:
            repo = self._repos[slug]
            statuses = repo.statuses.setdefault(sha, [])
            statuses[:] = [s for s in statuses if s["context"] != context]
            statuses.append(
                {
                    "id": self._new_id(),
                    "state": state,
                    "context": context,
                    "description": description,
                    "at": _now(),
                }
            )

    def add_check_run(
        self,
        slug: str,
        sha: str,
        name: str,
        status: str,
        conclusion: str | None,
        summary: str | None = "",
        annotations: Iterable[str] = (),
        *,
        app: str = "github-actions",
        app_id: int | None = None,
    ) -> None:
        """A check run on commit `sha` by `app`, in that app's check suite on the commit (created
        on first use); `summary` None is GitHub's null output.summary."""
        with self._lock:
            suite = self._suite_for(self._repos[slug], sha, app, app_id)
            self._repos[slug].check_runs.setdefault(sha, []).append(
                {
                    "id": self._new_id(),
                    "name": name,
                    "status": status,
                    "conclusion": conclusion,
                    "summary": summary,
                    "annotations": list(annotations),
                    "suite": suite["id"],
                    "app": suite["app"],
                    "at": _now(),
                }
            )

    def add_check_suite(
        self,
        slug: str,
        sha: str,
        app: str,
        *,
        status: str = "queued",
        created_s_ago: float = 0.0,
        app_id: int | None = None,
    ) -> int:
        """`app`'s check suite on `sha`, created `created_s_ago` seconds ago; `status` overrides
        what its runs say (a workflow whose later jobs have no run yet stays in_progress)."""
        with self._lock:
            suite = self._suite_for(self._repos[slug], sha, app, app_id)
            suite["status"] = status
            suite["created_at"] = _at(time.time() - created_s_ago)
            return suite["id"]

    def _suite_for(self, repo: _Repo, sha: str, app: str, app_id: int | None) -> dict[str, Any]:
        suites = repo.check_suites.setdefault(sha, [])
        for suite in suites:
            if suite["app"]["slug"] == app:
                return suite
        known_id, name = KNOWN_APPS.get(app, (90000 + len(app), app.replace("-", " ").title()))
        suite = {
            "id": self._new_id(),
            "app": {"id": app_id or known_id, "slug": app, "name": name},
            "status": None,  # None: from its runs
            "created_at": _now(),
        }
        suites.append(suite)
        return suite

    def protect_branch(self, slug: str, branch: str, checks: Iterable[str | tuple[str, int | None]]) -> None:
        """Branch protection requiring these status checks (a context, or (context, app id))."""
        with self._lock:
            self._repos[slug].protection[branch] = [
                {"context": c, "app_id": None} if isinstance(c, str) else {"context": c[0], "app_id": c[1]}
                for c in checks
            ]

    def add_required_checks_rule(
        self, slug: str, branch_glob: str, checks: Iterable[str | tuple[str, int | None]]
    ) -> None:
        """An active repository ruleset on branches matching `branch_glob` with a
        `required_status_checks` rule."""
        with self._lock:
            required = [
                {"context": c} if isinstance(c, str) else {"context": c[0], "integration_id": c[1]}
                for c in checks
            ]
            self._repos[slug].required_rules.append((branch_glob, required, self._new_id()))

    def add_tag(self, slug: str, name: str, sha: str | None = None) -> str:
        """A tag `name` on commit `sha` (default: the default branch's head); returns the commit."""
        with self._lock:
            repo = self._repos[slug]
            sha = sha or repo.refs[f"refs/heads/{repo.default_branch}"]
            repo.tags[name] = sha
            return sha

    def add_release(
        self,
        slug: str,
        tag_name: str,
        *,
        name: str | None = None,
        draft: bool = False,
        prerelease: bool = False,
        sha: str | None = None,
    ) -> None:
        """A GitHub release; publishing one creates its tag (on `sha` or the default branch's head),
        a draft has no tag yet."""
        with self._lock:
            repo = self._repos[slug]
            if not draft and tag_name not in repo.tags:
                self.add_tag(slug, tag_name, sha)
            repo.releases.append(
                {
                    "id": self._new_id(),
                    "tag_name": tag_name,
                    "target_commitish": repo.default_branch,
                    "name": name,
                    "draft": draft,
                    "prerelease": prerelease,
                    "created_at": _now(),
                    "published_at": None if draft else _now(),
                }
            )

    def pr_head_sha(self, slug: str, number: int) -> str:
        with self._lock:
            repo = self._repos[slug]
            pr = repo.pulls[number]
            return repo.refs.get(f"refs/heads/{pr['head']}", pr.get("head_sha", ""))

    # --- request handling --------------------------------------------------------------------

    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict]:
        parts = urlsplit(target)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if self.latency_s:
            time.sleep(self.latency_s)  # outside the lock: concurrent clients wait side by side
        with self._lock:
            refused = self._scale_gate(method, path, headers)
            if refused is not None:
                status, payload, extra = refused
            else:
                status, payload, extra = self._respond(method, path, query, headers, raw)
                if method == "GET" and status == 200:
                    status, payload, extra = _conditional(status, payload, extra, headers)
            self.calls.append(Call(method, path, query, status))
            if self._limits is not None:
                credential = self._credential(headers)
                if status == 304:  # conditional requests answered 304 are free on GitHub
                    self._limits.refund(credential, _resource(path))
                return status, payload, {**self._limits.headers(credential, _resource(path)), **extra}
        base_headers = {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(max(0, 5000 - len(self.calls))),
            "X-RateLimit-Reset": str(int(datetime.now(UTC).timestamp()) + 3600),
            "X-RateLimit-Used": str(len(self.calls)),
            "X-RateLimit-Resource": _resource(path),
            "X-GitHub-Request-Id": f"FAKE:{len(self.calls)}",
        }
        base_headers.update(extra)
        return status, payload, base_headers

    def _respond(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        for injection in self._injections:
            if injection.remaining > 0 and injection.matches(method, path):
                injection.remaining -= 1
                return (
                    injection.status,
                    {"message": injection.message, "documentation_url": DOCS},
                    injection.headers,
                )
        if self._tokens is not None and not self._authorized(path, headers):
            return 401, {"message": "Bad credentials", "documentation_url": DOCS}, {}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return 400, {"message": "Problems parsing JSON", "documentation_url": DOCS}, {}
        for route_method, pattern, handler in self._routes:
            if route_method != method:
                continue
            match = pattern.fullmatch(path)
            if not match:
                continue
            try:
                if match.groupdict().get("slug") is not None:
                    repo = self._repos.get(unquote(match["slug"]))
                    if repo is None:
                        raise _HttpError(404, "Not Found")
                else:
                    repo = None  # type: ignore[assignment]
                return handler(repo, match, query, body, headers)
            except _HttpError as exc:
                payload: dict[str, Any] = {"message": exc.message, "documentation_url": DOCS}
                if exc.errors:
                    payload["errors"] = exc.errors
                return exc.status, payload, {}
        return 404, {"message": "Not Found", "documentation_url": DOCS}, {}

    def _authorized(self, path: str, headers: dict[str, str]) -> bool:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _, credential = auth.partition(" ")
        if (
            path == "/app" or path.startswith("/app/") or path.endswith("/installation")
        ) and scheme.lower() == "bearer":
            return bool(credential)  # an App JWT, checked by _scale_gate when an App is configured
        if self._app is not None and credential in self._app.tokens:
            return True  # an installation token, checked by _scale_gate
        return credential in (self._tokens or set())

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        repo = r"/repos/(?P<slug>[^/]+/[^/]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", r"/rate_limit", self._get_rate_limit),
            ("GET", r"/user", self._get_user),
            ("POST", r"/graphql", self._graphql),
            ("GET", r"/app", self._get_app),
            ("POST", r"/app/installations/(?P<inst>\d+)/access_tokens", self._post_access_token),
            ("GET", r"/app/installations/(?P<inst>\d+)", self._get_installation),
            ("GET", repo + r"/installation", self._get_repo_installation),
            ("GET", repo, self._get_repo),
            ("GET", repo + r"/issues", self._list_issues),
            ("GET", repo + r"/issues/(?P<n>\d+)", self._get_issue),
            ("PATCH", repo + r"/issues/(?P<n>\d+)", self._patch_issue),
            ("GET", repo + r"/issues/(?P<n>\d+)/comments", self._list_comments),
            ("POST", repo + r"/issues/(?P<n>\d+)/comments", self._create_comment),
            ("PATCH", repo + r"/issues/comments/(?P<id>\d+)", self._edit_comment),
            ("GET", repo + r"/issues/(?P<n>\d+)/labels", self._get_labels),
            ("POST", repo + r"/issues/(?P<n>\d+)/labels", self._add_labels),
            ("GET", repo + r"/branches/(?P<branch>.+)", self._get_branch),
            ("GET", repo + r"/git/refs?/(?P<ref>heads/.+)", self._get_ref),
            ("POST", repo + r"/git/refs", self._create_ref),
            ("PATCH", repo + r"/git/refs/(?P<ref>heads/.+)", self._update_ref),
            ("DELETE", repo + r"/git/refs/(?P<ref>heads/.+)", self._delete_ref),
            ("GET", repo + r"/git/commits/(?P<sha>[0-9a-f]{40})", self._get_commit),
            ("POST", repo + r"/git/commits", self._create_commit),
            ("GET", repo + r"/git/trees/(?P<sha>[^?]+)", self._get_tree),  # a sha or a ref name
            ("POST", repo + r"/git/trees", self._create_tree),
            ("GET", repo + r"/git/blobs/(?P<sha>[0-9a-f]{40})", self._get_blob),
            ("POST", repo + r"/git/blobs", self._create_blob),
            ("GET", repo + r"/contents/(?P<path>.+)", self._get_contents),
            ("GET", repo + r"/pulls", self._list_pulls),
            ("POST", repo + r"/pulls", self._create_pull),
            ("GET", repo + r"/pulls/(?P<n>\d+)", self._get_pull),
            ("PATCH", repo + r"/pulls/(?P<n>\d+)", self._edit_pull),
            ("POST", repo + r"/pulls/(?P<n>\d+)/requested_reviewers", self._request_reviewers),
            ("GET", repo + r"/commits/(?P<sha>[0-9a-f]{40})", self._get_rest_commit),
            ("GET", repo + r"/tags", self._list_tags),
            ("GET", repo + r"/releases", self._list_releases),
            ("GET", repo + r"/compare/(?P<base>[^/]+?)\.\.\.(?P<head>[^/]+)", self._compare),
            ("GET", repo + r"/check-runs/(?P<id>\d+)/annotations", self._annotations),
            ("GET", repo + r"/commits/(?P<ref>.+)/status", self._combined_status),
            ("GET", repo + r"/commits/(?P<ref>.+)/check-runs", self._check_runs),
            ("GET", repo + r"/commits/(?P<ref>.+)/check-suites", self._check_suites),
            ("GET", repo + r"/rules/branches/(?P<branch>.+)", self._branch_rules),
            ("GET", repo + r"/collaborators/(?P<user>[^/]+)/permission", self._permission),
            ("GET", repo + r"/issues/comments/(?P<id>\d+)", self._get_comment),
            ("GET", repo + r"/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)", self._get_review),
            ("GET", repo + r"/pulls/comments/(?P<id>\d+)", self._get_review_comment),
            ("GET", repo + r"/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)/comments", self._list_review_comments),
        ]
        return [(m, re.compile(p), h) for m, p, h in table]

    # --- storage helpers ---------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _store_blob(self, repo: _Repo, data: bytes) -> str:
        sha = _sha("blob", data)
        repo.blobs[sha] = data
        return sha

    def _store_tree(self, repo: _Repo, entries: dict[str, str]) -> str:
        sha = _sha("tree", json.dumps(sorted(entries.items())).encode())
        repo.trees[sha] = dict(entries)
        return sha

    def _store_commit(
        self, repo: _Repo, tree: str, parents: list[str], message: str, *, author: str | None = None
    ) -> str:
        date = _now()
        payload = json.dumps([tree, parents, message, date, self._next_id]).encode()
        sha = _sha("commit", payload)
        self._new_id()
        repo.commits[sha] = {
            "tree": tree,
            "parents": parents,
            "message": message,
            "date": date,
            "author": author or self.login,
        }
        return sha

    def _refuse_by_rules(self, repo: _Repo, ref: str) -> None:
        for glob, refusal in repo.rulesets:
            if fnmatch.fnmatchcase(ref, glob):
                raise _HttpError(422, f"{RULES_REFUSAL}\n\n{refusal}\n\n")

    def _resolve(self, repo: _Repo, ref: str | None) -> str | None:
        """A commit sha for a branch name, a refs/heads/ name or a commit sha."""
        ref = ref or repo.default_branch
        for candidate in (ref, f"refs/heads/{ref}"):
            if candidate in repo.refs:
                return repo.refs[candidate]
        return ref if ref in repo.commits else None

    def _tree_of(self, repo: _Repo, ref: str | None) -> dict[str, str] | None:
        sha = self._resolve(repo, ref)
        return repo.trees[repo.commits[sha]["tree"]] if sha else None

    def _is_ancestor(self, repo: _Repo, ancestor: str, sha: str) -> bool:
        todo = [sha]
        while todo:
            current = todo.pop()
            if current == ancestor:
                return True
            todo.extend(repo.commits.get(current, {}).get("parents", []))
        return False

    def _new_issue(
        self, repo: _Repo, title: str, body: str, labels: list[str], author: str, state: str
    ) -> int:
        number = repo.next_number
        repo.next_number += 1
        for label in labels:
            self._ensure_label(repo, label)
        now = _now()
        repo.issues[number] = {
            "number": number,
            "id": self._new_id(),
            "title": title,
            "body": body,
            "labels": list(dict.fromkeys(labels)),
            "author": author,
            "state": state,
            "is_pull": False,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
        }
        return number

    def _ensure_label(self, repo: _Repo, name: str) -> dict[str, Any]:
        if name not in repo.labels:
            repo.labels[name] = {"id": self._new_id(), "name": name, "color": "ededed", "description": None}
        return repo.labels[name]

    def _issue(self, repo: _Repo, number: str | int) -> dict[str, Any]:
        issue = repo.issues.get(int(number))
        if issue is None:
            raise _HttpError(404, "Not Found")
        return issue

    # --- JSON shapes (GitHub REST v3) ---------------------------------------------------------

    def _api(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _html(self, path: str) -> str:
        return f"https://github.com/{path.lstrip('/')}"

    def _user(self, login: str) -> dict[str, Any]:
        api = self._api(f"/users/{login}")
        return {
            "login": login,
            "id": int(hashlib.md5(login.encode()).hexdigest()[:6], 16),
            "node_id": f"MDQ6VXNlcj{login}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{login}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": self._html(login),
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
        }

    def _label_json(self, repo: _Repo, name: str) -> dict[str, Any]:
        label = self._ensure_label(repo, name)
        return {
            "id": label["id"],
            "node_id": f"LA_{label['id']}",
            "url": self._api(f"/repos/{repo.slug}/labels/{name}"),
            "name": name,
            "color": label["color"],
            "default": False,
            "description": label["description"],
        }

    def _repo_json(self, repo: _Repo) -> dict[str, Any]:
        api = self._api(f"/repos/{repo.slug}")
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.slug,
            "private": False,
            "owner": self._user(repo.owner),
            "html_url": self._html(repo.slug),
            "description": None,
            "fork": repo.parent is not None,
            "url": api,
            "pulls_url": f"{api}/pulls{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "default_branch": repo.default_branch,
            "open_issues_count": sum(1 for i in repo.issues.values() if i["state"] == "open"),
            "has_issues": True,
            "archived": False,
            "disabled": False,
            "visibility": "public",
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True},
        }

    def _issue_json(self, repo: _Repo, issue: dict[str, Any]) -> dict[str, Any]:
        n = issue["number"]
        api = self._api(f"/repos/{repo.slug}/issues/{n}")
        data = {
            "url": api,
            "repository_url": self._api(f"/repos/{repo.slug}"),
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": self._html(f"{repo.slug}/{'pull' if issue['is_pull'] else 'issues'}/{n}"),
            "id": issue["id"],
            "node_id": f"I_{issue['id']}",
            "number": n,
            "title": issue["title"],
            "user": self._user(issue["author"]),
            "labels": [self._label_json(repo, name) for name in issue["labels"]],
            "state": issue["state"],
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": sum(1 for c in repo.comments.values() if c["issue"] == n),
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"],
            "author_association": "NONE",
            "active_lock_reason": None,
            "draft": False,
            "body": issue["body"] or None,  # GitHub sends null for an empty body
            "reactions": {"url": f"{api}/reactions", "total_count": 0},
            "closed_by": None,
            "state_reason": None,
        }
        if issue["is_pull"]:
            pulls = self._api(f"/repos/{repo.slug}/pulls/{n}")
            data["pull_request"] = {
                "url": pulls,
                "html_url": self._html(f"{repo.slug}/pull/{n}"),
                "diff_url": self._html(f"{repo.slug}/pull/{n}.diff"),
                "patch_url": self._html(f"{repo.slug}/pull/{n}.patch"),
                "merged_at": repo.pulls.get(n, {}).get("merged_at"),
            }
        return data

    def _comment_json(self, repo: _Repo, comment: dict[str, Any]) -> dict[str, Any]:
        cid = comment["id"]
        return {
            "url": self._api(f"/repos/{repo.slug}/issues/comments/{cid}"),
            "html_url": self._html(f"{repo.slug}/issues/{comment['issue']}#issuecomment-{cid}"),
            "issue_url": self._api(f"/repos/{repo.slug}/issues/{comment['issue']}"),
            "id": cid,
            "node_id": f"IC_{cid}",
            "user": self._user(comment["author"]),
            "created_at": comment["created_at"],
            "updated_at": comment["updated_at"],
            "author_association": "NONE",
            "body": comment["body"],
            "reactions": {"total_count": 0},
            "performed_via_github_app": None,
        }

    def _pull_part(self, repo: _Repo, branch: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"{repo.owner}:{branch}",
            "ref": branch,
            "sha": sha,
            "user": self._user(repo.owner),
            "repo": self._repo_json(repo),
        }

    def _pull_json(self, repo: _Repo, pr: dict[str, Any]) -> dict[str, Any]:
        n = pr["number"]
        issue = repo.issues[n]
        api = self._api(f"/repos/{repo.slug}/pulls/{n}")
        head_repo = self._repos.get(pr.get("head_repo") or repo.slug, repo)
        head_sha = pr.get("head_sha", "")
        if issue["state"] == "open" or not head_sha:  # an open PR follows its branch
            head_sha = head_repo.refs.get(f"refs/heads/{pr['head']}", head_sha)
        html = self._html(f"{repo.slug}/pull/{n}")
        return {
            "url": api,
            "id": pr["id"],
            "node_id": f"PR_{pr['id']}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": self._api(f"/repos/{repo.slug}/issues/{n}"),
            "commits_url": f"{api}/commits",
            "review_comments_url": f"{api}/comments",
            "review_comment_url": self._api(f"/repos/{repo.slug}/pulls/comments{{/number}}"),
            "comments_url": self._api(f"/repos/{repo.slug}/issues/{n}/comments"),
            "statuses_url": self._api(f"/repos/{repo.slug}/statuses/{head_sha}"),
            "number": n,
            "state": issue["state"],
            "locked": False,
            "title": issue["title"],
            "user": self._user(issue["author"]),
            "body": issue["body"] or None,
            "labels": [self._label_json(repo, name) for name in issue["labels"]],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"],
            "merged_at": pr.get("merged_at"),
            "merge_commit_sha": pr.get("merge_commit_sha"),
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [self._user(login) for login in pr.get("requested_reviewers", [])],
            "requested_teams": [],
            "head": self._pull_part(head_repo, pr["head"], head_sha),
            "base": self._pull_part(repo, pr["base"], repo.refs.get(f"refs/heads/{pr['base']}", "")),
            "_links": {
                "self": {"href": api},
                "html": {"href": html},
                "issue": {"href": self._api(f"/repos/{repo.slug}/issues/{n}")},
                "comments": {"href": self._api(f"/repos/{repo.slug}/issues/{n}/comments")},
                "commits": {"href": f"{api}/commits"},
                "statuses": {"href": self._api(f"/repos/{repo.slug}/statuses/{head_sha}")},
            },
            "author_association": "NONE",
            "auto_merge": None,
            "draft": pr.get("draft", False),
            "merged": pr.get("merged", False),
            "mergeable": not pr.get("conflicting", False),
            "rebaseable": True,
            "mergeable_state": "dirty" if pr.get("conflicting") else "clean",
            "merged_by": None,
            "comments": sum(1 for c in repo.comments.values() if c["issue"] == n),
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1,
            "additions": 0,
            "deletions": 0,
            "changed_files": 0,
        }

    def _git_commit_json(self, repo: _Repo, sha: str) -> dict[str, Any]:
        commit = repo.commits[sha]
        person = {
            "name": commit["author"],
            "email": f"{commit['author']}@users.noreply.github.com",
            "date": commit["date"],
        }
        return {
            "sha": sha,
            "node_id": f"C_{sha[:12]}",
            "url": self._api(f"/repos/{repo.slug}/git/commits/{sha}"),
            "html_url": self._html(f"{repo.slug}/commit/{sha}"),
            "author": person,
            "committer": person,
            "message": commit["message"],
            "tree": {
                "sha": commit["tree"],
                "url": self._api(f"/repos/{repo.slug}/git/trees/{commit['tree']}"),
            },
            "parents": [
                {
                    "sha": p,
                    "url": self._api(f"/repos/{repo.slug}/git/commits/{p}"),
                    "html_url": self._html(f"{repo.slug}/commit/{p}"),
                }
                for p in commit["parents"]
            ],
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
        }

    def _ref_json(self, repo: _Repo, ref: str) -> dict[str, Any]:
        sha = repo.refs[ref]
        return {
            "ref": ref,
            "node_id": f"REF_{hashlib.md5(ref.encode()).hexdigest()[:8]}",
            "url": self._api(f"/repos/{repo.slug}/git/{ref}"),
            "object": {
                "type": "commit",
                "sha": sha,
                "url": self._api(f"/repos/{repo.slug}/git/commits/{sha}"),
            },
        }

    def _tree_json(self, repo: _Repo, sha: str) -> dict[str, Any]:
        entries = repo.trees[sha]
        return {
            "sha": sha,
            "url": self._api(f"/repos/{repo.slug}/git/trees/{sha}"),
            "tree": [
                {
                    "path": path,
                    "mode": "100644",
                    "type": "blob",
                    "sha": blob,
                    "size": len(repo.blobs[blob]),
                    "url": self._api(f"/repos/{repo.slug}/git/blobs/{blob}"),
                }
                for path, blob in sorted(entries.items())
            ],
            "truncated": False,
        }

    def _content_json(
        self, repo: _Repo, path: str, blob: str, ref: str, with_content: bool
    ) -> dict[str, Any]:
        api = self._api(f"/repos/{repo.slug}/contents/{path}?ref={ref}")
        data = {
            "type": "symlink" if repo.modes.get(blob) == "120000" else "file",
            "size": len(repo.blobs[blob]),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": blob,
            "url": api,
            "git_url": self._api(f"/repos/{repo.slug}/git/blobs/{blob}"),
            "html_url": self._html(f"{repo.slug}/blob/{ref}/{path}"),
            "download_url": f"https://raw.githubusercontent.com/{repo.slug}/{ref}/{path}",
            "_links": {"self": api, "git": self._api(f"/repos/{repo.slug}/git/blobs/{blob}")},
        }
        if with_content and len(repo.blobs[blob]) > CONTENTS_LIMIT:
            data.update(content="", encoding="none")  # GitHub: read it through git/blobs
        elif with_content:
            data.update(content=_b64_lines(repo.blobs[blob]), encoding="base64")
        return data

    # --- endpoint handlers -------------------------------------------------------------------

    def _get_rate_limit(self, repo, m, q, body, headers):
        used = len(self.calls)
        core = {"limit": 5000, "remaining": 5000 - used, "reset": int(datetime.now(UTC).timestamp()) + 3600}
        core["used"] = used
        search = {"limit": 30, "remaining": 30, "reset": core["reset"], "used": 0}
        return 200, {"resources": {"core": core, "search": search, "graphql": dict(core)}, "rate": core}, {}

    def _post_access_token(self, repo, m, q, body, headers):
        installation = int(m["inst"])
        if self._app is not None and installation not in self._app.installations:
            raise _HttpError(404, "Not Found")
        token = f"ghs_fake{m['inst']}x{self._new_id()}"
        if self._tokens is not None:
            self._tokens.add(token)
        ttl = self._app.token_ttl_s if self._app is not None else 3600
        expires_at = datetime.now(UTC).timestamp() + ttl
        if self._app is not None:
            self._app.tokens[token] = (installation, expires_at)
            self._app.tokens_minted += 1
        expires = datetime.fromtimestamp(expires_at, UTC)
        return (
            201,
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"issues": "write", "contents": "write", "pull_requests": "write"},
                "repository_selection": "all",
            },
            {},
        )

    def _get_repo(self, repo, m, q, body, headers):
        return 200, self._repo_json(repo), {}

    def _list_issues(self, repo, m, q, body, headers):
        state = q.get("state", "open")
        wanted = [label for label in q.get("labels", "").split(",") if label]
        since = q.get("since")
        issues = [
            i
            for i in repo.issues.values()
            if (state == "all" or i["state"] == state)
            and all(label in i["labels"] for label in wanted)
            and (not since or i["updated_at"] >= since)
            and (not q.get("creator") or i["author"] == q["creator"])
        ]
        issues.sort(key=lambda i: i["number"], reverse=q.get("direction", "desc") == "desc")
        return self._paged(m.group(0), q, [self._issue_json(repo, i) for i in issues], headers)

    def _paged(self, path: str, q: dict[str, str], items: list[Any], headers: dict[str, str]):
        chunk, page, per_page = self._page_of(q, items)
        return 200, chunk, self._link_header(path, q, page, per_page, len(items))

    def _link_header(
        self, path: str, q: dict[str, str], page: int, per_page: int, total: int
    ) -> dict[str, str]:
        """GitHub's `Link` header: next/last while more pages follow, prev/first after page one."""
        last = max(1, -(-total // per_page))
        rels = []
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels += [("prev", page - 1), ("first", 1)]
        if not rels:
            return {}
        links = [f'<{self._api(path)}?{urlencode({**q, "page": str(n)})}>; rel="{rel}"' for rel, n in rels]
        return {"Link": ", ".join(links)}

    @staticmethod
    def _page_of(q: dict[str, str], items: list[Any]) -> tuple[list[Any], int, int]:
        per_page = max(1, min(int(q.get("per_page", 30)), 100))
        page = max(1, int(q.get("page", 1)))
        return items[(page - 1) * per_page : page * per_page], page, per_page

    def _get_issue(self, repo, m, q, body, headers):
        return 200, self._issue_json(repo, self._issue(repo, m["n"])), {}

    def _patch_issue(self, repo, m, q, body, headers):
        issue = self._issue(repo, m["n"])
        self._set_issue_fields(issue, body or {})
        if "labels" in (body or {}):
            issue["labels"] = [self._ensure_label(repo, n)["name"] for n in body["labels"]]
        issue["updated_at"] = _now()
        return 200, self._issue_json(repo, issue), {}

    def _list_comments(self, repo, m, q, body, headers):
        self._issue(repo, m["n"])
        items = [self._comment_json(repo, c) for c in repo.comments.values() if c["issue"] == int(m["n"])]
        return self._paged(m.group(0), q, items, headers)

    def _create_comment(self, repo, m, q, body, headers):
        issue = self._issue(repo, m["n"])
        if not isinstance(body, dict) or not body.get("body"):
            raise _HttpError(
                422, "Validation Failed", [{"resource": "IssueComment", "code": "missing_field"}]
            )
        now = _now()
        comment = {"id": self._new_id(), "issue": issue["number"], "body": body["body"], "author": self.login}
        comment.update(created_at=now, updated_at=now)
        repo.comments[comment["id"]] = comment
        issue["updated_at"] = now
        return 201, self._comment_json(repo, comment), {}

    def _edit_comment(self, repo, m, q, body, headers):
        comment = repo.comments.get(int(m["id"]))
        if comment is None:
            raise _HttpError(404, "Not Found")
        comment.update(body=body["body"], updated_at=_now())
        repo.issues[comment["issue"]]["updated_at"] = comment["updated_at"]
        return 200, self._comment_json(repo, comment), {}

    def _get_labels(self, repo, m, q, body, headers):
        issue = self._issue(repo, m["n"])
        return 200, [self._label_json(repo, n) for n in issue["labels"]], {}

    def _add_labels(self, repo, m, q, body, headers):
        issue = self._issue(repo, m["n"])
        names = body.get("labels", []) if isinstance(body, dict) else body
        for name in names or []:
            if name not in issue["labels"]:
                issue["labels"].append(self._ensure_label(repo, name)["name"])
        issue["updated_at"] = _now()
        return 200, [self._label_json(repo, n) for n in issue["labels"]], {}

    def _get_branch(self, repo, m, q, body, headers):
        branch = unquote(m["branch"])
        sha = repo.refs.get(f"refs/heads/{branch}")
        if sha is None:
            raise _HttpError(404, "Branch not found")
        commit = self._git_commit_json(repo, sha)
        data = {
            "name": branch,
            "commit": {
                "sha": sha,
                "node_id": commit["node_id"],
                "commit": {
                    k: commit[k] for k in ("author", "committer", "message", "tree", "url", "verification")
                }
                | {"comment_count": 0},
                "url": self._api(f"/repos/{repo.slug}/commits/{sha}"),
                "html_url": commit["html_url"],
                "comments_url": self._api(f"/repos/{repo.slug}/commits/{sha}/comments"),
                "author": self._user(self.login),
                "committer": self._user(self.login),
                "parents": commit["parents"],
            },
            "_links": {
                "self": self._api(f"/repos/{repo.slug}/branches/{branch}"),
                "html": self._html(f"{repo.slug}/tree/{branch}"),
            },
            "protected": branch in repo.protection,
            "protection": _protection_json(repo.protection.get(branch)),
            "protection_url": self._api(f"/repos/{repo.slug}/branches/{branch}/protection"),
        }
        return 200, data, {}

    def _get_ref(self, repo, m, q, body, headers):
        ref = f"refs/{unquote(m['ref'])}"
        if ref not in repo.refs:
            raise _HttpError(404, "Not Found")
        return 200, self._ref_json(repo, ref), {}

    def _create_ref(self, repo, m, q, body, headers):
        ref, sha = body.get("ref", ""), body.get("sha", "")
        if not ref.startswith("refs/") or ref.count("/") < 2:
            raise _HttpError(422, "Reference name must start with 'refs/' and have at least two slashes.")
        if sha not in repo.commits:
            raise _HttpError(422, "Object does not exist")
        if ref in repo.refs:
            raise _HttpError(422, "Reference already exists")
        self._refuse_by_rules(repo, ref)
        repo.refs[ref] = sha
        return 201, self._ref_json(repo, ref), {"Location": self._api(f"/repos/{repo.slug}/git/{ref}")}

    def _update_ref(self, repo, m, q, body, headers):
        ref = f"refs/{unquote(m['ref'])}"
        if ref not in repo.refs:
            raise _HttpError(422, "Reference does not exist")
        sha = body.get("sha", "")
        if sha not in repo.commits:
            raise _HttpError(422, "Object does not exist")
        if not body.get("force") and not self._is_ancestor(repo, repo.refs[ref], sha):
            raise _HttpError(422, "Update is not a fast forward")
        self._refuse_by_rules(repo, ref)
        repo.refs[ref] = sha
        for pr in repo.pulls.values():  # a new head: GitHub computes mergeability again
            if f"refs/heads/{pr['head']}" == ref:
                pr.pop("conflicting", None)
        return 200, self._ref_json(repo, ref), {}

    def _delete_ref(self, repo, m, q, body, headers):
        ref = f"refs/{unquote(m['ref'])}"
        if ref not in repo.refs:
            raise _HttpError(422, "Reference does not exist")
        self._refuse_by_rules(repo, ref)
        del repo.refs[ref]
        return 204, None, {}

    def _list_tags(self, repo, m, q, body, headers):
        """GET /repos/<slug>/tags: newest name first, as GitHub lists them."""
        tags = [
            {
                "name": name,
                "zipball_url": self._api(f"/repos/{repo.slug}/zipball/refs/tags/{name}"),
                "tarball_url": self._api(f"/repos/{repo.slug}/tarball/refs/tags/{name}"),
                "commit": {"sha": sha, "url": self._api(f"/repos/{repo.slug}/commits/{sha}")},
                "node_id": f"REF_{hashlib.md5(name.encode()).hexdigest()[:8]}",
            }
            for name, sha in sorted(repo.tags.items(), reverse=True)
        ]
        return self._paged(m.group(0), q, tags, headers)

    def _list_releases(self, repo, m, q, body, headers):
        """GET /repos/<slug>/releases: newest first, drafts included (the token can push)."""
        releases = [
            {
                "url": self._api(f"/repos/{repo.slug}/releases/{r['id']}"),
                "html_url": self._html(f"{repo.slug}/releases/tag/{r['tag_name']}"),
                "assets_url": self._api(f"/repos/{repo.slug}/releases/{r['id']}/assets"),
                "upload_url": f"https://uploads.github.com/repos/{repo.slug}/releases/{r['id']}/assets{{?name,label}}",
                "tarball_url": self._api(f"/repos/{repo.slug}/tarball/{r['tag_name']}"),
                "zipball_url": self._api(f"/repos/{repo.slug}/zipball/{r['tag_name']}"),
                "id": r["id"],
                "node_id": f"RE_{r['id']}",
                "tag_name": r["tag_name"],
                "target_commitish": r["target_commitish"],
                "name": r["name"],
                "body": None,
                "draft": r["draft"],
                "prerelease": r["prerelease"],
                "created_at": r["created_at"],
                "published_at": r["published_at"],
                "author": self._user(repo.owner),
                "assets": [],
            }
            for r in reversed(repo.releases)
        ]
        return self._paged(m.group(0), q, releases, headers)

    def _compare(self, repo, m, q, body, headers):
        """GET /repos/<slug>/compare/<base>...<head>: how head relates to base (ahead: head
        contains base), with the commits between (paged by per_page)."""
        base, head = self._resolve(repo, unquote(m["base"])), self._resolve(repo, unquote(m["head"]))
        if base is None or head is None:
            raise _HttpError(404, "Not Found")
        ahead, behind = self._only_in(repo, head, base), self._only_in(repo, base, head)
        status = (
            "identical"
            if not ahead and not behind
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        chunk, _, _ = self._page_of(q, [self._commit_summary(repo, sha) for sha in ahead])
        merge_base = next(
            (sha for sha in self._ancestry(repo, head) if self._is_ancestor(repo, sha, base)), base
        )
        data = {
            "url": self._api(f"/repos/{repo.slug}/compare/{m['base']}...{m['head']}"),
            "html_url": self._html(f"{repo.slug}/compare/{m['base']}...{m['head']}"),
            "base_commit": self._commit_summary(repo, base),
            "merge_base_commit": self._commit_summary(repo, merge_base),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": len(behind),
            "total_commits": len(ahead),
            "commits": chunk,
            "files": [],
        }
        return 200, data, {}

    def _ancestry(self, repo: _Repo, sha: str) -> list[str]:
        """`sha` and every commit it descends from, nearest first."""
        seen: list[str] = []
        todo = [sha]
        while todo:
            current = todo.pop(0)
            if current not in seen:
                seen.append(current)
                todo.extend(repo.commits.get(current, {}).get("parents", []))
        return seen

    def _only_in(self, repo: _Repo, sha: str, other: str) -> list[str]:
        """Commits reachable from `sha` and not from `other`."""
        excluded = set(self._ancestry(repo, other))
        return [c for c in self._ancestry(repo, sha) if c not in excluded]

    def _commit_summary(self, repo: _Repo, sha: str) -> dict[str, Any]:
        git = self._git_commit_json(repo, sha)
        login = repo.commits[sha]["author"]
        return {
            "sha": sha,
            "node_id": git["node_id"],
            "commit": {k: git[k] for k in ("author", "committer", "message", "tree", "url")},
            "url": self._api(f"/repos/{repo.slug}/commits/{sha}"),
            "html_url": git["html_url"],
            "author": self._user(login),
            "committer": self._user(login),
            "parents": git["parents"],
        }

    def _get_rest_commit(self, repo, m, q, body, headers):
        """GET /repos/<slug>/commits/<sha>: the git commit plus the GitHub users it maps to."""
        if m["sha"] not in repo.commits:
            raise _HttpError(422, f"No commit found for SHA: {m['sha']}")
        git = self._git_commit_json(repo, m["sha"])
        login = repo.commits[m["sha"]]["author"]
        git_part = {k: git[k] for k in ("author", "committer", "message", "tree", "url", "verification")}
        data = {
            "sha": m["sha"],
            "node_id": git["node_id"],
            "commit": git_part | {"comment_count": 0},
            "url": self._api(f"/repos/{repo.slug}/commits/{m['sha']}"),
            "html_url": git["html_url"],
            "comments_url": self._api(f"/repos/{repo.slug}/commits/{m['sha']}/comments"),
            "author": self._user(login),
            "committer": self._user(login),
            "parents": git["parents"],
            "stats": {"total": 0, "additions": 0, "deletions": 0},
            "files": [],
        }
        return 200, data, {}

    def _get_commit(self, repo, m, q, body, headers):
        if m["sha"] not in repo.commits:
            raise _HttpError(404, "Not Found")
        return 200, self._git_commit_json(repo, m["sha"]), {}

    def _create_commit(self, repo, m, q, body, headers):
        if not isinstance(body, dict) or not body.get("message"):
            raise _HttpError(
                422,
                'Invalid request.\n\n"message" wasn\'t supplied.',
                [{"resource": "Commit", "field": "message", "code": "missing_field"}],
            )
        tree, parents = body.get("tree"), body.get("parents", [])
        if tree not in repo.trees or any(p not in repo.commits for p in parents):
            raise _HttpError(
                422, "Tree SHA does not exist" if tree not in repo.trees else "Parent SHA does not exist"
            )
        sha = self._store_commit(repo, tree, list(parents), body.get("message", ""))
        return 201, self._git_commit_json(repo, sha), {}

    def _get_tree(self, repo, m, q, body, headers):
        """GitHub's listing: one level (folders as `tree` entries), or every level with
        `recursive`, cut at `tree_entry_limit` entries with `truncated: true`."""
        sha = unquote(m["sha"])
        if sha not in repo.trees:
            commit = self._resolve(repo, sha)
            if commit is None:
                raise _HttpError(404, "Not Found")
            sha = repo.commits[commit]["tree"]
        recursive = bool(q.get("recursive"))
        entries: dict[str, dict[str, Any]] = {}
        folders: dict[str, dict[str, str]] = {}  # folder -> its own flat tree, stored as a subtree
        for path, blob in repo.trees[sha].items():
            parts = path.split("/")
            for i in range(1, len(parts) if recursive else min(2, len(parts))):
                folders.setdefault("/".join(parts[:i]), {})["/".join(parts[i:])] = blob
            if recursive or len(parts) == 1:
                size = len(repo.blobs[blob])
                mode = repo.modes.get(blob, "100644")
                entries[path] = {"path": path, "mode": mode, "type": "blob", "sha": blob, "size": size}
        for folder, below in folders.items():
            sub = self._store_tree(repo, below)
            entries[folder] = {"path": folder, "mode": "040000", "type": "tree", "sha": sub}
        listed = [entries[path] for path in sorted(entries)]
        for entry in listed:
            entry["url"] = self._api(f"/repos/{repo.slug}/git/{entry['type']}s/{entry['sha']}")
        limit = self.tree_entry_limit
        truncated = recursive and limit is not None and len(listed) > limit
        tree = listed[:limit] if truncated else listed
        url = self._api(f"/repos/{repo.slug}/git/trees/{sha}")
        return 200, {"sha": sha, "url": url, "tree": tree, "truncated": truncated}, {}

    def add_symlink(self, slug: str, path: str, target: str) -> None:
        """Commit a symlink (mode 120000, its blob holds the target path) on the default branch."""
        with self._lock:
            repo = self._repos[slug]
            blob = _sha("symlink", target.encode())  # its own sha: never shared with a file's blob
            repo.blobs[blob], repo.modes[blob] = target.encode(), "120000"
            ref = f"refs/heads/{repo.default_branch}"
            tree = {**repo.trees[repo.commits[repo.refs[ref]]["tree"]], path: blob}
            repo.refs[ref] = self._store_commit(repo, self._store_tree(repo, tree), [repo.refs[ref]], "link")

    def _create_tree(self, repo, m, q, body, headers):
        base = body.get("base_tree")
        if base is not None and base not in repo.trees:
            raise _HttpError(422, "Invalid tree info")  # GitHub wants a tree sha here, not a commit
        entries = dict(repo.trees[base]) if base else {}
        for entry in body.get("tree", []):
            if entry.get("mode") not in ("100644", "100755", "040000", "160000", "120000") or entry.get(
                "type"
            ) not in ("blob", "tree", "commit"):
                raise _HttpError(422, "Invalid tree info", [{"resource": "Tree", "code": "invalid"}])
            path = entry["path"]
            if "content" in entry:
                entries[path] = self._store_blob(repo, entry["content"].encode())
            elif entry.get("sha") is None:
                entries.pop(path, None)
            elif entry["sha"] in repo.blobs:
                entries[path] = entry["sha"]
            else:
                raise _HttpError(422, "Invalid tree info")
        sha = self._store_tree(repo, entries)
        return 201, self._tree_json(repo, sha), {}

    def _get_blob(self, repo, m, q, body, headers):
        data = repo.blobs.get(m["sha"])
        if data is None:
            raise _HttpError(404, "Not Found")
        url = self._api(f"/repos/{repo.slug}/git/blobs/{m['sha']}")
        payload = {"sha": m["sha"], "node_id": "B_x", "size": len(data), "url": url}
        return 200, payload | {"content": _b64_lines(data), "encoding": "base64"}, {}

    def _create_blob(self, repo, m, q, body, headers):
        content = body.get("content", "")
        data = base64.b64decode(content) if body.get("encoding") == "base64" else content.encode()
        sha = self._store_blob(repo, data)
        return 201, {"sha": sha, "url": self._api(f"/repos/{repo.slug}/git/blobs/{sha}")}, {}

    def _get_contents(self, repo, m, q, body, headers):
        path = unquote(m["path"]).strip("/")
        ref = q.get("ref") or repo.default_branch
        tree = self._tree_of(repo, ref)
        if tree is None:
            raise _HttpError(404, f"No commit found for the ref {ref}")
        if path in tree:
            return 200, self._content_json(repo, path, tree[path], ref, with_content=True), {}
        children = sorted(p for p in tree if p.startswith(path + "/"))
        if not children:
            raise _HttpError(404, "Not Found")
        listing = [self._content_json(repo, p, tree[p], ref, with_content=False) for p in children]
        return 200, listing, {}

    def _list_pulls(self, repo, m, q, body, headers):
        state = q.get("state", "open")
        head = q.get("head")
        pulls = [
            p
            for p in repo.pulls.values()
            if (state == "all" or repo.issues[p["number"]]["state"] == state)
            and (not head or f"{(p.get('head_repo') or repo.slug).split('/')[0]}:{p['head']}" == head)
            and (not q.get("base") or p["base"] == q["base"])
        ]
        pulls.sort(key=lambda p: p["number"], reverse=True)
        return self._paged(m.group(0), q, [self._pull_json(repo, p) for p in pulls], headers)

    def _create_pull(self, repo, m, q, body, headers):
        head, base = body.get("head", ""), body.get("base", "")
        branch = head.split(":", 1)[1] if ":" in head else head
        if f"refs/heads/{branch}" not in repo.refs or f"refs/heads/{base}" not in repo.refs:
            field_name = "head" if f"refs/heads/{branch}" not in repo.refs else "base"
            raise _HttpError(
                422,
                "Validation Failed",
                [{"resource": "PullRequest", "field": field_name, "code": "invalid"}],
            )
        for pr in repo.pulls.values():
            same_head = pr["head"] == branch and pr.get("head_repo", repo.slug) == repo.slug
            if same_head and repo.issues[pr["number"]]["state"] == "open":
                message = f"A pull request already exists for {repo.owner}:{branch}."
                raise _HttpError(
                    422,
                    "Validation Failed",
                    [{"resource": "PullRequest", "code": "custom", "message": message}],
                )
        if body.get("draft") and not repo.drafts:
            message = "Draft pull requests are not supported in this repository."
            raise _HttpError(
                422, "Validation Failed", [{"resource": "PullRequest", "code": "custom", "message": message}]
            )
        number = self._new_issue(repo, body.get("title", ""), body.get("body") or "", [], self.login, "open")
        repo.issues[number]["is_pull"] = True
        repo.pulls[number] = {
            "number": number,
            "id": self._new_id(),
            "head": branch,
            "base": base,
            "head_repo": repo.slug,
            "draft": bool(body.get("draft")),
            "requested_reviewers": [],
        }
        return 201, self._pull_json(repo, repo.pulls[number]), {}

    def _request_reviewers(self, repo, m, q, body, headers):
        pr = self._pull(repo, m["n"])
        author = repo.issues[pr["number"]]["author"]
        wanted = list((body or {}).get("reviewers") or [])
        if author in wanted:
            raise _HttpError(422, "Review cannot be requested from pull request author.")
        pr["requested_reviewers"] = list(dict.fromkeys([*pr["requested_reviewers"], *wanted]))
        return 201, self._pull_json(repo, pr), {}

    def _get_user(self, repo, m, q, body, headers):
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if auth.partition(" ")[2].startswith("ghs_"):  # GitHub refuses /user to installation tokens
            raise _HttpError(403, "Resource not accessible by integration")
        return 200, self._user(self.login) | {"name": self.login, "public_repos": 0}, {}

    def _graphql(self, repo, m, q, body, headers):
        query = (body or {}).get("query", "")
        variables = (body or {}).get("variables") or {}
        mutation = next(
            (n for n in ("markPullRequestReadyForReview", "convertPullRequestToDraft") if n in query), None
        )
        if mutation is None:
            message = "this fake answers markPullRequestReadyForReview and convertPullRequestToDraft only"
            return 200, {"errors": [{"message": message}]}, {}
        draft = mutation == "convertPullRequestToDraft"
        node_id = ((variables.get("input") or {}).get("pullRequestId")) or ""
        for each in self._repos.values():
            for pr in each.pulls.values():
                if f"PR_{pr['id']}" == node_id:
                    pr["draft"] = draft
                    payload = {"pullRequest": {"isDraft": draft}, "clientMutationId": None}
                    return 200, {"data": {mutation: payload}}, {}
        error = {
            "type": "NOT_FOUND",
            "path": [mutation],
            "message": f"Could not resolve to a node with the global id of '{node_id}'",
        }
        return 200, {"data": {mutation: None}, "errors": [error]}, {}

    def _permission(self, repo, m, q, body, headers):
        login = unquote(m["user"])
        # a user who is not a collaborator reads a public repository: "read"
        permission = repo.collaborators.get(login.lower(), "read")
        legacy = {"maintain": "write", "triage": "read"}.get(permission, permission)
        return 200, {"permission": legacy, "role_name": permission, "user": self._user(login)}, {}

    def _get_comment(self, repo, m, q, body, headers):
        comment = repo.comments.get(int(m["id"]))
        if comment is None:
            raise _HttpError(404, "Not Found")
        return 200, self._comment_json(repo, comment), {}

    def _get_review(self, repo, m, q, body, headers):
        review = repo.reviews.get(int(m["id"]))
        if review is None or review["pull"] != int(m["n"]):
            raise _HttpError(404, "Not Found")
        rid, n = review["id"], review["pull"]
        return (
            200,
            {
                "id": rid,
                "node_id": f"PRR_{rid}",
                "user": self._user(review["author"]),
                "body": review["body"],
                "state": review["state"],
                "html_url": self._html(f"{repo.slug}/pull/{n}#pullrequestreview-{rid}"),
                "pull_request_url": self._api(f"/repos/{repo.slug}/pulls/{n}"),
                "author_association": "NONE",
                "submitted_at": review["submitted_at"],
                "commit_id": review["commit_id"],
            },
            {},
        )

    def _list_review_comments(self, repo, m, q, body, headers):
        review = repo.reviews.get(int(m["id"]))
        if review is None or review["pull"] != int(m["n"]):
            raise _HttpError(404, "Not Found")
        items = [
            self._review_comment_json(repo, c)
            for c in sorted(repo.review_comments.values(), key=lambda c: c["id"])
            if c["review_id"] == review["id"]
        ]
        chunk, page, per_page = self._page_of(q, items)
        path = f"/repos/{repo.slug}/pulls/{review['pull']}/reviews/{review['id']}/comments"
        return 200, chunk, self._link_header(path, q, page, per_page, len(items))

    def _get_review_comment(self, repo, m, q, body, headers):
        comment = repo.review_comments.get(int(m["id"]))
        if comment is None:
            raise _HttpError(404, "Not Found")
        return 200, self._review_comment_json(repo, comment), {}

    def _review_comment_json(self, repo, comment):
        cid, n = comment["id"], comment["pull"]
        return {
            "url": self._api(f"/repos/{repo.slug}/pulls/comments/{cid}"),
            "pull_request_review_id": comment["review_id"],
            "id": cid,
            "node_id": f"PRRC_{cid}",
            "diff_hunk": "@@ -1,1 +1,1 @@",
            "path": comment["path"],
            "commit_id": comment["commit_id"],
            "original_commit_id": comment["commit_id"],
            "user": self._user(comment["author"]),
            "body": comment["body"],
            "created_at": comment["created_at"],
            "updated_at": comment["updated_at"],
            "html_url": self._html(f"{repo.slug}/pull/{n}#discussion_r{cid}"),
            "pull_request_url": self._api(f"/repos/{repo.slug}/pulls/{n}"),
            "author_association": "NONE",
            "line": comment["line"],
            "side": "RIGHT",
        }

    def _annotations(self, repo, m, q, body, headers):
        run = next((r for runs in repo.check_runs.values() for r in runs if r["id"] == int(m["id"])), None)
        if run is None:
            raise _HttpError(404, "Not Found")
        items = [
            {
                "path": "src/app.js",
                "start_line": 1,
                "end_line": 1,
                "annotation_level": "failure",
                "title": title,
                "message": title,
                "raw_details": None,
                "blob_href": self._html(f"{repo.slug}/blob/HEAD/src/app.js"),
            }
            for title in run["annotations"]
        ]
        chunk, page, per_page = self._page_of(q, items)
        return 200, chunk, self._link_header(m.group(0), q, page, per_page, len(items))

    def _pull(self, repo: _Repo, number: str) -> dict[str, Any]:
        pr = repo.pulls.get(int(number))
        if pr is None:
            raise _HttpError(404, "Not Found")
        return pr

    def _get_pull(self, repo, m, q, body, headers):
        return 200, self._pull_json(repo, self._pull(repo, m["n"])), {}

    def _edit_pull(self, repo, m, q, body, headers):
        pr = self._pull(repo, m["n"])
        issue = repo.issues[pr["number"]]
        if (body or {}).get("state") == "open" and issue["state"] == "closed" and pr.get("merged"):
            raise _HttpError(422, "Validation Failed", [{"resource": "PullRequest", "code": "custom"}])
        if (body or {}).get("state") == "closed" and issue["state"] == "open":
            pr["head_sha"] = repo.refs.get(f"refs/heads/{pr['head']}", pr.get("head_sha", ""))
        self._set_issue_fields(issue, body or {})
        issue["updated_at"] = _now()
        return 200, self._pull_json(repo, pr), {}

    @staticmethod
    def _set_issue_fields(issue: dict[str, Any], body: dict[str, Any]) -> None:
        if body.get("state") not in (None, "open", "closed"):
            raise _HttpError(
                422, "Validation Failed", [{"resource": "Issue", "field": "state", "code": "invalid"}]
            )
        for key in ("title", "body", "state"):
            if key in body:
                issue[key] = body[key]
        if "state" in body:
            issue["closed_at"] = _now() if body["state"] == "closed" else None
            issue["state_reason"] = body.get("state_reason") if body["state"] == "closed" else None

    def _combined_status(self, repo, m, q, body, headers):
        sha = self._resolve(repo, unquote(m["ref"]))
        if sha is None:
            raise _HttpError(404, "No commit found for SHA")
        all_statuses = repo.statuses.get(sha, [])
        statuses, page, per_page = self._page_of(q, all_statuses)
        states = {s["state"] for s in all_statuses}
        state = (
            "failure"
            if states & {"failure", "error"}
            else "pending"
            if not all_statuses or "pending" in states
            else "success"
        )
        items = [
            {
                "url": self._api(f"/repos/{repo.slug}/statuses/{sha}"),
                "id": s["id"],
                "node_id": f"SC_{s['id']}",
                "state": s["state"],
                "description": s["description"],
                "target_url": None,
                "context": s["context"],
                "created_at": s["at"],
                "updated_at": s["at"],
                "avatar_url": None,
                "creator": self._user(self.login),
            }
            for s in statuses
        ]
        payload = {
            "state": state,
            "statuses": items,
            "sha": sha,
            "total_count": len(all_statuses),
            "repository": self._repo_json(repo),
            "commit_url": self._api(f"/repos/{repo.slug}/commits/{sha}"),
            "url": self._api(f"/repos/{repo.slug}/commits/{sha}/status"),
        }
        return 200, payload, self._link_header(m.group(0), q, page, per_page, len(all_statuses))

    def _check_runs(self, repo, m, q, body, headers):
        sha = self._resolve(repo, unquote(m["ref"]))
        if sha is None:
            raise _HttpError(404, "No commit found for SHA")
        runs = [
            {
                "id": r["id"],
                "node_id": f"CR_{r['id']}",
                "head_sha": sha,
                "external_id": "",
                "url": self._api(f"/repos/{repo.slug}/check-runs/{r['id']}"),
                "html_url": self._html(f"{repo.slug}/runs/{r['id']}"),
                "details_url": self._html(f"{repo.slug}/runs/{r['id']}"),
                "status": r["status"],
                "conclusion": r["conclusion"],
                "started_at": r["at"],
                "completed_at": r["at"] if r["status"] == "completed" else None,
                "output": {
                    "title": r["name"],
                    "summary": r["summary"],
                    "text": None,
                    "annotations_count": len(r["annotations"]),
                    "annotations_url": self._api(f"/repos/{repo.slug}/check-runs/{r['id']}/annotations"),
                },
                "name": r["name"],
                "check_suite": {"id": r["suite"]},
                "app": self._app_json(r["app"]),
                "pull_requests": [],
            }
            for r in _latest_runs(repo.check_runs.get(sha, []), q.get("filter", "latest"))
        ]
        chunk, page, per_page = self._page_of(q, runs)
        extra = self._link_header(m.group(0), q, page, per_page, len(runs))
        return 200, {"total_count": len(runs), "check_runs": chunk}, extra

    def _app_json(self, app: dict[str, Any]) -> dict[str, Any]:
        """A GitHub App as check runs and suites carry it."""
        return {
            "id": app["id"],
            "slug": app["slug"],
            "node_id": f"MDM6QXBw{app['id']}",
            "owner": self._user("github"),
            "name": app["name"],
            "description": "",
            "external_url": f"https://github.com/apps/{app['slug']}",
            "html_url": f"https://github.com/apps/{app['slug']}",
            "created_at": "2018-07-30T09:30:17Z",
            "updated_at": "2024-04-10T20:33:16Z",
            "permissions": {"checks": "write", "metadata": "read"},
            "events": ["check_run", "check_suite"],
        }

    def _check_suites(self, repo, m, q, body, headers):
        """GET commits/<ref>/check-suites in GitHub's shape (the keys of PyGithub's recorded
        CheckSuite exchanges): status and conclusion from the suite's runs unless set."""
        sha = self._resolve(repo, unquote(m["ref"]))
        if sha is None:
            raise _HttpError(404, "No commit found for SHA")
        commit = repo.commits[sha]
        suites = []
        for suite in repo.check_suites.get(sha, []):
            runs = [
                r for r in _latest_runs(repo.check_runs.get(sha, []), "latest") if r["suite"] == suite["id"]
            ]
            status, conclusion = _suite_state(suite["status"], runs)
            suites.append(
                {
                    "id": suite["id"],
                    "node_id": f"CS_{suite['id']}",
                    "head_branch": None,
                    "head_sha": sha,
                    "status": status,
                    "conclusion": conclusion,
                    "url": self._api(f"/repos/{repo.slug}/check-suites/{suite['id']}"),
                    "before": None,
                    "after": sha,
                    "pull_requests": [],
                    "app": self._app_json(suite["app"]),
                    "created_at": suite["created_at"],
                    "updated_at": max([suite["created_at"], *(r["at"] for r in runs)]),
                    "rerequestable": True,
                    "runs_rerequestable": False,
                    "latest_check_runs_count": len(runs),
                    "check_runs_url": self._api(f"/repos/{repo.slug}/check-suites/{suite['id']}/check-runs"),
                    "head_commit": {
                        "id": sha,
                        "tree_id": commit["tree"],
                        "message": commit["message"],
                        "timestamp": commit["date"],
                        "author": {
                            "name": commit["author"],
                            "email": f"{commit['author']}@users.noreply.github.com",
                        },
                        "committer": {"name": "GitHub", "email": "noreply@github.com"},
                    },
                    "repository": self._repo_json(repo),
                }
            )
        chunk, page, per_page = self._page_of(q, suites)
        extra = self._link_header(m.group(0), q, page, per_page, len(suites))
        return 200, {"total_count": len(suites), "check_suites": chunk}, extra

    def _branch_rules(self, repo, m, q, body, headers):
        """GET rules/branches/<branch>: the active rules that apply to the branch."""
        branch = unquote(m["branch"])
        rules = [
            {
                "type": "required_status_checks",
                "ruleset_source_type": "Repository",
                "ruleset_source": repo.slug,
                "ruleset_id": ruleset_id,
                "parameters": {
                    "strict_required_status_checks_policy": False,
                    "do_not_enforce_on_create": False,
                    "required_status_checks": checks,
                },
            }
            for glob, checks, ruleset_id in repo.required_rules
            if fnmatch.fnmatchcase(branch, glob)
        ]
        chunk, page, per_page = self._page_of(q, rules)
        return 200, chunk, self._link_header(m.group(0), q, page, per_page, len(rules))


def _conditional(status: int, payload: Any, extra: dict[str, str], headers: dict[str, str]):
    """GitHub's ETag on every GET (a weak one, over the body): If-None-Match with the same ETag
    gets 304 and no body."""
    etag = 'W/"' + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32] + '"'
    extra = {**extra, "ETag": etag}
    if {k.lower(): v for k, v in headers.items()}.get("if-none-match") == etag:
        return 304, None, extra
    return status, payload, extra


def _protection_json(required: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The `protection` of GET branches/<b>, as GitHub shows it to a reader of the repository."""
    if required is None:
        return {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        }
    checks = {
        "enforcement_level": "non_admins",
        "contexts": [c["context"] for c in required],
        "checks": [dict(c) for c in required],
    }
    return {"enabled": True, "required_status_checks": checks}


def _latest_runs(runs: list[dict[str, Any]], filter_: str) -> list[dict[str, Any]]:
    """`filter=latest` (GitHub's default): the most recent run of each name per app (a re-run
    replaces the earlier one); `filter=all`: every run."""
    if filter_ == "all":
        return runs
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for run in runs:
        latest[(run["name"], run["app"]["slug"])] = run
    return list(latest.values())


def _suite_state(forced: str | None, runs: list[dict[str, Any]]) -> tuple[str, str | None]:
    """(status, conclusion) of a suite: forced, or from its runs like GitHub (the highest-priority
    conclusion once every run completed)."""
    if forced is not None and forced != "completed":
        return forced, None
    if not runs:
        return forced or "queued", None
    if any(r["status"] != "completed" for r in runs):
        return "in_progress", None
    conclusions = {r["conclusion"] for r in runs}
    return "completed", next(c for c in SUITE_CONCLUSION_ORDER if c in conclusions)


# --- GitHub App, per-credential rate limits (scale) -------------------------------------------


@dataclass(slots=True)
class _App:
    app_id: str
    public_key_pem: str
    token_ttl_s: float
    installations: dict[int, dict[str, Any]] = field(default_factory=dict)  # id -> {account, repos}
    tokens: dict[str, tuple[int, float]] = field(default_factory=dict)  # token -> (installation, expiry)
    tokens_minted: int = 0
    slug: str = "homeostat"


@dataclass(slots=True)
class _RateLimits:
    limit: int
    window_s: float
    primary_status: int = 403  # GitHub answers a spent primary limit with 403 or 429
    # credential|resource -> [used, reset epoch]; REST ("core") and GraphQL have separate limits
    budgets: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0

    def _budget(self, credential: str, resource: str) -> list[float]:
        key = f"{credential}|{resource}"
        budget = self.budgets.get(key)
        now = time.time()
        if budget is None or now >= budget[1]:
            budget = self.budgets[key] = [0, now + self.window_s]
        return budget

    def spend(self, credential: str, resource: str) -> bool:
        budget = self._budget(credential, resource)
        if budget[0] >= self.limit:
            self.errors += 1
            return False
        budget[0] += 1
        return True

    def refund(self, credential: str, resource: str) -> None:
        budget = self._budget(credential, resource)
        budget[0] = max(0, budget[0] - 1)

    def drain(self, credential: str, resource: str, reset_in_s: float, remaining: int = 0) -> None:
        self.budgets[f"{credential}|{resource}"] = [self.limit - remaining, time.time() + reset_in_s]

    def headers(self, credential: str, resource: str) -> dict[str, str]:
        used, reset = self._budget(credential, resource)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - int(used))),
            "X-RateLimit-Reset": str(int(reset)),
            "X-RateLimit-Used": str(int(used)),
            "X-RateLimit-Resource": resource,
        }


def _resource(path: str) -> str:
    return "graphql" if path == "/graphql" else "core"


def _installation_json(fake: FakeGitHub, installation: int) -> dict[str, Any]:
    assert fake._app is not None
    account = fake._app.installations[installation]["account"]
    return {
        "id": installation,
        "app_id": int(fake._app.app_id),
        "account": fake._user(account),
        "repository_selection": "selected",
        "permissions": {
            "contents": "write",
            "issues": "write",
            "pull_requests": "write",
            "checks": "read",
            "statuses": "read",
            "metadata": "read",
        },
        "events": ["pull_request", "check_suite", "check_run"],
        "target_type": "Organization",
    }


def _scale_methods() -> None:
    """Methods of FakeGitHub for the App flow and rate limits, kept apart from the REST endpoints."""

    def configure_app(self: FakeGitHub, app_id: int | str, public_key_pem: str, *, token_ttl_s: float = 3600):
        """Check App JWTs against this public key; installation tokens live `token_ttl_s` seconds."""
        with self._lock:
            self._app = _App(str(app_id), public_key_pem, token_ttl_s)

    def rotate_app_key(self: FakeGitHub, public_key_pem: str) -> None:
        """The App's key on GitHub changed (the old one deleted): JWTs signed with it now fail."""
        with self._lock:
            assert self._app is not None
            self._app.public_key_pem = public_key_pem

    def add_installation(self: FakeGitHub, installation_id: int, repos: Iterable[str], account: str = "acme"):
        with self._lock:
            assert self._app is not None, "configure_app first"
            self._app.installations[installation_id] = {"account": account, "repos": set(repos)}

    def set_rate_limit(
        self: FakeGitHub, limit: int, *, window_s: float = 3600, primary_status: int = 403
    ) -> None:
        """Each credential gets `limit` requests per window for REST and as many for GraphQL;
        a spent REST limit is answered with `primary_status` (GitHub uses 403 or 429)."""
        with self._lock:
            self._limits = _RateLimits(limit, window_s, primary_status)

    def drain_rate_limit(
        self: FakeGitHub, credential: str, *, reset_in_s: float, remaining: int = 0, resource: str = "core"
    ) -> None:
        """Spend a credential's budget (`installation:<id>` or `token:<token>`) of `resource`
        (core or graphql) down to `remaining` requests, until `reset_in_s`."""
        with self._lock:
            assert self._limits is not None, "set_rate_limit first"
            self._limits.drain(credential, resource, reset_in_s, remaining)

    def rate_limit_errors(self: FakeGitHub) -> int:
        with self._lock:
            return self._limits.errors if self._limits is not None else 0

    def tokens_minted(self: FakeGitHub) -> int:
        with self._lock:
            return self._app.tokens_minted if self._app is not None else 0

    def _credential(self: FakeGitHub, headers: dict[str, str]) -> str:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _, credential = auth.partition(" ")
        if scheme.lower() == "bearer":
            return "app"
        if self._app is not None and credential in self._app.tokens:
            return f"installation:{self._app.tokens[credential][0]}"
        return f"token:{credential}"

    def _scale_gate(self: FakeGitHub, method: str, path: str, headers: dict[str, str]):
        """The App and rate-limit checks GitHub makes before any endpoint; None lets the request on."""
        if self._app is not None:
            refused = _check_app_auth(self, path, headers)
            if refused is not None:
                return refused
        if self._limits is not None:
            credential = self._credential(headers)
            resource = _resource(path)
            if not self._limits.spend(credential, resource):
                kind, _, ident = credential.partition(":")
                who = f"installation ID {ident}" if kind == "installation" else "user ID 1"
                message = f"API rate limit exceeded for {who}."
                if resource == "graphql":  # GraphQL answers 200 with the error in its body
                    return 200, {"errors": [{"type": "RATE_LIMITED", "message": message}]}, {}
                return (
                    self._limits.primary_status,
                    {"message": message, "documentation_url": RATE_LIMIT_DOCS},
                    {},
                )
        return None

    def _get_app(self: FakeGitHub, repo, m, q, body, headers):
        # GET /app (with the App's JWT): who the App is; it acts as "<slug>[bot]"
        if self._app is None:
            raise _HttpError(404, "Not Found")
        return 200, {"id": int(self._app.app_id), "slug": self._app.slug, "name": self._app.slug}, {}

    def _get_installation(self: FakeGitHub, repo, m, q, body, headers):
        installation = int(m["inst"])
        if self._app is None or installation not in self._app.installations:
            raise _HttpError(404, "Not Found")
        return 200, _installation_json(self, installation), {}

    def _get_repo_installation(self: FakeGitHub, repo, m, q, body, headers):
        if self._app is not None:
            for installation, data in self._app.installations.items():
                if repo.slug in data["repos"]:
                    return 200, _installation_json(self, installation), {}
        raise _HttpError(404, "Not Found")

    for function in (
        configure_app,
        rotate_app_key,
        add_installation,
        set_rate_limit,
        drain_rate_limit,
        rate_limit_errors,
        tokens_minted,
        _credential,
        _scale_gate,
        _get_app,
        _get_installation,
        _get_repo_installation,
    ):
        setattr(FakeGitHub, function.__name__, function)


def _check_app_auth(fake: FakeGitHub, path: str, headers: dict[str, str]):
    import jwt

    assert fake._app is not None
    auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
    scheme, _, credential = auth.partition(" ")
    if scheme.lower() == "bearer":
        try:
            claims = jwt.decode(
                credential, fake._app.public_key_pem, algorithms=["RS256"], options={"verify_iat": False}
            )
        except jwt.PyJWTError:
            return 401, {"message": BAD_JWT_MESSAGE, "documentation_url": DOCS}, {}
        if str(claims.get("iss")) != fake._app.app_id:
            return 401, {"message": BAD_JWT_MESSAGE, "documentation_url": DOCS}, {}
        if not path.startswith("/app") and not path.endswith("/installation"):
            return 403, {"message": "Resource not accessible by integration", "documentation_url": DOCS}, {}
        return None
    held = fake._app.tokens.get(credential)
    if held is None:
        return None  # not an installation token: the token check applies
    installation, expires_at = held
    if time.time() >= expires_at:
        return 401, {"message": "Bad credentials", "documentation_url": DOCS}, {}
    match = re.match(r"/repos/([^/]+/[^/]+)", path)
    if match and unquote(match[1]) not in fake._app.installations[installation]["repos"]:
        return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
    return None


_scale_methods()
