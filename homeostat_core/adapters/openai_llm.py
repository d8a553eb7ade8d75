"""ports.ChatModel over the `openai` package, for every OpenAI-compatible provider by base URL.

One cached client per (base_url, key). Retries with backoff on 408/409/429/5xx, connection
errors and timeouts are the openai client's own (`max_retries`); 400/401/403/404/422 are never
retried. An endpoint that cannot be connected to (refused, unknown host, connect timeout) is
remembered for UNREACHABLE_FOR_S: every call to it in that window fails at once, naming what was
tried, instead of each tier and try of each fix waiting through the same retries again. Failures cross the port as ports.LlmError(kind=timeout|rate_limit|server|bad_request|auth|deadline).

Deadlines: `set_time_budget(time_left)` gives the seconds the invocation has left (its remaining
time minus its safety margin). Each call's timeout is the smaller of the setting and that time,
and its retries are cut so that every try together fits in it; with less than MIN_CALL_S left
no call is made. A call cut short by the deadline fails as kind `deadline` (the fix engine then
stops instead of trying again), not as a model timeout.
Keys come from `key_provider(api_key_env_name)` (env locally, Secrets Manager in Lambda) and are
never logged or put into error messages.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import openai

from homeostat_core.fixing.model_settings import load_model_settings
from homeostat_core.models import ChatResponse, TokenUsage
from homeostat_core.ports import LlmError

KeyProvider = Callable[[str], str | None]

CONNECT_TIMEOUT_S = 5.0  # a model endpoint that takes longer than this to accept a connection is down
UNREACHABLE_FOR_S = 60.0
# A model call needs at least this long to be worth starting.
MIN_CALL_S = 10.0
# openai's own backoff between retries is at most 8 s; kept free of the call timeouts.
RETRY_BACKOFF_S = 8.0

# base_url → (when it failed, what was tried): shared by every client in this process.
_unreachable: dict[str, tuple[float, str]] = {}
_unreachable_lock = threading.Lock()


def _connection_cause(exc: BaseException) -> str:
    """`connection refused`, `name not resolved`...: the innermost cause, without the URL's secrets."""
    cause: BaseException = exc
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    return " ".join(str(cause).split())[:160] or type(cause).__name__


def env_key_provider(name: str) -> str | None:
    """Local mode: API keys from environment variables (DEEPSEEK_API_KEY, OPENAI_API_KEY)."""
    return os.environ.get(name) or None


def static_key_provider(key: str = "scripted-no-key") -> KeyProvider:
    """The same placeholder key for every name: for the scripted server, which needs none."""
    return lambda name: key


def _status_kind(status: int) -> str:
    if status in (401, 403):
        return "auth"
    if status == 429:
        return "rate_limit"
    if status == 408:
        return "timeout"
    if status >= 500:
        return "server"
    return "bad_request"


def _usage(raw: Any) -> TokenUsage:
    if raw is None:
        return TokenUsage()
    details = getattr(raw, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    if cached is None:
        # DeepSeek reports cache hits as a top-level extra field
        extra = getattr(raw, "model_extra", None) or {}
        cached = extra.get("prompt_cache_hit_tokens")
    return TokenUsage(
        prompt=int(getattr(raw, "prompt_tokens", 0) or 0),
        completion=int(getattr(raw, "completion_tokens", 0) or 0),
        cached=int(cached or 0),
    )


class OpenAIChatModel:
    """ports.ChatModel for OpenAI, DeepSeek and any OpenAI-compatible server."""

    def __init__(
        self,
        key_provider: KeyProvider = env_key_provider,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        max_tokens_fields: Mapping[str, str] | None = None,
        min_call_s: float = MIN_CALL_S,
    ):
        """`max_tokens_fields`: model name → `max_tokens` or `max_completion_tokens` (OpenAI's
        reasoning models reject `max_tokens`). Default: the configured model settings'
        `max_tokens_fields()`; models not listed get `max_tokens`. `min_call_s`: with less time
        than this left in the invocation, no call is started."""
        self._key_provider = key_provider
        self._timeout_s = timeout_s
        self._max_retries = max_retries
        if max_tokens_fields is None:
            max_tokens_fields = load_model_settings().max_tokens_fields()
        self._max_tokens_fields = dict(max_tokens_fields)
        self._clients: dict[tuple[str, str], openai.OpenAI] = {}
        self._lock = threading.Lock()
        self._time_left: Callable[[], float] = lambda: float("inf")
        self._min_call_s = min_call_s

    def set_time_budget(self, time_left: Callable[[], float]) -> None:
        """Seconds the current invocation has left for model calls (each invocation sets its own)."""
        self._time_left = time_left

    def _bounds(self, model: str, base_url: str) -> tuple[float, int, bool]:
        """(timeout, retries, cut by the deadline) of the next call."""
        left = self._time_left()
        if left < self._min_call_s:
            raise LlmError(
                "deadline", f"{model} at {base_url}: not called, only {max(left, 0):.0f}s left in this run"
            )
        timeout = min(self._timeout_s, left)
        tries = 1 + self._max_retries
        while tries > 1 and tries * timeout + (tries - 1) * RETRY_BACKOFF_S > left:
            tries -= 1
        return timeout, tries - 1, timeout < self._timeout_s

    def _client(self, base_url: str, api_key_name: str) -> openai.OpenAI:
        key = self._key_provider(api_key_name)
        if not key:
            raise LlmError("auth", f"no API key in {api_key_name}")
        with self._lock:
            client = self._clients.get((base_url, key))
            if client is None:
                client = openai.OpenAI(
                    api_key=key,
                    base_url=base_url,
                    timeout=openai.Timeout(self._timeout_s, connect=min(CONNECT_TIMEOUT_S, self._timeout_s)),
                    max_retries=self._max_retries,
                )
                self._clients[(base_url, key)] = client
        return client

    def complete(
        self, *, base_url: str, api_key_name: str, model: str, messages: list[dict[str, str]], max_tokens: int
    ) -> ChatResponse:
        client = self._client(base_url, api_key_name)
        limit = {self._max_tokens_fields.get(model, "max_tokens"): max_tokens}
        with _unreachable_lock:
            known = _unreachable.get(base_url)
        if known is not None and time.monotonic() - known[0] < UNREACHABLE_FOR_S:
            raise LlmError("server", f"{model} at {base_url}: not called, endpoint unreachable ({known[1]})")
        timeout, retries, cut = self._bounds(model, base_url)
        if (timeout, retries) != (self._timeout_s, self._max_retries):
            client = client.with_options(
                timeout=openai.Timeout(timeout, connect=min(CONNECT_TIMEOUT_S, timeout)), max_retries=retries
            )
        started = time.monotonic()
        try:
            completion = client.chat.completions.create(model=model, messages=messages, **limit)
        except openai.APITimeoutError as exc:
            if type(exc.__cause__).__name__ == "ConnectTimeout":  # the endpoint never accepted
                tried = self._mark_unreachable(base_url, exc, started)
                raise LlmError("server", f"{model} at {base_url}: {tried}") from None
            if cut:
                raise LlmError(
                    "deadline", f"{model} at {base_url}: no answer in the {timeout:.0f}s left in this run"
                ) from None
            raise LlmError("timeout", f"{model} at {base_url} timed out after {self._timeout_s}s") from None
        except openai.APIConnectionError as exc:
            tried = self._mark_unreachable(base_url, exc, started)
            raise LlmError("server", f"{model} at {base_url}: {tried}") from None
        except openai.APIStatusError as exc:
            raise LlmError(
                _status_kind(exc.status_code), f"{model} at {base_url}: HTTP {exc.status_code}"
            ) from None
        except (openai.APIResponseValidationError, ValueError) as exc:
            raise LlmError(
                "server", f"{model} at {base_url}: malformed response: {type(exc).__name__}"
            ) from None
        except openai.OpenAIError as exc:
            raise LlmError("server", f"{model} at {base_url}: {type(exc).__name__}") from None
        if not getattr(completion, "choices", None):
            raise LlmError("server", f"{model} at {base_url}: response has no choices")
        content = completion.choices[0].message.content or ""
        with _unreachable_lock:
            _unreachable.pop(base_url, None)
        return ChatResponse(content=content, model=completion.model or model, usage=_usage(completion.usage))

    def _mark_unreachable(self, base_url: str, exc: BaseException, started: float) -> str:
        tried = (
            f"cannot connect: {_connection_cause(exc)}; tried {1 + self._max_retries} time(s) in "
            f"{time.monotonic() - started:.1f}s (connect timeout {min(CONNECT_TIMEOUT_S, self._timeout_s):g}s)"
        )
        with _unreachable_lock:
            _unreachable[base_url] = (time.monotonic(), tried)
        return tried


__all__ = ["KeyProvider", "OpenAIChatModel", "env_key_provider", "static_key_provider"]
