"""Composition root: settings in, adapters behind ports out. Handlers and local mode call this.

Secrets: in Lambda, names of Secrets Manager secrets come from settings and are read through
Powertools parameters (cached); locally, plain environment variables hold the values.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from homeostat_core.adapters.dynamo import DynamoState
from homeostat_core.adapters.sqs import SqsJobQueue
from homeostat_core.adapters.tracing import Traced
from homeostat_core.pipeline import Ports, SystemClock
from homeostat_core.settings import Settings


class MissingSecret(RuntimeError):
    pass


def _secret(name: str | None, env_var: str, *, field: str | None = None) -> str | None:
    """A secret's value: from Secrets Manager when `name` is set, else from `env_var`."""
    if name:
        from aws_lambda_powertools.utilities import parameters

        if field:
            data = parameters.get_secret(name, transform="json", max_age=300) or {}
            return data.get(field)
        return parameters.get_secret(name, max_age=300)
    return os.environ.get(env_var)


def webhook_secret(settings: Settings) -> str:
    value = _secret(settings.webhook_secret_name, "HOMEOSTAT_WEBHOOK_SECRET")
    if not value:
        raise MissingSecret(
            "no webhook secret: set HOMEOSTAT_WEBHOOK_SECRET_NAME (Lambda) or HOMEOSTAT_WEBHOOK_SECRET"
        )
    return value


def llm_key_provider(settings: Settings):
    def provide(key_name: str) -> str | None:
        return _secret(
            settings.llm_keys_secret, key_name, field=key_name if settings.llm_keys_secret else None
        )

    return provide


def job_queue(settings: Settings) -> SqsJobQueue:
    if not settings.queue_url:
        raise RuntimeError("HOMEOSTAT_QUEUE_URL is not set")
    return SqsJobQueue(settings.queue_url, region=settings.region, endpoint_url=settings.endpoint_url)


@lru_cache(maxsize=4)
def build_forge(settings: Settings):
    """One forge per container: warm invocations keep its ETag cache, so idle repos cost a 304."""
    if settings.forge == "local":
        from homeostat_core.adapters.local_forge import LocalForge

        if not settings.local_forge_dir:
            raise RuntimeError("HOMEOSTAT_FORGE=local needs HOMEOSTAT_LOCAL_FORGE_DIR")
        return LocalForge(Path(settings.local_forge_dir))
    from homeostat_core.adapters.github_auth import ForgeRouter

    # One forge per credential (App installation or token), chosen per repository; the secrets are
    # re-read every few minutes (max_age), so a rotation needs no redeploy.
    return ForgeRouter(
        base_url=settings.github_api_url,
        read_token=lambda: _secret(settings.github_token_secret, "GITHUB_TOKEN"),
        read_app=lambda: _secret(settings.github_app_secret, "GITHUB_APP"),
        token_source=f"secret {settings.github_token_secret}"
        if settings.github_token_secret
        else "$GITHUB_TOKEN",
        app_source=f"secret {settings.github_app_secret}" if settings.github_app_secret else "$GITHUB_APP",
    )


def continuations(settings: Settings):
    """EventBridge Scheduler continuations when infra configured them (Lambda); None locally."""
    if not (settings.continuation_group and settings.queue_arn and settings.continuation_role_arn):
        return None
    from homeostat_core.adapters.continuations import SchedulerContinuations

    return SchedulerContinuations(
        group_name=settings.continuation_group,
        queue_arn=settings.queue_arn,
        role_arn=settings.continuation_role_arn,
        region=settings.region,
        endpoint_url=settings.endpoint_url,
    )


def build_ports(settings: Settings) -> Ports:
    from homeostat_core.adapters.openai_llm import OpenAIChatModel

    state = state_for(settings)
    return Ports(
        forge=Traced(build_forge(settings), "forge"),
        llm=Traced(OpenAIChatModel(key_provider=llm_key_provider(settings)), "model"),
        attempts=state.attempts,
        patterns=state.patterns,
        budgets=state.budgets,
        runs=state.runs,
        clock=SystemClock(),
    )


@lru_cache(maxsize=4)
def state_for(settings: Settings) -> DynamoState:
    return DynamoState.from_settings(settings)
