"""A seeded corpus of secrets of every kind scrub() must remove (shared by the leak tests)."""

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
}

CONTEXTS = [
    "Failed to call API with {} (see logs)",
    "config: {}",
    "user said: my key is {}, please help",
    "[{}]",
    "fetch('{}')",
    "{}",
]


def build_corpus(seed: int = 20240611, per_kind: int = 11) -> list[tuple[str, str, str]]:
    """(kind, text containing the secret, the secret substring) — 19 kinds × per_kind entries."""
    rng = random.Random(seed)
    corpus = []
    for kind, generate in GENERATORS.items():
        for _ in range(per_kind):
            text, secret = generate(rng)
            corpus.append((kind, rng.choice(CONTEXTS).format(text), secret))
    return corpus
