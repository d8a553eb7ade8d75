"""Remove secrets and personal data from text before it leaves the process.

`scrub` runs over every prompt (issue text, stack, breadcrumbs, source windows, CI output), every
PR title, body, commit message and comment, and, through `ScrubbingFilter`, over log records. Each
finding becomes `[REDACTED:<kind>]`. Rules run most-specific first so a GitHub token is reported as
one, not as "long base64": the secrets of scrub_rules.py, the personal data of scrub_personal.py,
then the generic long hex and base64 strings. Every rule runs in linear time (scrub_rules.py says
how).

While the rules run, a finding is one private-use character per kind (so later rules neither
rescan nor re-match `[REDACTED:…]` text, and the text does not grow); one replace per kind at the
end writes the tags.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

from homeostat_core.fixing.scrub_personal import PERSONAL_RULES
from homeostat_core.fixing.scrub_rules import GENERIC_RULES, MARK_CHARS, SECRET_RULES, TAGS, Rule

RULES: list[Rule] = SECRET_RULES + PERSONAL_RULES + GENERIC_RULES


def scrub(text: str) -> str:
    """`text` with every secret or personal datum replaced by `[REDACTED:<kind>]`."""
    if not text:
        return text
    # the private-use characters that stand for findings cannot come from the input
    text = MARK_CHARS.sub("\ufffd", text)
    lowered = text.lower()
    for rule in RULES:
        if rule.needles and not any(n in lowered for n in rule.needles):
            continue
        if rule.hint is not None and rule.hint.search(text) is None:
            continue
        text = _replace_value(rule, text) if rule.lowered else rule.pattern.sub(rule.replacement, text)
    for mark, tag in TAGS.items():  # str.replace per kind found: far faster than translate()
        if mark in text:
            text = text.replace(mark, tag)
    return text


def _replace_value(rule: Rule, text: str) -> str:
    """Replace group `v` of each match of a lower-case pattern; the spans index the original."""
    low = text.lower()
    if len(low) != len(text):  # a few non-ASCII letters lower-case to two characters
        pattern = re.compile(rule.pattern.pattern, re.I)
        return pattern.sub(lambda m: m.group(0)[: m.start("v") - m.start()] + str(rule.replacement), text)
    parts = []
    pos = 0
    for match in rule.pattern.finditer(low):
        start, end = match.span("v")
        parts += (text[pos:start], rule.replacement)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


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

__all__ = [
    "ScrubbingFilter",
    "install_scrubbing",
    "scrub",
    "scrub_value",
    "scrubbing_log_filter",
]
