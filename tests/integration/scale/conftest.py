"""Fixtures for the scale tests: RSA keys for a GitHub App, repo configs with an installation."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from homeostat_core.config import repo_from_json


def new_key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) of a fresh 2048-bit RSA key, as GitHub generates for an App."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="session")
def app_keys() -> tuple[str, str]:
    return new_key_pair()


def app_secret(app_id: int, private_pem: str) -> str:
    return json.dumps({"app_id": str(app_id), "private_key": private_pem})


def repo(slug: str, installation_id: int | None = None):
    raw = {
        "slug": slug,
        "branch": "main",
        "max_prs_per_run": 1,
        "labels": ["homeostat-fix"],
        "path_filters": {"include": ["src/"]},
    }
    if installation_id is not None:
        raw["installation_id"] = installation_id
    return repo_from_json(raw)
