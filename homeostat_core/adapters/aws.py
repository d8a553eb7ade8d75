"""The process's AWS session and the secrets read through it (Secrets Manager, else the environment).

Clients and the provider are made on first use, never at import: a boto3 client made before moto's
mock starts would not be mocked, and a cold start pays only for what it uses."""

from __future__ import annotations

import os
from functools import lru_cache


@lru_cache(maxsize=1)
def aws_session():
    """One boto3 session per process: its clients share credentials and the service models it has
    loaded, instead of each client reading them again (local mode clears it with the caches)."""
    import boto3

    return boto3.session.Session()


@lru_cache(maxsize=1)
def _secrets_provider():
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_session=aws_session())


def read_secret(name: str | None, env_var: str, *, field: str | None = None) -> str | None:
    """A secret's value: from Secrets Manager when `name` is set, else from `env_var`."""
    if name:
        provider = _secrets_provider()
        if field:
            data = provider.get(name, transform="json", max_age=300) or {}
            return data.get(field)
        return provider.get(name, max_age=300)
    return os.environ.get(env_var)
