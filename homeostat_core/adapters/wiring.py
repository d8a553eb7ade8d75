"""Composition root: settings in, adapters behind ports out. Handlers and local mode call this.

Secrets: in Lambda, names of Secrets Manager secrets come from settings and are read through
Powertools parameters (cached); locally, plain environment variables hold the values.

Cold starts: adapters are imported when first built, not when this module is imported, so each
handler loads only what its first request uses (the scheduler never loads PynamoDB or the fix
engine; the worker loads `openai` only when a fix needs a model).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from homeostat_core.settings import Settings

if TYPE_CHECKING:
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.adapters.sqs import SqsJobQueue
    from homeostat_core.pipeline import Ports


class MissingSecret(RuntimeError):
    pass


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


def _secret(name: str | None, env_var: str, *, field: str | None = None) -> str | None:
    """A secret's value: from Secrets Manager when `name` is set, else from `env_var`."""
    if name:
        provider = _secrets_provider()
        if field:
            data = provider.get(name, transform="json", max_age=300) or {}
            return data.get(field)
        return provider.get(name, max_age=300)
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
    from homeostat_core.adapters.sqs import SqsJobQueue

    if not settings.queue_url:
        raise RuntimeError("HOMEOSTAT_QUEUE_URL is not set")
    return SqsJobQueue(
        settings.queue_url, region=settings.region, endpoint_url=settings.endpoint_url, session=aws_session()
    )


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


class LazyChatModel:
    """ports.ChatModel that imports and builds the `openai` client on the first call: a run
    whose fixes all come from patterns, or that has nothing to fix, never loads it."""

    def __init__(self, key_provider):
        self._key_provider = key_provider
        self._model = None

    def complete(self, **request):
        if self._model is None:
            from homeostat_core.adapters.openai_llm import OpenAIChatModel

            self._model = OpenAIChatModel(key_provider=self._key_provider)
        return self._model.complete(**request)


def build_ports(settings: Settings) -> Ports:
    from homeostat_core.adapters.tracing import Traced
    from homeostat_core.pipeline import Ports, SystemClock

    state = state_for(settings)
    forge = Traced(build_forge(settings), "forge")
    return Ports(
        forge=forge,
        llm=Traced(LazyChatModel(llm_key_provider(settings)), "model"),
        attempts=state.attempts,
        patterns=state.patterns,
        budgets=state.budgets,
        runs=state.runs,
        clock=SystemClock(),
        source_maps=source_maps_for(settings, forge),
    )


def source_maps_for(settings: Settings, forge):
    """Where a repository's source maps come from, per extension version: the S3 bucket (uploaded
    by the extension's release CI, docs/SOURCEMAPS.md), then maps committed in the repository."""

    def maps(repo, version):
        from homeostat_core.symbolication.forge_maps import ForgeSourceMaps
        from homeostat_core.symbolication.symbolicate import ChainedSourceMaps

        uploaded = None
        if settings.sourcemaps_bucket and version:
            from homeostat_core.adapters.source_maps import S3SourceMaps

            uploaded = S3SourceMaps(
                settings.sourcemaps_bucket,
                repo.slug,
                version,
                region=settings.region,
                endpoint_url=settings.endpoint_url,
            )
        return ChainedSourceMaps(uploaded, ForgeSourceMaps(forge, repo, repo.branch))

    return maps


@lru_cache(maxsize=4)
def state_for(settings: Settings) -> DynamoState:
    from homeostat_core.adapters.dynamo import DynamoState

    return DynamoState.from_settings(settings)
