"""Remove secrets and personal data from text before it leaves the process.

`scrub` runs over every prompt (issue text, stack, breadcrumbs, source windows, CI output) and,
through `ScrubbingFilter`, over log records. Each finding becomes `[REDACTED:<kind>]`.
Rules run most-specific first so a GitHub token is reported as one, not as "long base64".
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import re
from collections.abc import Callable
from typing import Any

Replacement = str | Callable[[re.Match[str]], str]


def _tag(kind: str) -> str:
    return f"[REDACTED:{kind}]"


def _keep_prefix(kind: str) -> Callable[[re.Match[str]], str]:
    """Keep group 1 (a label such as `Bearer ` or `password=`), redact the rest."""
    return lambda m: m.group(1) + _tag(kind)


# (kind, pattern, replacement) in the order they run.
_RULES: list[tuple[str, re.Pattern[str], Replacement]] = [
    (
        "private_key",
        re.compile(
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----.*?(-----END[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----|\Z)",
            re.S,
        ),
        _tag("private_key"),
    ),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), _tag("jwt")),
    (
        "aws_access_key",
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"),
        _tag("aws_access_key"),
    ),
    ("github_token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}"), _tag("github_token")),
    ("github_token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,255}\b"), _tag("github_token")),
    ("stripe_key", re.compile(r"\b[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}\b"), _tag("stripe_key")),
    ("slack_token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), _tag("slack_token")),
    (
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
        _tag("slack_webhook"),
    ),
    # OpenAI (sk-, sk-proj-, sk-svcacct-) and DeepSeek (sk- + 32 hex) keys
    ("api_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), _tag("api_key")),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), _tag("google_api_key")),
    (
        "url_password",
        re.compile(r"\b([a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+(?=@)", re.I),
        _keep_prefix("url_password"),
    ),
    ("bearer_token", re.compile(r"\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}", re.I), _keep_prefix("bearer_token")),
    ("basic_auth", re.compile(r"\b(basic\s+)[A-Za-z0-9+/]{8,}={0,2}", re.I), _keep_prefix("basic_auth")),
    (
        "credential",
        re.compile(
            r"""((?:password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|client[_-]?secret)"""
            r"""["']?\s*[:=]\s*["'])[^"'\s]{6,}(?=["'])""",
            re.I,
        ),
        _keep_prefix("credential"),
    ),
    (
        "email",
        re.compile(
            r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
        ),
        _tag("email"),
    ),
    (
        "ipv4",
        re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"),
        None,
    ),
    ("ipv6", re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?(?![\w:])"), None),
    ("hex_secret", re.compile(r"(?<![A-Za-z0-9])[0-9a-fA-F]{32,}(?![A-Za-z0-9])"), _tag("hex_secret")),
    ("base64_secret", re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_-])"), None),
]


def _ipv4(match: re.Match[str]) -> str:
    return _tag("ipv4")


def _ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    # a loose candidate: only real addresses with at least two groups (not `a::`, `12:30:45`)
    groups = [g for g in text.split("%")[0].split(":") if g]
    try:
        ipaddress.IPv6Address(text.split("%")[0])
    except ValueError:
        return text
    hex_digits = sum(len(g) for g in groups)
    return _tag("ipv6") if text.startswith("::1") or (len(groups) >= 2 and hex_digits >= 4) else text


def _base64(match: re.Match[str]) -> str:
    text = match.group(0).rstrip("=")
    # identifiers and paths are long too; a secret mixes upper, lower and digits
    has_upper = any(c.isupper() for c in text)
    has_lower = any(c.islower() for c in text)
    digits = sum(c.isdigit() for c in text)
    if has_upper and has_lower and digits >= 3:
        return _tag("base64_secret")
    return match.group(0)


_DYNAMIC = {"ipv4": _ipv4, "ipv6": _ipv6, "base64_secret": _base64}


def scrub(text: str) -> str:
    """`text` with every secret or personal datum replaced by `[REDACTED:<kind>]`."""
    if not text:
        return text
    for kind, pattern, replacement in _RULES:
        text = pattern.sub(replacement if replacement is not None else _DYNAMIC[kind], text)
    return text


def scrub_value(value: Any) -> Any:
    """Scrub strings inside dicts, lists and tuples (structured log messages)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(v) for v in value)
    if isinstance(value, BaseException):
        return scrub(str(value))
    return value


_STANDARD_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}


class ScrubbingFilter(logging.Filter):
    """Scrubs a log record's message, args, extra fields and exception text in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub_value(record.msg)
        if record.args:
            record.args = scrub_value(record.args)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_RECORD_ATTRS and isinstance(value, str | dict | list | tuple):
                setattr(record, key, scrub_value(value))
        if record.exc_info and record.exc_info[1] is not None:
            exc_type, exc, tb = record.exc_info
            record.exc_info = (exc_type, _scrubbed_exception(exc), tb)
            record.exc_text = None
        return True


def _scrubbed_exception(exc: BaseException) -> BaseException:
    """A copy of `exc` whose message (and chained causes' messages) are scrubbed."""
    try:
        clone = copy.copy(exc)
        clone.args = (scrub(str(exc)),)
    except Exception:
        return RuntimeError(scrub(f"{type(exc).__name__}: {exc}"))
    for link in ("__cause__", "__context__"):
        chained = getattr(exc, link)
        if chained is not None and chained is not exc:
            setattr(clone, link, _scrubbed_exception(chained))
    return clone


def install_scrubbing(logger: Any) -> ScrubbingFilter:
    """Attach one ScrubbingFilter to a logging.Logger or Powertools Logger and its handlers.

    Handler filters also see records propagated from child loggers; the logger filter covers
    records handled elsewhere. Idempotent.
    """
    target = getattr(logger, "_logger", logger)
    existing = next((f for f in target.filters if isinstance(f, ScrubbingFilter)), None)
    scrubber = existing or ScrubbingFilter()
    if existing is None:
        target.addFilter(scrubber)
    for handler in target.handlers:
        if not any(isinstance(f, ScrubbingFilter) for f in handler.filters):
            handler.addFilter(scrubber)
    return scrubber


# the name the brief uses
scrubbing_log_filter = ScrubbingFilter

__all__ = ["ScrubbingFilter", "install_scrubbing", "scrub", "scrub_value", "scrubbing_log_filter"]
