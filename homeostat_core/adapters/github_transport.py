"""How every request to GitHub travels: through PyGithub's requester with the pinned API version
and media type, the one retry policy and the budgets of `github_limits` (every request path:
PyGithub's objects, direct requester calls, GraphQL, the App's JWT calls), and conditional reads.

Conditional reads: `Transport.get` and `Transport.pages` send `If-None-Match` with the ETag of the
last answer to the same request; GitHub answers 304 without a body and does not count it against
the rate limit. The cache is bounded (oldest entries dropped) and holds plain JSON (only what the
caller reads), so a caller may keep it between invocations.

`meter.requests` counts real HTTP requests, retries, 304s and token minting included. Tokens never
appear in a message raised from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping
from typing import Any

from github import Auth, Consts, Github, GithubException
from github.Requester import Requester
from requests.exceptions import RequestException, RetryError

from homeostat_core.adapters.github_limits import (
    DEFAULT_RATE_LIMIT_FLOOR,
    Budgets,
    GitHubRetry,
    Meter,
    RateLimited,
    Refusal,
    classify,
    default_retry,
    header,
    metered,
    primary_stop,
    reset_at,
)
from homeostat_core.ports import ForgeError, RateLimitLow

API_VERSION = "2022-11-28"
ACCEPT = "application/vnd.github+json"
# Conditional-read entries kept per forge (oldest dropped first).
MAX_CACHED_READS = 4096
RULES_REFUSAL = "Repository rule violations found"
Shape = Callable[[Any], Any]


def watch(requester: Requester, budgets: Budgets, meter: Meter) -> Requester:
    """Every request of `requester` checks its resource's budget first and records the answer's;
    PyGithub's objects share the requester, so no request path escapes (requestJsonAndCheck and
    the GraphQL calls go through requestJson)."""
    graphql = requester.graphql_url

    def watched(request: Callable[..., Any]) -> Callable[..., Any]:
        def call(verb: str, url: str, *args: Any, **kwargs: Any) -> Any:
            path = url.split("?")[0]
            resource = "graphql" if path == graphql or path.endswith("/graphql") else "core"
            budgets.check(resource, f"{verb} {_short_path(path)}", meter.time_left)
            try:
                answer = request(verb, url, *args, **kwargs)
            except RateLimited as refused:
                if refused.refusal.kind == "primary":
                    budgets.spent(refused.refusal)
                else:
                    budgets.pause(refused.reset_at)
                raise RateLimited(
                    f"{verb} {_short_path(path)} as {budgets.credential}: {refused}",
                    refused.refusal,
                    refused.reset_at,
                ) from None
            except GithubException as exc:
                budgets.record(exc.headers)
                raise
            budgets.record(answer[1])
            return answer

        return call

    for method in ("requestJson", "requestBlob", "requestMultipart"):
        setattr(requester, method, watched(getattr(requester, method)))
    return requester


def _short_path(url: str) -> str:
    """A request's path without scheme and host (never a query string or credentials)."""
    path = url.split("?", 1)[0]
    return "/" + path.split("://", 1)[1].partition("/")[2] if "://" in path else path


# --- the transport -------------------------------------------------------------------------------


class Transport:
    """GitHub's REST and GraphQL APIs as one credential, through PyGithub's requester."""

    def __init__(self, github: Github, requester: Requester, budgets: Budgets, meter: Meter, cache):
        self.github = github
        self.requester = requester
        self.budgets = budgets
        self.meter = meter
        self.cache: MutableMapping[str, Any] = cache if cache is not None else {}
        self._app: Transport | None = None

    @classmethod
    def create(
        cls,
        auth: Auth.Auth,
        base_url: str,
        *,
        retry: GitHubRetry | None = None,
        per_page: int = 100,
        timeout: int = 15,
        seconds_between_requests: float | None = Consts.DEFAULT_SECONDS_BETWEEN_REQUESTS,
        seconds_between_writes: float | None = Consts.DEFAULT_SECONDS_BETWEEN_WRITES,
        rate_limit_floor: float = DEFAULT_RATE_LIMIT_FLOOR,
        credential: str = "token",
        cache: MutableMapping[str, Any] | None = None,
    ) -> Transport:
        meter = Meter()
        github = Github(
            base_url=base_url,
            auth=pin_media_type(auth),
            api_version=API_VERSION,
            retry=metered(retry or default_retry(), meter),
            per_page=per_page,
            timeout=timeout,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
            lazy=True,
        )
        budgets = Budgets(credential, rate_limit_floor)
        return cls(github, watch(github.requester, budgets, meter), budgets, meter, cache)

    def as_app(self, app_auth: Auth.AppAuth) -> Transport:
        """This transport (version pin, retries, counting, time left) signed with the App's JWT,
        with the App's own budget: GET /app and the installation lookups go through it."""
        if self._app is None:
            budgets = Budgets("the App (JWT)", self.budgets.floor)
            requester = watch(self.requester.withAuth(pin_media_type(app_auth)), budgets, self.meter)
            self._app = Transport(self.github, requester, budgets, self.meter, {})
        return self._app

    # --- requests that map GitHub's errors to the port's ------------------------------------

    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one PyGithub call; GitHub's refusals become ForgeError / RateLimitLow."""
        try:
            return fn(*args, **kwargs)
        except RateLimitLow:
            raise
        except GithubException as exc:
            raise forge_error(what, exc) from None
        except RetryError as exc:  # a transient failure outlasted every retry
            raise ForgeError(f"{what}: GitHub kept failing after retries ({_retry_reason(exc)})") from None
        except RequestException as exc:  # connection refused, timeouts
            raise ForgeError(f"{what}: {type(exc).__name__}") from None

    def request(self, what: str, verb: str, url: str, payload: Any = None) -> Any:
        _, data = self.call(what, self.requester.requestJsonAndCheck, verb, url, input=payload)
        return data

    def get(
        self, what: str, url: str, params: dict[str, Any] | None = None, *, item: Shape | None = None
    ) -> Any:
        """GET with If-None-Match: an unchanged answer comes back as a free 304 from the cache.
        `item` keeps only what the caller reads (the cache holds that). 404/410: NotFound."""
        data, _ = self._conditional(what, url, params, item)
        return data

    def get_or_none(
        self, what: str, url: str, params: dict[str, Any] | None = None, *, item: Shape | None = None
    ) -> Any:
        try:
            return self.get(what, url, params, item=item)
        except NotFound:
            return None

    def pages(
        self,
        what: str,
        url: str,
        params: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        item: Shape | None = None,
    ) -> list[Any]:
        """Every item of a paged listing (the list itself, or the list under `key`), page by page
        with `Link: rel="next"`, each page read conditionally; `item` shapes each element."""

        def shape(data: Any) -> Any:
            listed = ((data or {}).get(key) if key else data) or []
            return [item(x) for x in listed] if item else listed

        items: list[Any] = []
        next_url: str | None = url
        first = True
        while next_url:
            page, headers = self._conditional(what, next_url, params if first else None, shape)
            first = False
            items.extend(page)
            next_url = next_link(headers.get("link"))
        return items

    def _conditional(
        self, what: str, url: str, params: dict[str, Any] | None, shape: Shape | None
    ) -> tuple[Any, dict]:
        key = f"GET {url}?{json.dumps(params or {}, sort_keys=True)}"
        cached = self.cache.pop(key, None)  # put back below: the newest entries are the ones kept
        headers = {"If-None-Match": cached["etag"]} if cached else None
        status, response_headers, body = self.call(
            what, self.requester.requestJson, "GET", url, parameters=params, headers=headers
        )
        if status == 304 and cached:
            self._remember(key, cached)
            return cached["data"], cached["headers"]
        data = json.loads(body) if body else None
        if status in (404, 410):
            raise NotFound(f"{what}: HTTP {status}", status)
        if status >= 400:
            raise forge_error(what, GithubException(status, data, response_headers))
        if shape is not None:
            data = shape(data)
        kept = {"link": header(response_headers, "link") or ""}
        etag = header(response_headers, "etag")
        if etag:
            self._remember(key, {"etag": etag, "data": data, "headers": kept})
        return data, kept

    def _remember(self, key: str, entry: dict[str, Any]) -> None:
        self.cache[key] = entry
        while len(self.cache) > MAX_CACHED_READS:
            self.cache.pop(next(iter(self.cache)))

    def graphql(self, what: str, mutation: str, variables: dict[str, Any], output: str) -> dict[str, Any]:
        """A named GraphQL mutation. GitHub answers GraphQL errors with HTTP 200 and an `errors`
        list; a spent GraphQL budget is one of them (type RATE_LIMITED, or the limit's message,
        with `x-ratelimit-remaining: 0`) and stops the run like any primary limit. Other errors
        become a ForgeError carrying GitHub's messages."""
        try:
            _, data = self.requester.graphql_named_mutation(mutation, variables, output)
            return data
        except GithubException as exc:
            errors = exc.data.get("errors") if isinstance(exc.data, dict) else None
            limited = any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors or [])
            refusal = classify(403, exc.headers, message_of(exc)) if errors else None
            if limited or (refusal is not None and refusal.kind == "primary"):
                refusal = Refusal("primary", exc.status, "graphql", reset_at=reset_at(exc.headers))
                self.budgets.spent(refusal)
                raise RateLimited(
                    f"{what} as {self.budgets.credential}: {primary_stop(refusal)}", refusal, refusal.reset_at
                ) from None
            raise forge_error(what, exc) from None
        except RateLimitLow:
            raise
        except RetryError as exc:
            raise ForgeError(f"{what}: GitHub kept failing after retries ({_retry_reason(exc)})") from None
        except RequestException as exc:
            raise ForgeError(f"{what}: {type(exc).__name__}") from None


class GitHubError(ForgeError):
    """GitHub's final answer to a request was an error: `status` says which."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class NotFound(GitHubError):
    """GitHub answered 404 or 410 to a read."""


def _retry_reason(exc: RetryError) -> str:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return str(reason or "no answer")[:160]


# --- errors and headers --------------------------------------------------------------------------


def message_of(exc: GithubException) -> str:
    """GitHub's message; for GraphQL, the messages of its `errors`."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = data.get("message") or ""
    errors = data.get("errors") if isinstance(data.get("errors"), list) else []
    if not message and errors:  # GraphQL: {"data": …, "errors": [{"type", "message", "path"}]}
        message = "; ".join(str((e or {}).get("message") or e) for e in errors if e)
    return str(message)


def forge_error(what: str, exc: GithubException) -> GitHubError:
    message = message_of(exc)
    if exc.status == 422 and RULES_REFUSAL.lower() in message.lower():
        # A ruleset (branch naming, creation/update restrictions, required signatures …).
        rules = " ".join(message.replace(RULES_REFUSAL, "", 1).split())
        if isinstance(exc.data, dict) and exc.data.get("errors"):
            rules = " ".join([rules, *(str(e.get("message", e)) for e in exc.data["errors"])]).strip()
        return GitHubError(
            f"{what}: repository rules refused the push: {rules or 'no rule named'}", exc.status
        )
    data = exc.data if isinstance(exc.data, dict) else {}
    if "errors" in data and "message" not in data:
        return GitHubError(f"{what}: GraphQL error: {message}".rstrip(), exc.status)
    return GitHubError(f"{what}: HTTP {exc.status} {message}".rstrip(), exc.status)


def next_link(link_header: str | None) -> str | None:
    for part in (link_header or "").split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None


def pin_media_type(auth: Auth.Auth) -> Auth.Auth:
    """Every request asks for GitHub's JSON media type (and, through Github(api_version=...), the
    pinned REST API version). PyGithub adds headers only through the auth object, so this wraps
    its `authentication` hook. An explicit Accept (e.g. raw contents) is kept; a retired preview
    media type (PyGithub still sends `machine-man-preview` when minting tokens) is replaced."""
    if getattr(auth, "_homeostat_pinned", False):
        return auth
    original = auth.authentication

    def authentication(headers: dict) -> None:
        original(headers)
        if headers.get("Accept", "").endswith("-preview+json") or "Accept" not in headers:
            headers["Accept"] = ACCEPT

    auth.authentication = authentication  # type: ignore[method-assign]
    auth._homeostat_pinned = True  # type: ignore[attr-defined]
    if isinstance(auth, Auth.AppInstallationAuth):
        pin_media_type(auth._app_auth)  # the token-minting calls too
    return auth
