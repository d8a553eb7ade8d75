"""The shapes of secrets scrub() removes, and the rule type every shape is written in.

Every rule runs in linear time on any input (Python's `re` backtracks, so this is by design, and a
test feeds 100 KB of adversarial text per rule): a match may only start at the beginning of a run
of the characters its body consumes (a negative lookbehind of that class, placed after a literal
prefix where there is one so `re` can still skip ahead fast), bodies are possessive (`++`, `{n,}+`)
or bounded, and no quantifier is nested in another one that can match the same text. A rule with a
literal it cannot match without (`@`, `://`, `-----BEGIN`) is skipped when the text lacks it.
Personal data (emails, phones, IBANs, addresses…) is in scrub_personal.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Replacement = str | Callable[[re.Match[str]], str]


# While the rules run, a finding is one private-use character per kind (so later rules neither
# rescan nor re-match `[REDACTED:…]` text, and the text does not grow); one replace per kind at the end
# writes the tags.
KINDS = [
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
    "gitlab_token",
    "huggingface_token",
    "registry_token",
    "vendor_token",
    "url_password",
    "auth_header",
    "cookie",
    "bearer_token",
    "basic_auth",
    "credential",
    "secret_param",
    "email",
    "person_name",
    "postal_address",
    "iban",
    "ssn",
    "card_number",
    "phone",
    "ipv4",
    "ipv6",
    "hex_secret",
    "base64_secret",
    "aws_secret_key",
]
MARK = {kind: chr(0xE000 + i) for i, kind in enumerate(KINDS)}
TAGS = {mark: f"[REDACTED:{kind}]" for kind, mark in MARK.items()}
MARKS = f"\ue000-{chr(0xE000 + len(KINDS) - 1)}"
MARK_CHARS = re.compile(f"[{MARKS}]")
ALREADY = rf"(?!\[(?i:REDACTED):|[{MARKS}])"  # a value that is already a finding


def tag(kind: str) -> str:
    return MARK[kind]


def is_finding(value: str) -> bool:
    return "[REDACTED:" in value or MARK_CHARS.search(value) is not None


def keep_prefix(kind: str) -> Callable[[re.Match[str]], str]:
    """Keep group 1 (a label such as `Bearer ` or `password=`), redact the rest."""
    return lambda m: m.group(1) + tag(kind)


@dataclass(frozen=True, slots=True)
class Rule:
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
    if value.lower() in _AUTH_SCHEMES or _CODE_LIKE.fullmatch(value) or is_finding(value):
        return match.group(0)
    return match.group(1) + tag("auth_header")


def _cookie_header(match: re.Match[str]) -> str:
    value = match.group(2).strip()
    if not value or _CODE_LIKE.fullmatch(value) or is_finding(value):
        return match.group(0)
    return match.group(1) + tag("cookie")


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
        return tag("base64_secret")
    # AWS secret access keys: 40 of [A-Za-z0-9+/], often with only a digit or two; random case
    # flips far more often than in a path or a CamelCase name
    if (
        len(text) == 40
        and "_" not in text
        and "-" not in text
        and (digits or "+" in text or "/" in text)
        and len(_CASE_CHANGE.findall(text)) >= 8
    ):
        return tag("aws_secret_key")
    return match.group(0)


# Token prefixes of well-known platforms → (kind, shortest body, body alphabet). The body is what
# follows the prefix; a token ends where its alphabet does (a trailing `.` ends a sentence).
_ALNUM, _HEXA, _WORD, _DOTTED = "A-Za-z0-9", "0-9a-fA-F", "A-Za-z0-9_-", "A-Za-z0-9_.-"
TOKEN_PREFIXES: dict[str, tuple[str, int, str]] = {
    # GitLab: personal, project, group, deploy, runner, CI job, trigger, feed, mail, agent,
    # OAuth app, SCIM, feature-flag tokens, runner registration
    **{p: ("gitlab_token", 20, _DOTTED) for p in ("glpat-", "gldt-", "glrt-", "glcbt-", "glft-", "glsoat-")},
    **{p: ("gitlab_token", 20, _DOTTED) for p in ("glptt-", "glimt-", "glagent-", "gloas-", "glffct-")},
    "GR1348941": ("gitlab_token", 20, _WORD),
    "hf_": ("huggingface_token", 30, _ALNUM),
    "api_org_": ("huggingface_token", 30, _ALNUM),
    # package registries and container hubs
    "pypi-": ("registry_token", 50, _WORD),
    "rubygems_": ("registry_token", 40, _HEXA),
    "dckr_pat_": ("registry_token", 20, _WORD),
    "CLOJARS_": ("registry_token", 40, _ALNUM),
    # messaging, email, payments, commerce
    "SG.": ("vendor_token", 60, _DOTTED),
    "xkeysib-": ("vendor_token", 60, _WORD),
    "key-": ("vendor_token", 32, _HEXA),
    "SK": ("vendor_token", 32, _HEXA),
    **{p: ("vendor_token", 32, _HEXA) for p in ("shpat_", "shpca_", "shppa_", "shpss_")},
    **{p: ("vendor_token", 14, _ALNUM) for p in ("rzp_live_", "rzp_test_")},
    **{p: ("vendor_token", 22, _WORD) for p in ("sq0atp-", "sq0csp-", "EAAA")},
    "access_token$production$": ("vendor_token", 20, "$" + _DOTTED),
    **{p: ("vendor_token", 12, _WORD) for p in ("FLWSECK-", "FLWSECK_TEST-")},
    # secrets managers, clouds, infrastructure
    **{f"dp.{k}.": ("vendor_token", 40, _ALNUM) for k in ("pt", "st", "sa", "ct", "scim", "audit")},
    "dapi": ("vendor_token", 32, _HEXA + "-"),
    **{p: ("vendor_token", 64, _HEXA) for p in ("dop_v1_", "doo_v1_", "dor_v1_")},
    **{p: ("vendor_token", 80, _WORD) for p in ("hvs.", "hvb.")},
    "pul-": ("vendor_token", 40, _HEXA),
    "tskey-": ("vendor_token", 20, _WORD),
    "sbp_": ("vendor_token", 40, _HEXA),
    "nfp_": ("vendor_token", 36, _ALNUM),
    "HRKU-AA": ("vendor_token", 50, _WORD),
    "LTAI": ("vendor_token", 20, _ALNUM),
    "AKCp": ("vendor_token", 60, _ALNUM),
    **{p: ("vendor_token", 20, _ALNUM) for p in ("glsa_", "NRAK-", "NRII-", "NRJS-")},
    **{p: ("vendor_token", 32, _WORD) for p in ("pscale_tkn_", "pscale_pw_", "pscale_oauth_")},
    "dt0c01.": ("vendor_token", 80, _DOTTED),
    # developer tools and AI platforms
    **{p: ("vendor_token", 40, _HEXA) for p in ("sntryu_",)},
    "sntrys_": ("vendor_token", 60, _WORD),
    "lin_api_": ("vendor_token", 40, _ALNUM),
    "ntn_": ("vendor_token", 40, _ALNUM),
    "PMAK-": ("vendor_token", 40, _WORD),
    "pnu_": ("vendor_token", 30, _ALNUM),
    "rdme_": ("vendor_token", 40, _ALNUM),
    "figd_": ("vendor_token", 30, _WORD),
    "ATATT3": ("vendor_token", 100, "=" + _WORD),
    "CFPAT-": ("vendor_token", 40, _WORD),
    **{p: ("vendor_token", 40, _ALNUM) for p in ("EZAK", "EZTK")},
    "tfp_": ("vendor_token", 40, _DOTTED),
    "bkua_": ("vendor_token", 40, _HEXA),
    "CCIPAT_": ("vendor_token", 30, _WORD),
    "sgp_": ("vendor_token", 40, _WORD),
    "gsk_": ("vendor_token", 40, _ALNUM),
    "r8_": ("vendor_token", 30, _ALNUM),
    "xai-": ("vendor_token", 40, _ALNUM),
    "pplx-": ("vendor_token", 40, _ALNUM),
    "AGE-SECRET-KEY-1": ("vendor_token", 50, _ALNUM),
    "sl.": ("vendor_token", 100, _WORD),
}
_RUN = "A-Za-z0-9_.$-"  # the characters a prefixed token is made of (the union of the alphabets)
_PREFIX = re.compile("|".join(re.escape(p) for p in sorted(TOKEN_PREFIXES, key=len, reverse=True)))
_BODIES = {alphabet: re.compile(f"[{alphabet}]*+") for _k, _n, alphabet in TOKEN_PREFIXES.values()}


def _prefixed_token(match: re.Match[str]) -> str:
    """A run that starts with a known prefix: the prefix and as much of the body as its alphabet
    allows become the finding (when long enough); the rest of the run stays."""
    run = match.group(0)
    prefix = _PREFIX.match(run)
    if prefix is None:
        return run
    kind, shortest, alphabet = TOKEN_PREFIXES[prefix.group(0)]
    end = _BODIES[alphabet].match(run, prefix.end()).end()
    while end > prefix.end() and run[end - 1] == ".":  # a sentence's full stop
        end -= 1
    if end - prefix.end() < shortest:
        return run
    return tag(kind) + run[end:]


_B64 = "A-Za-z0-9+/_-"
_TOKEN = "A-Za-z0-9_-"
_HEX = "[0-9A-Fa-f]"
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"

SECRET_RULES: list[Rule] = [
    Rule(
        "private_key",
        re.compile(
            r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----|.*)",
            re.S,
        ),
        tag("private_key"),
        ("-----begin",),
    ),
    Rule(
        "jwt",
        re.compile(
            rf"eyJ(?<![{_TOKEN}]eyJ)[{_TOKEN}]{{5,}}+\.eyJ[{_TOKEN}]{{5,}}+\.[{_TOKEN}]{{5,}}+(?![{_TOKEN}])"
        ),
        tag("jwt"),
        ("eyj",),
    ),
    Rule(
        "aws_access_key",
        re.compile(r"A(?<![A-Za-z0-9]A)(?:KIA|SIA|GPA|IDA|ROA|NPA|BIA|CCA)[0-9A-Z]{16}(?![A-Za-z0-9])"),
        tag("aws_access_key"),
        ("akia", "asia", "agpa", "aida", "aroa", "anpa", "abia", "acca"),
    ),
    Rule(
        "github_token",
        re.compile(r"github_pat_(?<![A-Za-z0-9_]github_pat_)[A-Za-z0-9_]{22,}+"),
        tag("github_token"),
        ("github_pat_",),
    ),
    Rule(
        "github_token",
        re.compile(r"gh[pousr]_(?<![A-Za-z0-9_]gh[pousr]_)[A-Za-z0-9]{30,}+(?![A-Za-z0-9_])"),
        tag("github_token"),
        ("gh",),
    ),
    Rule(
        "stripe_key",
        re.compile(
            r"(?:[rsp]k_(?:live|test|prod)|whsec)_(?<![A-Za-z0-9_][rsp]k_live_)(?<![A-Za-z0-9_][rsp]k_test_)"
            r"[A-Za-z0-9]{16,}+(?![A-Za-z0-9_])"
        ),
        tag("stripe_key"),
        ("k_live_", "k_test_", "k_prod_", "whsec_"),
    ),
    Rule(
        "slack_token",
        re.compile(r"x(?:ox[abposre]|app)-(?<![A-Za-z0-9-]xox.-)(?<![A-Za-z0-9-]xapp-)[A-Za-z0-9-]{10,}+"),
        tag("slack_token"),
        ("xox", "xapp-"),
    ),
    Rule(
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]++"),
        tag("slack_webhook"),
        ("hooks.slack.com",),
    ),
    # OpenAI (sk-, sk-proj-, sk-svcacct-) and DeepSeek (sk- + 32 hex) keys
    Rule(
        "api_key",
        re.compile(r"sk-(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{20,}+"),
        tag("api_key"),
        ("sk-",),
    ),
    Rule(
        "google_api_key",
        re.compile(r"AIza(?<![A-Za-z0-9_-]AIza)[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
        tag("google_api_key"),
        ("aiza",),
    ),
    Rule(
        "google_oauth",
        re.compile(r"(?:ya29\.|GOCSPX-|1//0)(?<![A-Za-z0-9_-]ya29\.)[A-Za-z0-9_-]{20,}+"),
        tag("google_oauth"),
        ("ya29.", "gocspx-", "1//0"),
    ),
    Rule(
        "npm_token",
        re.compile(r"npm_(?<![A-Za-z0-9_]npm_)[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
        tag("npm_token"),
        ("npm_",),
    ),
    # every other platform's prefixed tokens (TOKEN_PREFIXES): one run of token characters at a
    # time, its prefix looked up, its body checked in Python
    Rule(
        "vendor_token",
        re.compile(rf"(?=[A-Za-z])(?<![{_RUN}])[A-Za-z][{_RUN}]{{19,}}+"),
        _prefixed_token,
    ),
    Rule(
        "vendor_token",
        re.compile(rf"(?=[gfos])(?<![={_B64}])(?:glc_|ops_eyJ|fm[12][ar]?_|fo1_|sha256~)[={_B64}]{{20,}}+"),
        tag("vendor_token"),
        ("glc_", "ops_eyj", "fm1", "fm2_", "fo1_", "sha256~"),
    ),
    Rule(
        "url_password",
        re.compile(r"(://[^\s:/@]++:)[^\s@/]++(?=@)"),
        keep_prefix("url_password"),
        ("://",),
    ),
    # `Authorization: …`, `X-Api-Key: …` and friends, in headers, JSON, curl lines and logs
    Rule(
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
    Rule(
        "cookie",
        re.compile(
            r"""(?=[SsCc])((?:set-)?cookie["']?[ \t]{0,8}:[ \t]{0,8})([^\r\n"'`{}(),]{1,4096}+)""", re.I
        ),
        _cookie_header,
        ("cookie",),
    ),
    Rule(
        "bearer_token",
        re.compile(r"(?=[Bb])\b(bearer\s{1,8})[A-Za-z0-9._~+/=-]{8,}+", re.I),
        keep_prefix("bearer_token"),
        ("bearer",),
    ),
    Rule(
        "basic_auth",
        re.compile(r"(?=[Bb])\b(basic\s{1,8})[A-Za-z0-9+/]{8,}+={0,2}", re.I),
        keep_prefix("basic_auth"),
        ("basic",),
    ),
    # "password": "…", api_key = '…', userToken: "…"; matched on the lower-cased text
    Rule(
        "credential",
        re.compile(
            rf"""(?=["' \t:=]){_name_ends_here(_QUOTED_SHORT_WORDS)}["']?[ \t]{{0,8}}[:=][ \t]{{0,8}}["']"""
            rf"""{ALREADY}(?P<v>[^"'\s]{{4,}}+)(?=["'])"""
        ),
        tag("credential"),
        ('"', "'"),
        lowered=True,
    ),
    # password: hunter2! in logs and YAML (unquoted, after a colon): only a value with a digit or a
    # symbol, so `password: this.state.password` in source stays as it is
    Rule(
        "credential",
        re.compile(
            rf"""(?=[ \t:]){_name_ends_here(_QUOTED_SHORT_WORDS)}[ \t]{{0,8}}:[ \t]{{1,8}}+{ALREADY}"""
            r"""(?P<v>(?=[^\s,;'"`(){}<>\[\]]{0,256}?[0-9!@#$%^&*+=/?~-])[^\s,;'"`(){}<>\[\]]{6,}+)"""
        ),
        tag("credential"),
        (":",),
        lowered=True,
    ),
    # name=value: URL queries (?token=, &sig=, #access_token=), cookies (sessionid=), form bodies,
    # log lines (password=hunter2); matched on the lower-cased text
    Rule(
        "secret_param",
        re.compile(
            rf"""={_name_ends_here(_SHORT_SECRET_WORDS, "=")}(?!=){ALREADY}(?P<v>[^\s&;,"'<>`]{{1,4096}}+)"""
        ),
        tag("secret_param"),
        ("=",),
        lowered=True,
    ),
]


GENERIC_RULES: list[Rule] = [
    Rule(
        "hex_secret",
        re.compile(rf"(?={_HEX})(?<![A-Za-z0-9]){_HEX}{{32,}}+(?![A-Za-z0-9])"),
        tag("hex_secret"),
    ),
    Rule(
        "base64_secret",
        re.compile(rf"(?=[{_B64}])(?<![{_B64}])[{_B64}]{{32,}}+={{0,2}}+(?![={_B64}])"),
        _base64,
    ),
]


__all__ = [
    "ALREADY",
    "GENERIC_RULES",
    "KINDS",
    "MARK",
    "MARKS",
    "MARK_CHARS",
    "SECRET_RULES",
    "TAGS",
    "TOKEN_PREFIXES",
    "Replacement",
    "Rule",
    "is_finding",
    "keep_prefix",
    "tag",
]
