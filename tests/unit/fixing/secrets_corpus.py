"""A seeded corpus of secrets and personal data of every kind scrub() must remove.

Shared by the unit tests and the reliability leak test. Deterministic: the same seed gives the same
corpus. Each entry is (kind, text containing the secret, the substring that must not survive).
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _mixed(rng: random.Random, n: int) -> str:
    # at least one upper, lower and digit, like real generated keys
    core = _pick(rng, ALNUM, n - 3)
    return (
        rng.choice(string.ascii_uppercase)
        + core
        + rng.choice(string.ascii_lowercase)
        + rng.choice(string.digits)
    )


def _jwt(rng: random.Random) -> str:
    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': _pick(rng, ALNUM, 10), 'iat': rng.randint(1, 10**9)})}.{_pick(rng, ALNUM + '-_', 43)}"


def _ipv6(rng: random.Random) -> str:
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return ":".join(groups)
    return ":".join(groups[:3]) + "::" + ":".join(groups[6:])


def _private_key(rng: random.Random) -> str:
    body = "\n".join(base64.b64encode(rng.randbytes(48)).decode() for _ in range(4))
    kind = rng.choice(["RSA ", "EC ", "OPENSSH ", ""])
    return f"-----BEGIN {kind}PRIVATE KEY-----\n{body}\n-----END {kind}PRIVATE KEY-----"


QUERY_NAMES = [
    "token",
    "code",
    "access_token",
    "refresh_token",
    "id_token",
    "key",
    "api_key",
    "sig",
    "signature",
    "secret",
    "password",
    "auth",
    "session",
    "sessionid",
    "X-Amz-Signature",
    "Token",
    "ACCESS_TOKEN",
    "Code",
    "client_secret",
    "apiKey",
]


def _query_url(rng: random.Random) -> tuple[str, str]:
    value = _pick(rng, ALNUM + "-_.~", rng.randint(12, 40))
    name = rng.choice(QUERY_NAMES)
    sep = rng.choice(["?", "?lang=en&", "#", "?next=%2Fhome&"])
    host = rng.choice(["app", "app.example.com", "login.example.org", "localhost:3000"])
    verb = rng.choice(["Navigated to", "GET", "fetch", "redirect"])
    return f"{verb} https://{host}/reset{sep}{name}={value}", value


def _password_assignment(rng: random.Random) -> tuple[str, str]:
    value = _mixed(rng, rng.randint(8, 16)) + rng.choice(["!", "#", "$", "%", "*", ""])
    name = rng.choice(["password", "passwd", "pwd", "PASSWORD", "Password", "db_password"])
    return f"login failed: user=bob {name}={value} retry=3", value


def _cookie(rng: random.Random) -> tuple[str, str]:
    value = _pick(rng, ALNUM, rng.randint(20, 40))
    shape = rng.randrange(4)
    if shape == 0:
        return f"Cookie: sessionid={value}; theme=dark", value
    if shape == 1:
        return f"Set-Cookie: session={value}; Path=/; HttpOnly; Secure", value
    if shape == 2:
        return f"document.cookie = 'PHPSESSID={value}'", value
    return f"sent cookie connect.sid={value} with the request", value


def _aws_secret(rng: random.Random) -> str:
    """40 characters of [A-Za-z0-9+/] with at most two digits, like many real secret keys."""
    letters = string.ascii_letters + "+/"
    chars = [rng.choice(letters) for _ in range(40)]
    for i in rng.sample(range(40), rng.randint(0, 2)):
        chars[i] = rng.choice(string.digits)
    chars[rng.randrange(40)] = rng.choice(string.ascii_uppercase)
    chars[rng.randrange(40)] = rng.choice(string.ascii_lowercase)
    return "".join(chars)


def _luhn_complete(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + _pick(rng, string.digits, length - len(prefix) - 1)
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def _card(rng: random.Random) -> str:
    prefix, length = rng.choice(
        [
            ("4", 16),
            ("51", 16),
            ("55", 16),
            ("2221", 16),
            ("34", 15),
            ("37", 15),
            ("6011", 16),
            ("4", 13),
            ("35", 16),
        ]
    )
    number = _luhn_complete(rng, prefix, length)
    sep = rng.choice(["", " ", "-"])
    groups = (
        [number[:4], number[4:10], number[10:]]
        if length == 15
        else [number[i : i + 4] for i in range(0, length, 4)]
    )
    return sep.join(groups)


def _intl_phone(rng: random.Random) -> str:
    shapes = [
        lambda: f"+44 20 {_pick(rng, string.digits, 4)} {_pick(rng, string.digits, 4)}",
        lambda: f"+49 30 {_pick(rng, string.digits, 6)}",
        lambda: (
            "+33 " + " ".join([str(rng.randint(1, 9))] + [_pick(rng, string.digits, 2) for _ in range(4)])
        ),
        lambda: f"+1-{rng.randint(201, 989)}-{_pick(rng, string.digits, 3)}-{_pick(rng, string.digits, 4)}",
        lambda: f"+91 {rng.randint(70000, 99999)} {_pick(rng, string.digits, 5)}",
        lambda: f"+61 (0){rng.randint(2, 8)} {_pick(rng, string.digits, 4)} {_pick(rng, string.digits, 4)}",
        lambda: f"+{rng.randint(30, 99)}{_pick(rng, string.digits, 9)}",
    ]
    return rng.choice(shapes)()


def _us_phone(rng: random.Random) -> str:
    area, mid, end = rng.randint(201, 989), _pick(rng, string.digits, 3), _pick(rng, string.digits, 4)
    return rng.choice(
        [f"({area}) {mid}-{end}", f"{area}-{mid}-{end}", f"{area}.{mid}.{end}", f"1 {area} {mid} {end}"]
    )


def _ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _api_key_header(rng: random.Random) -> tuple[str, str]:
    value = _mixed(rng, rng.randint(24, 40))
    shape = rng.randrange(4)
    if shape == 0:
        return f"x-api-key: {value}", value
    if shape == 1:
        return f'curl -H "X-API-Key: {value}" https://api.example.com', value
    if shape == 2:
        return f"Authorization: {value}", value
    return f"authorization: token {value}", value


# kind → (generator, the substring that must not survive; by default the whole secret)
GENERATORS: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "aws_access_key": lambda r: (s := r.choice(["AKIA", "ASIA"]) + _pick(r, UPPER_DIGITS, 16), s),
    "github_classic": lambda r: (s := f"gh{r.choice('pousr')}_" + _pick(r, ALNUM, 36), s),
    "github_fine_grained": lambda r: (
        s := "github_pat_" + _pick(r, ALNUM, 22) + "_" + _pick(r, ALNUM, 59),
        s,
    ),
    "openai": lambda r: (s := "sk-" + _mixed(r, 48), s),
    "openai_project": lambda r: (s := "sk-proj-" + _pick(r, ALNUM + "-_", 120), s),
    "deepseek": lambda r: (s := "sk-" + _pick(r, HEX, 32), s),
    "slack": lambda r: (
        s := f"xox{r.choice('bpa')}-"
        + "-".join(_pick(r, string.digits, 12) for _ in range(2))
        + "-"
        + _pick(r, ALNUM, 24),
        s,
    ),
    "stripe": lambda r: (s := "sk_live_" + _pick(r, ALNUM, 24), s),
    "jwt": lambda r: (s := _jwt(r), s),
    "bearer": lambda r: (f"Authorization: Bearer {(s := _mixed(r, 40))}", s),
    "basic": lambda r: (
        f"Authorization: Basic {(s := base64.b64encode(f'user:{_mixed(r, 14)}'.encode()).decode())}",
        s,
    ),
    "url_password": lambda r: (f"https://admin:{(s := _mixed(r, 16))}@db.internal.example.com/x", s),
    "email": lambda r: (
        s
        := f"{_pick(r, string.ascii_lowercase, 6)}.{_pick(r, string.ascii_lowercase, 5)}@{_pick(r, string.ascii_lowercase, 7)}.com",
        s,
    ),
    "ipv4": lambda r: (s := ".".join(str(r.randint(1, 254)) for _ in range(4)), s),
    "ipv6": lambda r: (s := _ipv6(r), s),
    "private_key": lambda r: (s := _private_key(r), s.splitlines()[1]),
    "hex_secret": lambda r: (s := _pick(r, HEX, 64), s),
    "base64_secret": lambda r: (s := base64.b64encode(r.randbytes(33)).decode(), s),
    "password_literal": lambda r: (f'const password = "{(s := _mixed(r, 12))}";', s),
    "url_query_secret": _query_url,
    "password_assignment": _password_assignment,
    "session_cookie": _cookie,
    "aws_secret_key": lambda r: (s := _aws_secret(r), s),
    "card_number": lambda r: (s := _card(r), s),
    "phone_international": lambda r: (s := _intl_phone(r), s),
    "phone_us": lambda r: (s := _us_phone(r), s),
    "us_ssn": lambda r: (f"SSN {(s := _ssn(r))}", s),
    "api_key_header": _api_key_header,
    "google_oauth": lambda r: (s := "ya29." + _pick(r, ALNUM + "-_", 60), s),
    "email_plus": lambda r: (
        s
        := f"{_pick(r, string.ascii_lowercase, 5)}+{_pick(r, string.ascii_lowercase, 4)}@mail.{_pick(r, string.ascii_lowercase, 6)}.co.uk",
        s,
    ),
}

# --- shapes added after leaks were found: platform tokens, IBANs, national phones, obfuscated
# emails, names with postal addresses -------------------------------------------------------------

GITLAB_PREFIXES = [
    "glpat-",
    "gldt-",
    "glrt-",
    "glcbt-",
    "glft-",
    "glsoat-",
    "glimt-",
    "glagent-",
    "gloas-",
    "glffct-",
]


def _gitlab(rng: random.Random) -> str:
    shape = rng.randrange(4)
    if shape == 0:  # routable personal access token
        return "glpat-" + _pick(rng, ALNUM + "_-", 30) + ".01." + _pick(rng, HEX, 9)
    if shape == 1:
        return "glptt-" + _pick(rng, HEX, 40)
    if shape == 2:
        return "GR1348941" + _pick(rng, ALNUM + "_-", 20)
    return rng.choice(GITLAB_PREFIXES) + _pick(rng, ALNUM + "_-", rng.choice([20, 26, 50]))


def _huggingface(rng: random.Random) -> str:
    # 34 letters, often with no digit at all (so no "long base64" rule sees it)
    return rng.choice(["hf_", "hf_", "api_org_"]) + _pick(rng, string.ascii_letters, 34)


# (prefix, body alphabet, body length) of other platforms' tokens
PLATFORM_TOKENS = [
    ("pypi-AgEIcHlwaS5vcmc", ALNUM + "_-", 70),
    ("rubygems_", HEX, 48),
    ("dckr_pat_", ALNUM + "_-", 27),
    ("SG.", ALNUM + "_-", 22),  # + "." + 43 below
    ("SK", HEX, 32),
    ("shpat_", HEX, 32),
    ("shpss_", HEX, 32),
    ("dp.pt.", ALNUM, 43),
    ("dp.st.", ALNUM, 43),
    ("dapi", HEX, 32),
    ("dop_v1_", HEX, 64),
    ("hvs.", ALNUM + "_-", 95),
    ("xkeysib-", HEX, 64),
    ("key-", HEX, 32),
    ("rzp_live_", ALNUM, 14),
    ("sq0atp-", ALNUM + "_-", 22),
    ("lin_api_", ALNUM, 40),
    ("pplx-", ALNUM, 48),
    ("gsk_", ALNUM, 52),
    ("tskey-", ALNUM + "-", 40),
    ("sntryu_", HEX, 64),
    ("PMAK-", HEX, 24),  # + "-" + 34 below
]


def _platform_token(rng: random.Random) -> str:
    prefix, alphabet, length = rng.choice(PLATFORM_TOKENS)
    token = prefix + _pick(rng, alphabet, length)
    if prefix == "SG.":
        token += "." + _pick(rng, ALNUM + "_-", 43)
    if prefix == "PMAK-":
        token += "-" + _pick(rng, HEX, 34)
    return token


def _slack_and_stripe(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return (
            f"xox{rng.choice('bpaer')}-"
            + "-".join(_pick(rng, string.digits, 12) for _ in range(2))
            + "-"
            + _pick(rng, ALNUM, 32)
        )
    return f"{rng.choice(['sk', 'rk'])}_{rng.choice(['live', 'test', 'prod'])}_" + _pick(rng, ALNUM, 30)


IBAN_FORMATS = {  # country → BBAN as a sequence of (alphabet, count)
    "DE": [(string.digits, 18)],
    "GB": [(string.ascii_uppercase, 4), (string.digits, 14)],
    "FR": [(string.digits, 10), (UPPER_DIGITS, 11), (string.digits, 2)],
    "NL": [(string.ascii_uppercase, 4), (string.digits, 10)],
    "ES": [(string.digits, 20)],
    "IT": [(string.ascii_uppercase, 1), (string.digits, 10), (UPPER_DIGITS, 12)],
    "NO": [(string.digits, 11)],
    "CH": [(string.digits, 5), (UPPER_DIGITS, 12)],
    "PL": [(string.digits, 24)],
    "SA": [(string.digits, 2), (UPPER_DIGITS, 18)],
    "BR": [(string.digits, 23), (string.ascii_uppercase, 1), (UPPER_DIGITS, 1)],
    "MT": [(string.ascii_uppercase, 4), (string.digits, 5), (UPPER_DIGITS, 18)],
}


def _iban(rng: random.Random) -> str:
    country = rng.choice(sorted(IBAN_FORMATS))
    bban = "".join(_pick(rng, alphabet, count) for alphabet, count in IBAN_FORMATS[country])
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.6 else iban


def _national_phone(rng: random.Random) -> str:
    d = lambda n: _pick(rng, string.digits, n)  # noqa: E731
    shapes = [
        lambda: f"020 {rng.randint(3, 8)}{d(3)} {d(4)}",  # London
        lambda: f"07{rng.randint(100, 999)} {d(6)}",  # UK mobile
        lambda: f"(01{d(2)}) {d(3)} {d(4)}",
        lambda: f"01{d(3)} {d(6)}",
        lambda: "0" + str(rng.randint(1, 9)) + " " + " ".join(d(2) for _ in range(4)),  # France
        lambda: f"030 {d(7)}",  # Berlin
        lambda: f"0{rng.randint(151, 179)} {d(8)}",  # German mobile
        lambda: f"03-{d(4)}-{d(4)}",  # Tokyo
        lambda: f"04{d(2)} {d(3)} {d(3)}",  # Australian mobile
        lambda: f"({rng.randint(11, 99)}) 9{d(4)}-{d(4)}",  # Brazil
        lambda: f"{rng.randint(6, 9)}{d(2)} {d(3)} {d(3)}",  # Spain
    ]
    return rng.choice(shapes)()


FIRST = ["Jane", "John", "Amelia", "Oliver", "Sofia", "Lukas", "Chloé", "Mateo", "Priya", "Hiroshi"]
LAST = ["Doe", "Smith", "Okafor", "Müller", "Dubois", "García", "Rossi", "Nakamura", "Patel", "O'Brien"]
DOMAINS = ["example", "mailbox", "notes-app", "inbox"]


def _obfuscated_email(rng: random.Random) -> tuple[str, str]:
    user = f"{rng.choice(FIRST).lower().replace('é', 'e')}.{_pick(rng, string.ascii_lowercase, 4)}"
    domain, tld = rng.choice(DOMAINS), rng.choice(["com", "org", "co", "io", "net"])
    at, dot = rng.choice(
        [
            (" (at) ", " (dot) "),
            (" [at] ", " [dot] "),
            (" at ", " dot "),
            (" AT ", " DOT "),
            ("(at)", "."),
            (" {at} ", " {dot} "),
            ("%40", "."),
            (" @ ", " . "),
            ("@", "[.]"),
            (" _at_ ", " _dot_ "),
        ]
    )
    text = f"{user}{at}{domain}{dot}{tld}"
    return f"reach me at {text} if needed", f"{user}{at}{domain}"


STREETS = ["Baker", "High", "Elm", "Maple", "Station", "Church", "Oak", "Pennsylvania", "Sunset", "Victoria"]
TYPES = [
    "Street",
    "St",
    "Road",
    "Rd",
    "Avenue",
    "Ave",
    "Lane",
    "Drive",
    "Boulevard",
    "Close",
    "Way",
    "Terrace",
]
CITIES = [
    ("London", "NW1 6XE"),
    ("Springfield, IL", "62704"),
    ("Leeds", "LS1 4AP"),
    ("Austin, TX", "78701"),
    ("Toronto, ON", "M5V 2T6"),
    ("Bristol", "BS1 5TR"),
]


def _street_address(rng: random.Random) -> tuple[str, str, str]:
    """(the whole address, the street line, the full name before it)."""
    number = f"{rng.randint(1, 2400)}{rng.choice(['', '', 'B', 'a'])}"
    street = f"{number} {rng.choice(STREETS)} {rng.choice(TYPES)}"
    city, postcode = rng.choice(CITIES)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}{_pick(rng, string.ascii_lowercase, 3)}"  # distinct
    separator = rng.choice([", ", "\n"])
    return f"{name}{separator}{street}, {city} {postcode}", street, name


def _foreign_address(rng: random.Random) -> tuple[str, str]:
    shapes = [
        lambda: (
            s := f"{rng.choice(['Haupt', 'Linden', 'Berliner', 'Schiller'])}straße {rng.randint(1, 99)}",
            f"{s}, 10115 Berlin",
        ),
        lambda: (
            s := f"{rng.choice(['Kerk', 'Prinsen', 'Heren'])}straat {rng.randint(1, 99)}",
            f"{s}, 1017 GC Amsterdam",
        ),
        lambda: (
            s := f"{rng.randint(1, 99)} rue de la {rng.choice(['Paix', 'Gare', 'Liberté'])}",
            f"{s}, 75002 Paris",
        ),
        lambda: (
            s := f"Calle {rng.choice(['Mayor', 'Alcalá', 'Serrano'])} {rng.randint(1, 99)}",
            f"{s}, 28013 Madrid",
        ),
        lambda: (
            s := f"Via {rng.choice(['Roma', 'Garibaldi', 'Dante'])} {rng.randint(1, 99)}",
            f"{s}, 00184 Roma",
        ),
        lambda: (s := f"P.O. Box {rng.randint(100, 99999)}", f"{s}, Austin, TX 78701"),
    ]
    street, whole = rng.choice(shapes)()
    return whole, street


GENERATORS.update(
    {
        "gitlab_token": lambda r: (s := _gitlab(r), s),
        "huggingface_token": lambda r: (s := _huggingface(r), s),
        "platform_token": lambda r: (s := _platform_token(r), s),
        "slack_stripe_token": lambda r: (s := _slack_and_stripe(r), s),
        "iban": lambda r: (f"IBAN {(s := _iban(r))}", s),
        "phone_national": lambda r: (f"call me on {(s := _national_phone(r))} please", s),
        "email_obfuscated": _obfuscated_email,
        "postal_address": lambda r: ((a := _street_address(r))[0], a[1]),
        "name_with_address": lambda r: (f"ship to {(a := _street_address(r))[0]}", a[2]),
        "address_abroad": lambda r: ((a := _foreign_address(r))[0], a[1]),
    }
)


CONTEXTS = [
    "Failed to call API with {} (see logs)",
    "config: {}",
    "user said: my key is {}, please help",
    "[{}]",
    "fetch('{}')",
    "{}",
]


def build_corpus(seed: int = 20240611, per_kind: int = 11) -> list[tuple[str, str, str]]:
    """(kind, text containing the secret, the secret substring): every kind × per_kind entries."""
    rng = random.Random(seed)
    corpus = []
    for kind, generate in GENERATORS.items():
        for _ in range(per_kind):
            text, secret = generate(rng)
            corpus.append((kind, rng.choice(CONTEXTS).format(text), secret))
    return corpus


# For every rule: 100 KB of the characters that would make it backtrack or rescan (long runs, a
# prefix repeated without its ending, separators without digits...). Quadratic rules took seconds.
ADVERSARIAL_UNITS = [
    "a",
    "a.",
    "a@",
    "a.a@",
    "@a.",
    "a@a-",
    "a@b.co ",
    "a@a.a.a.1",
    "value@bundle.js:1:2 ",
    "eyJ-",
    "eyJa.",
    "eyJaaaaa.eyJaaaaa.",
    "ghp_",
    "github_pat_",
    "sk-",
    "xoxb-",
    "xapp-",
    "AKIA",
    "AIza",
    "ya29.",
    "npm_",
    "sk_live_",
    "whsec_",
    "-----BEGIN ",
    "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----",
    "://a:",
    "://",
    "bearer ",
    "Basic ",
    "Authorization: ",
    "Authorization: Bearer x1 ",
    "x-api-key:",
    "Cookie: ",
    "cookie:a",
    "=",
    "a=",
    "a=b ",
    "en=",
    "key=",
    "?token=",
    "token=a&",
    "password=",
    '"password": "',
    "'a':'",
    ':"aaaa"',
    "1 ",
    "1-",
    "1",
    "1.",
    "1.1.",
    "1.2.3.4 ",
    "+",
    "+1",
    "+1 ",
    "(555) ",
    "555-",
    "555.",
    "555-123-4567 ",
    "123-45-",
    "123-45-6789 ",
    "4111 ",
    "4111-",
    "4111 1111 1111 1111 ",
    "0",
    ":",
    "a:",
    "::",
    "a::b ",
    "abcd::ef01 ",
    "1:2:3:4:5:6:7:8 ",
    "1:",
    "A1a/",
    "Aa",
    "A" * 40 + " ",
    "a%",
    "%",
    "[",
    '"',
    "'",
    " ",
    "\n",
    "é",
    # the shapes added later: token prefixes without bodies, IBAN starts, trunk-0 phone groups,
    # hidden @ and dots, house numbers and capitalized words without a street type
    "glpat-",
    "hf_",
    "SK",
    "dp.pt.",
    "x" * 25 + " ",
    "GB82 ",
    "AB12",
    "07700 ",
    "0 ",
    "(0",
    "a (at) ",
    "a at a dot ",
    "a%40",
    "a [.]",
    "1 A ",
    "1 Aa Aa Aa Aa ",
    "Aaaa ",
    "Aaaastraße ",
    "Calle ",
    "My name is ",
]
