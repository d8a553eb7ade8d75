"""Remove secrets and personal data from text before it leaves the process.

`scrub` runs over every prompt (issue text, stack, breadcrumbs, source windows, CI output) and,
through `ScrubbingFilter`, over log records. Each finding becomes `[REDACTED:<kind>]`.
Rules run most-specific first so a GitHub token is reported as one, not as "long base64".

Every rule runs in linear time on any input (Python's `re` backtracks, so this is by design, and
a test feeds 100 KB of adversarial text per rule): a match may only start at the beginning of a run
of the characters its body consumes (a negative lookbehind of that class, placed after a literal
prefix where there is one so `re` can still skip ahead fast), bodies are possessive (`++`, `{n,}+`)
or bounded, and no quantifier is nested in another one that can match the same text. A rule with a
literal it cannot match without (`@`, `://`, `-----BEGIN`) is skipped when the text lacks it.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Replacement = str | Callable[[re.Match[str]], str]


# While the rules run, a finding is one private-use character per kind (so later rules neither
# rescan nor re-match `[REDACTED:…]` text, and the text does not grow); one replace per kind at the end
# writes the tags.
_KINDS = [
    "private_key",
    "jwt",
    "aws_access_key",
    "github_token",
    "stripe_key",
    "slack_token",
    "slack_webhook",
    "api_key",
    "google_api_key",
    "google_oauth",
    "npm_token",
    "url_password",
    "auth_header",
    "cookie",
    "bearer_token",
    "basic_auth",
    "credential",
    "secret_param",
    "email",
    "ssn",
    "card_number",
    "phone",
    "ipv4",
    "ipv6",
    "hex_secret",
    "base64_secret",
    "aws_secret_key",
]
_MARK = {kind: chr(0xE000 + i) for i, kind in enumerate(_KINDS)}
_TAGS = {mark: f"[REDACTED:{kind}]" for kind, mark in _MARK.items()}
_MARKS = f"\ue000-{chr(0xE000 + len(_KINDS) - 1)}"
_MARK_CHARS = re.compile(f"[{_MARKS}]")
_ALREADY = rf"(?!\[(?i:REDACTED):|[{_MARKS}])"  # a value that is already a finding


def _tag(kind: str) -> str:
    return _MARK[kind]


def _is_finding(value: str) -> bool:
    return "[REDACTED:" in value or _MARK_CHARS.search(value) is not None


def _keep_prefix(kind: str) -> Callable[[re.Match[str]], str]:
    """Keep group 1 (a label such as `Bearer ` or `password=`), redact the rest."""
    return lambda m: m.group(1) + _tag(kind)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    replacement: Replacement
    # lower-case literals the rule cannot match without; the rule is skipped when none is present
    needles: tuple[str, ...] = ()
    # the pattern runs on text.lower() (faster than re.I) and group `v` is replaced by the finding
    lowered: bool = False
    # a cheap search the text must pass before the rule runs (for rules without a literal)
    hint: re.Pattern[str] | None = None


# Names whose value is a secret wherever they appear as `name=value` (URL queries, cookies, form
# bodies, logs) or `name: "value"`: the name ends with a long word (`access_token`,
# `X-Amz-Signature`, `PHPSESSID`) or is / ends with a short one as a whole word (`code`, `_sig`,
# not `statusCode`). The rules run on the lower-cased text, match where a name ends (at `=` for
# name=value, a literal `re` finds fast) and check the name with fixed-width lookbehinds.
_LONG_SECRET_WORDS = (
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "api_key",
    "api-key",
    "signature",
    "sessionid",
    "session_id",
    "session",
    "sessid",
    "credential",
    "credentials",
    "cookie",
    "jwt",
    "accesskey",
    "access_key",
    "secretkey",
    "secret_key",
    "privatekey",
    "private_key",
    "authorization",
)
_SHORT_SECRET_WORDS = (
    "key",
    "sig",
    "sid",
    "auth",
    "code",
    "pwd",
    "pass",
    "otp",
    "state",
    "nonce",
    "ticket",
    "ssn",
    "pin",
    "csrf",
    "xsrf",
)
# the quoted form also sees source code (`state: 'loading'`), so only unmistakable names there
_QUOTED_SHORT_WORDS = ("sig", "sid", "auth", "pwd", "pass", "otp", "ssn")


def _name_ends_here(short_words: tuple[str, ...], suffix: str = "") -> str:
    """Fixed-width lookbehinds, true where the (lower-case) text before `suffix` ends with a secret
    name. A chain of one-character classes first (the last three letters of any name), then one
    lookbehind per name length: `re` evaluates a long alternation of lookbehinds slowly."""
    end = re.escape(suffix)
    words = _LONG_SECRET_WORDS + short_words
    chain = ""
    classes = ""
    for k in (1, 2, 3):
        letters = "".join(sorted({w[-k] for w in words if len(w) >= k} | ({"_", "-"} if k == 3 else set())))
        classes = f"[{re.escape(letters)}]" + classes
        chain += f"(?<={classes}{end})"
    by_length: dict[tuple[int, bool], list[str]] = {}
    for word in words:
        by_length.setdefault((len(word), word in short_words), []).append(re.escape(word))
    checks = []
    for (_n, short), group in sorted(by_length.items()):
        names = "|".join(group)
        check = f"(?<=(?:{names}){end})"
        if short:  # a whole word: not the end of a longer name
            check += f"(?<![a-z0-9](?:{names}){end})"
        checks.append(check)
    return f"{chain}(?:{'|'.join(checks)})"


_CODE_LIKE = re.compile(r"[A-Za-z_$][A-Za-z_$.]*")
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", ""})


def _header_value(match: re.Match[str]) -> str:
    value = match.group(2).strip()
    # `Authorization: 'Bearer ' + token` and `'x-api-key': apiKey` in source are code, not secrets
    if value.lower() in _AUTH_SCHEMES or _CODE_LIKE.fullmatch(value) or _is_finding(value):
        return match.group(0)
    return match.group(1) + _tag("auth_header")


def _cookie_header(match: re.Match[str]) -> str:
    value = match.group(2).strip()
    if not value or _CODE_LIKE.fullmatch(value) or _is_finding(value):
        return match.group(0)
    return match.group(1) + _tag("cookie")


# digit characters to their values, and to the digit sum of their double (Luhn), as bytes tables
_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_DOUBLED_VALUES = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))
# Issuer prefixes (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro): a 13-19 digit
# run that passes Luhn but starts otherwise is far more likely a timestamp or an id.
_CARD = r"(?=4|5[0-9]|2[2-7]|3[0-9]|6[0-9])"


def _luhn_ok(raw: bytes) -> bool:
    return (sum(raw[-1::-2].translate(_DIGIT_VALUES)) + sum(raw[-2::-2].translate(_DOUBLED_VALUES))) % 10 == 0


def _card(match: re.Match[str]) -> str:
    """A 13-19 digit candidate: one kind of separator at most, and the Luhn check (bytes
    operations: this runs for every candidate, and adversarial text is full of them)."""
    text = match.group()
    if not _luhn_ok(text.encode("ascii").translate(None, b" -")) or (" " in text and "-" in text):
        return text
    return _tag("card_number")


def _ssn(match: re.Match[str]) -> str:
    text = match.group(0)
    area, group, serial = text[:3], text[4:6], text[7:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return text
    return _tag("ssn")


def _intl_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(c.isdigit() for c in text)
    if not 8 <= digits <= 15 or text.count("(") != text.count(")") or ".." in text or "--" in text:
        return text
    return _tag("phone")


_CASE_CHANGE = re.compile(r"[a-z](?=[A-Z])|[A-Z](?=[a-z])")


_DIGITS_ONLY = re.compile(r"\d")


def _base64(match: re.Match[str]) -> str:
    text = match.group(0).rstrip("=")
    # identifiers and paths are long too; a secret mixes upper, lower and digits (str methods and
    # re, not Python loops: a run can be 100 KB long)
    has_upper = text.lower() != text
    has_lower = text.upper() != text
    if not (has_upper and has_lower):
        return match.group(0)
    digits = len(_DIGITS_ONLY.findall(text, 0, 4096))
    if digits >= 3:
        return _tag("base64_secret")
    # AWS secret access keys: 40 of [A-Za-z0-9+/], often with only a digit or two; random case
    # flips far more often than in a path or a CamelCase name
    if (
        len(text) == 40
        and "_" not in text
        and "-" not in text
        and (digits or "+" in text or "/" in text)
        and len(_CASE_CHANGE.findall(text)) >= 8
    ):
        return _tag("aws_secret_key")
    return match.group(0)


_B64 = "A-Za-z0-9+/_-"
_TOKEN = "A-Za-z0-9_-"
_HEX = "[0-9A-Fa-f]"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

_RULES: list[_Rule] = [
    _Rule(
        "private_key",
        re.compile(
            r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*)",
            re.S,
        ),
        _tag("private_key"),
        ("-----begin",),
    ),
    _Rule(
        "jwt",
        re.compile(
            rf"eyJ(?<![{_TOKEN}]eyJ)[{_TOKEN}]{{5,}}+\.eyJ[{_TOKEN}]{{5,}}+\.[{_TOKEN}]{{5,}}+(?![{_TOKEN}])"
        ),
        _tag("jwt"),
        ("eyj",),
    ),
    _Rule(
        "aws_access_key",
        re.compile(r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|GPA|IDA|ROA|NPA|BIA|CCA)[0-9A-Z]{16}(?![A-Za-z0-9])"),
        _tag("aws_access_key"),
        ("akia", "asia", "agpa", "aida", "aroa", "anpa", "abia", "acca"),
    ),
    _Rule(
        "github_token",
        re.compile(r"github_pat_(?<![A-Za-z0-9_]github_pat_)[A-Za-z0-9_]{22,}+"),
        _tag("github_token"),
        ("github_pat_",),
    ),
    _Rule(
        "github_token",
        re.compile(r"gh[pousr]_(?<![A-Za-z0-9_]gh[pousr]_)[A-Za-z0-9]{30,}+(?![A-Za-z0-9_])"),
        _tag("github_token"),
        ("gh",),
    ),
    _Rule(
        "stripe_key",
        re.compile(
            r"(?:[rsp]k_(?:live|test)|whsec)_(?<![A-Za-z0-9_][rsp]k_live_)(?<![A-Za-z0-9_][rsp]k_test_)"
            r"[A-Za-z0-9]{16,}+(?![A-Za-z0-9_])"
        ),
        _tag("stripe_key"),
        ("k_live_", "k_test_", "whsec_"),
    ),
    _Rule(
        "slack_token",
        re.compile(r"x(?:ox[abposre]|app)-(?<![A-Za-z0-9-]xox.-)(?<![A-Za-z0-9-]xapp-)[A-Za-z0-9-]{10,}+"),
        _tag("slack_token"),
        ("xox", "xapp-"),
    ),
    _Rule(
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]++"),
        _tag("slack_webhook"),
        ("hooks.slack.com",),
    ),
    # OpenAI (sk-, sk-proj-, sk-svcacct-) and DeepSeek (sk- + 32 hex) keys
    _Rule(
        "api_key",
        re.compile(r"sk-(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{20,}+"),
        _tag("api_key"),
        ("sk-",),
    ),
    _Rule(
        "google_api_key",
        re.compile(r"AIza(?<![A-Za-z0-9_-]AIza)[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
        _tag("google_api_key"),
        ("aiza",),
    ),
    _Rule(
        "google_oauth",
        re.compile(r"(?:ya29\.|GOCSPX-|1//0)(?<![A-Za-z0-9_-]ya29\.)[A-Za-z0-9_-]{20,}+"),
        _tag("google_oauth"),
        ("ya29.", "gocspx-", "1//0"),
    ),
    _Rule(
        "npm_token",
        re.compile(r"npm_(?<![A-Za-z0-9_]npm_)[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
        _tag("npm_token"),
        ("npm_",),
    ),
    _Rule(
        "url_password",
        re.compile(r"(://[^\s:/@]++:)[^\s@/]++(?=@)"),
        _keep_prefix("url_password"),
        ("://",),
    ),
    # `Authorization: …`, `X-Api-Key: …` and friends, in headers, JSON, curl lines and logs
    _Rule(
        "auth_header",
        re.compile(
            r"""(?=[AaXx])((?:authorization|x-api-key|api-key|apikey|x-auth-token|x-access-token|x-amz-security-token|"""
            r"""x-csrf-token|x-xsrf-token|x-goog-api-key)["']?[ \t]{0,8}[:=][ \t]{0,8}["']?)"""
            r"""((?:(?:bearer|basic|token|digest|negotiate|apikey|key)[ \t]{1,4}+)?[^\s"'`,;{}()]{1,2048}+)""",
            re.I,
        ),
        _header_value,
        ("authorization", "api-key", "apikey", "auth-token", "access-token", "security-token", "srf-token"),
    ),
    _Rule(
        "cookie",
        re.compile(
            r"""(?=[SsCc])((?:set-)?cookie["']?[ \t]{0,8}:[ \t]{0,8})([^\r\n"'`{}(),]{1,4096}+)""", re.I
        ),
        _cookie_header,
        ("cookie",),
    ),
    _Rule(
        "bearer_token",
        re.compile(r"(?=[Bb])\b(bearer\s{1,8})[A-Za-z0-9._~+/=-]{8,}+", re.I),
        _keep_prefix("bearer_token"),
        ("bearer",),
    ),
    _Rule(
        "basic_auth",
        re.compile(r"(?=[Bb])\b(basic\s{1,8})[A-Za-z0-9+/]{8,}+={0,2}", re.I),
        _keep_prefix("basic_auth"),
        ("basic",),
    ),
    # "password": "…", api_key = '…', userToken: "…"; matched on the lower-cased text
    _Rule(
        "credential",
        re.compile(
            rf"""(?=["' \t:=]){_name_ends_here(_QUOTED_SHORT_WORDS)}["']?[ \t]{{0,8}}[:=][ \t]{{0,8}}["']"""
            rf"""{_ALREADY}(?P<v>[^"'\s]{{4,}}+)(?=["'])"""
        ),
        _tag("credential"),
        ('"', "'"),
        lowered=True,
    ),
    # password: hunter2! in logs and YAML (unquoted, after a colon): only a value with a digit or a
    # symbol, so `password: this.state.password` in source stays as it is
    _Rule(
        "credential",
        re.compile(
            rf"""(?=[ \t:]){_name_ends_here(_QUOTED_SHORT_WORDS)}[ \t]{{0,8}}:[ \t]{{1,8}}+{_ALREADY}"""
            r"""(?P<v>(?=[^\s,;'"`(){}<>\[\]]{0,256}?[0-9!@#$%^&*+=/?~-])[^\s,;'"`(){}<>\[\]]{6,}+)"""
        ),
        _tag("credential"),
        (":",),
        lowered=True,
    ),
    # name=value: URL queries (?token=, &sig=, #access_token=), cookies (sessionid=), form bodies,
    # log lines (password=hunter2); matched on the lower-cased text
    _Rule(
        "secret_param",
        re.compile(
            rf"""={_name_ends_here(_SHORT_SECRET_WORDS, "=")}(?!=){_ALREADY}(?P<v>[^\s&;,"'<>`]{{1,4096}}+)"""
        ),
        _tag("secret_param"),
        ("=",),
        lowered=True,
    ),
    # A rule whose first character is itself checked by a lookbehind begins with a lookahead for
    # that character: `re` then still skips fast to candidate positions.
    _Rule(
        "email",
        re.compile(
            r"(?=[A-Za-z0-9._%+-])(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++"
            # not `fn@bundle.js:12:5` (a Firefox/Safari stack frame)
            r"@(?:[A-Za-z0-9-]++\.)+[A-Za-z]{2,}+(?!\.?[A-Za-z0-9-]|:\d)"
        ),
        _tag("email"),
        ("@",),
    ),
    _Rule("ssn", re.compile(r"(?=\d)(?<![\w-])\d{3}-\d\d-\d{4}(?![\w-])"), _ssn, ("-",)),
    _Rule("card_number", re.compile(rf"(?=\d)(?<![\w.-]){_CARD}\d(?:[ -]?\d){{12,18}}(?![\w-])"), _card),
    _Rule("phone", re.compile(r"\+(?<![\w+]\+)\d[\d ().-]{6,22}\d(?!\w)"), _intl_phone, ("+",)),
    # US shapes: (555) 123-4567, 555-123-4567, 555.123.4567, 1 555 123 4567; not versions,
    # dates, times or line:column
    _Rule(
        "phone",
        re.compile(
            r"(?=[(\d])(?<![\w.:/+-])(?:1[ .-])?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w:/]|[.-]\d)"
        ),
        _tag("phone"),
        hint=re.compile(r"\d{3}[ .-]\d{4}"),
    ),
    _Rule(
        "ipv4",
        # not a version after a name: `Chrome/120.0.0.0`
        re.compile(rf"(?=\d)(?<![\w.])(?<![A-Za-z]/){_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?!\w|\.\d)"),
        _tag("ipv4"),
        (".",),
    ),
    _Rule(
        "ipv6",
        re.compile(rf"(?={_HEX})(?<![\w:.])(?:{_HEX}{{1,4}}:){{7}}{_HEX}{{1,4}}(?![\w:])"),
        _tag("ipv6"),
        (":",),
    ),
    # with `::`: at least one group of two hex digits somewhere (so not `a::b`, `std::vector`)
    _Rule(
        "ipv6",
        re.compile(
            rf"(?=[0-9A-Fa-f:])(?<![\w:.])(?=[0-9A-Fa-f:]{{0,39}}?{_HEX}{{2}})"
            rf"(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{0,6}})?::(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{0,6}})?"
            r"(?:%\w++)?(?![\w:])"
        ),
        _tag("ipv6"),
        ("::",),
    ),
    _Rule(
        "hex_secret",
        re.compile(rf"(?={_HEX})(?<![A-Za-z0-9]){_HEX}{{32,}}+(?![A-Za-z0-9])"),
        _tag("hex_secret"),
    ),
    _Rule(
        "base64_secret",
        re.compile(rf"(?=[{_B64}])(?<![{_B64}])[{_B64}]{{32,}}+={{0,2}}+(?![={_B64}])"),
        _base64,
    ),
]


def scrub(text: str) -> str:
    """`text` with every secret or personal datum replaced by `[REDACTED:<kind>]`."""
    if not text:
        return text
    # the private-use characters that stand for findings cannot come from the input
    text = _MARK_CHARS.sub("\ufffd", text)
    lowered = text.lower()
    for rule in _RULES:
        if rule.needles and not any(n in lowered for n in rule.needles):
            continue
        if rule.hint is not None and rule.hint.search(text) is None:
            continue
        text = _replace_value(rule, text) if rule.lowered else rule.pattern.sub(rule.replacement, text)
    for mark, tag in _TAGS.items():  # str.replace per kind found: far faster than translate()
        if mark in text:
            text = text.replace(mark, tag)
    return text


def _replace_value(rule: _Rule, text: str) -> str:
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
