"""GitHub's limits, decided one way for every response: `classify` (primary and secondary rate
limits, transient errors), the retry policy built on it (`GitHubRetry`, PyGithub's GithubRetry
with the waits bounded by the time the invocation has left) and the budget of each rate-limit
resource (`Budgets`, from every response's x-ratelimit-* headers).

GitHub's rules (docs: "Rate limits for the REST API", "Exceeding the rate limit"):
- primary: 403 or 429 with `x-ratelimit-remaining: 0` → do not retry before `x-ratelimit-reset`;
- secondary: 403 or 429 with `retry-after` → wait that long; with the secondary-limit message (or a
  429 without either header) → wait at least a minute, longer each time it repeats;
- REST (`core`) and GraphQL have separate primary limits (`x-ratelimit-resource`).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from github import GithubRetry
from github.Requester import Requester
from urllib3 import Retry
from urllib3.exceptions import MaxRetryError

from homeostat_core.ports import ForgeError, RateLimitLow

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
RETRY_STATUSES = (403, 429, *sorted(TRANSIENT_STATUSES))
RETRY_METHODS = frozenset({"GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"})
# GitHub: "Otherwise, wait for at least one minute before retrying" a secondary limit.
SECONDARY_MIN_WAIT_S = 60.0
# Stop when fewer than this share of a resource's limit is left.
DEFAULT_RATE_LIMIT_FLOOR = 0.10
# REST's "API rate limit exceeded", GraphQL's "API rate limit already exceeded".
PRIMARY_MESSAGE = re.compile(r"\bapi rate limit (?:already )?exceeded", re.IGNORECASE)

RefusalKind = Literal["primary", "secondary", "transient"]


# --- the classifier ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a refused request means and when it may be sent again."""

    kind: RefusalKind
    status: int
    resource: str = "core"
    wait_s: float | None = None  # secondary: retry-after, None = at least a minute
    reset_at: datetime | None = None  # primary: x-ratelimit-reset
    message: str = ""


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A response header by case-insensitive name (PyGithub lowercases, urllib3 does not)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return None if value is None else str(value)


def _retry_after_s(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date."""
    if value is None or not value.strip():
        return None
    if value.strip().isdigit():
        return float(value.strip())
    parsed = email.utils.parsedate_tz(value)
    return None if parsed is None else max(0.0, email.utils.mktime_tz(parsed) - time.time())


def reset_at(headers: Mapping[str, Any] | None) -> datetime | None:
    value = header(headers, "x-ratelimit-reset")
    try:
        return datetime.fromtimestamp(int(float(value)), UTC) if value else None
    except (ValueError, OverflowError):
        return None


def classify(status: int, headers: Mapping[str, Any] | None, message: str = "") -> Refusal | None:
    """GitHub's meaning of a refused request, or None when it is GitHub's final answer."""
    if status in TRANSIENT_STATUSES:
        return Refusal("transient", status, wait_s=_retry_after_s(header(headers, "retry-after")))
    if status not in (403, 429):
        return None
    resource = header(headers, "x-ratelimit-resource") or "core"
    retry_after = _retry_after_s(header(headers, "retry-after"))
    if retry_after is not None:
        return Refusal("secondary", status, resource, wait_s=retry_after, message=message)
    if header(headers, "x-ratelimit-remaining") == "0":
        return Refusal("primary", status, resource, reset_at=reset_at(headers), message=message)
    if Requester.isSecondaryRateLimitError(message) or "secondary rate limit" in message.lower():
        return Refusal("secondary", status, resource, message=message)
    if status == 429:  # Too Many Requests is a rate limit whatever its body says
        return Refusal("secondary", status, resource, message=message)
    if PRIMARY_MESSAGE.search(message):
        return Refusal("primary", status, resource, reset_at=reset_at(headers), message=message)
    return None


class RateLimited(RateLimitLow):
    """A rate limit GitHub answered (RateLimitLow for the port), with what it was."""

    def __init__(self, message: str, refusal: Refusal, reset_at: datetime | None):
        super().__init__(message, reset_at=reset_at)
        self.refusal = refusal


# --- retries -------------------------------------------------------------------------------------


@dataclass
class Meter:
    """Shared by a forge's retry policy and requesters: what was sent and how much time is left."""

    requests: int = 0
    # Seconds the current invocation has left for waiting (its remaining time minus its margin).
    time_left: Callable[[], float] = field(default=lambda: float("inf"))


def _wait_text(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 1 or seconds == 0 else f"{seconds:.2f}s"


class GitHubRetry(GithubRetry):
    """PyGithub's GithubRetry with `classify` deciding every 403/429 and 5xx, the waits bounded by
    the time the invocation has left, and every response and dropped connection counted."""

    meter: Meter
    planned_wait: float = 0.0

    def new(self, **kw: Any) -> GitHubRetry:
        retry = super().new(**kw)
        retry.meter = self.meter
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        self.meter.requests += 1  # urllib3 asks about every response it receives
        return super().is_retry(method, status_code, has_retry_after)

    def increment(  # type: ignore[override]
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ) -> Retry:
        if response is None:  # a dropped connection or a timeout: transient
            if error is not None:
                self.meter.requests += 1  # is_retry never saw it
            retry = Retry.increment(self, method, url, response, error, _pool, _stacktrace)
            return self._planned(retry, retry.get_backoff_time(), "connection failed", "transient")
        status = response.status
        message = self._message(response, url) if status in (403, 429) else ""
        refusal = classify(status, response.headers, message)
        if refusal is None:
            if status == 403:  # not a rate limit: GitHub's answer, as PyGithub would raise it
                raise Requester.createException(status, dict(response.headers), _json_or_text(message))
            return Retry.increment(self, method, url, response, error, _pool, _stacktrace)
        if refusal.kind == "primary":
            raise primary_stop(refusal)
        earlier = sum(1 for entry in self.history if entry.status in (403, 429))
        try:
            retry = Retry.increment(self, method, url, response, error, _pool, _stacktrace)
        except MaxRetryError:
            if refusal.kind == "transient":
                raise
            wait = self._secondary_wait(refusal, earlier)
            raise _secondary(refusal, wait, "again after every retry") from None
        if refusal.kind == "transient":
            wait = refusal.wait_s if refusal.wait_s is not None else retry.get_backoff_time()
            return self._planned(retry, wait, f"GitHub answered {status}", "transient")
        return self._planned(retry, self._secondary_wait(refusal, earlier), "", "secondary", refusal)

    def _secondary_wait(self, refusal: Refusal, earlier: int) -> float:
        if refusal.wait_s is not None:
            return refusal.wait_s
        return float(self.secondary_rate_wait) * 2**earlier  # at least a minute, doubling

    def _planned(
        self, retry: GitHubRetry, wait: float, what: str, kind: RefusalKind, refusal: Refusal | None = None
    ) -> GitHubRetry:
        left = self.meter.time_left()
        if wait > left:
            if kind == "secondary" and refusal is not None:
                raise _secondary(refusal, wait, f"only {_wait_text(max(left, 0))} left in this run")
            raise ForgeError(
                f"{what}; a retry needs {_wait_text(wait)} but only {_wait_text(max(left, 0))} "
                "is left in this run"
            )
        retry.planned_wait = wait
        return retry

    def sleep(self, response=None) -> None:  # type: ignore[override]
        if self.planned_wait > 0:
            time.sleep(self.planned_wait)

    def _message(self, response, url) -> str:
        try:
            body = GithubRetry.get_content(response, url)
        except Exception:  # an unreadable body: the headers still decide
            return ""
        text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
        try:
            data = json.loads(text)
        except ValueError:
            return text[:300]
        return str(data.get("message") or "") if isinstance(data, dict) else text[:300]


def _json_or_text(message: str) -> dict[str, Any]:
    return {"message": message}


def primary_stop(refusal: Refusal) -> RateLimited:
    when = f" at {refusal.reset_at:%H:%M:%S} UTC" if refusal.reset_at else ""
    return RateLimited(
        f"GitHub's {refusal.resource} rate limit is spent (HTTP {refusal.status}); "
        f"continuing after the reset{when}",
        refusal,
        refusal.reset_at,
    )


def _secondary(refusal: Refusal, wait: float, why: str) -> RateLimited:
    at = datetime.fromtimestamp(time.time() + wait, UTC)
    return RateLimited(
        f"GitHub's secondary rate limit (HTTP {refusal.status}) asks to wait {_wait_text(wait)}; {why}; "
        f"continuing at {at:%H:%M:%S} UTC",
        refusal,
        at,
    )


def default_retry(
    *,
    total: int = 5,
    backoff_factor: float = 1.0,
    backoff_max: float = 60.0,
    secondary_rate_wait: float = SECONDARY_MIN_WAIT_S,
) -> GitHubRetry:
    """The retry policy of every GitHub request; tests shrink the waits to milliseconds.

    `secondary_rate_wait`: the least wait after a secondary limit without `retry-after`."""
    retry = GitHubRetry(
        total=total,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        secondary_rate_wait=secondary_rate_wait,
        status_forcelist=[s for s in RETRY_STATUSES if s != 403],  # GithubRetry adds 403 itself
        allowed_methods=RETRY_METHODS,
        respect_retry_after_header=False,  # `classify` reads it, for 403s too
    )
    retry.meter = Meter()
    return retry


def metered(retry: GitHubRetry, meter: Meter) -> GitHubRetry:
    """`retry` reporting to `meter` (each forge counts its own requests)."""
    copy = retry.new()
    copy.meter = meter
    return copy


# --- budgets -------------------------------------------------------------------------------------


@dataclass
class Budget:
    remaining: int
    limit: int
    reset_at: datetime


class Budgets:
    """One credential's rate-limit budgets, by GitHub resource (`core`, `graphql`, …)."""

    def __init__(self, credential: str, floor: float = DEFAULT_RATE_LIMIT_FLOOR):
        self.credential = credential
        self.floor = floor
        self.by_resource: dict[str, Budget] = {}
        # A secondary limit asked this credential to send nothing before this time.
        self.paused_until: datetime | None = None

    def record(self, headers: Mapping[str, Any] | None) -> None:
        remaining, limit = header(headers, "x-ratelimit-remaining"), header(headers, "x-ratelimit-limit")
        reset = reset_at(headers)
        if remaining is None or limit is None or reset is None:
            return
        try:
            budget = Budget(int(float(remaining)), int(float(limit)), reset)
        except ValueError:
            return
        self.by_resource[header(headers, "x-ratelimit-resource") or "core"] = budget

    def spent(self, refusal: Refusal) -> None:
        """GitHub refused with a primary limit: nothing is left until the reset."""
        known = self.by_resource.get(refusal.resource)
        if refusal.reset_at is not None:
            self.by_resource[refusal.resource] = Budget(0, known.limit if known else 1, refusal.reset_at)

    def pause(self, until: datetime | None) -> None:
        """GitHub's secondary limit asked to wait until then: nothing is sent before."""
        if until is not None and (self.paused_until is None or until > self.paused_until):
            self.paused_until = until

    def low(self, resource: str | None = None) -> datetime | None:
        """When requests may go again: the latest reset among the resources below the floor (one
        resource, or any), or the end of a secondary limit's pause; None when they may now."""
        now = datetime.now(UTC)
        resets = [
            budget.reset_at
            for name, budget in self.by_resource.items()
            if (resource is None or name == resource)
            and budget.reset_at > now
            and budget.remaining < budget.limit * self.floor
        ]
        if self.paused_until is not None and self.paused_until > now:
            resets.append(self.paused_until)
        return max(resets) if resets else None

    def check(self, resource: str, what: str, time_left: Callable[[], float] = lambda: 0.0) -> None:
        """RateLimitLow, before anything is sent, when `resource` is below the floor, or when a
        secondary limit's pause has not ended and does not end within `time_left()` (a pause that
        does is waited out)."""
        now = datetime.now(UTC)
        budget = self.by_resource.get(resource)
        if budget is not None and budget.reset_at > now and budget.remaining < budget.limit * self.floor:
            raise RateLimitLow(
                f"{what}: GitHub {resource} rate limit of {self.credential} is low "
                f"({budget.remaining} of {budget.limit} left, floor {self.floor:.0%}); "
                f"continuing after the reset at {budget.reset_at:%H:%M:%S} UTC",
                reset_at=budget.reset_at,
            )
        if self.paused_until is not None and self.paused_until > now:
            wait = (self.paused_until - now).total_seconds()
            if wait <= time_left():
                time.sleep(wait)
                return
            raise RateLimitLow(
                f"{what}: GitHub's secondary rate limit asked {self.credential} to wait; "
                f"continuing at {self.paused_until:%H:%M:%S} UTC",
                reset_at=self.paused_until,
            )
