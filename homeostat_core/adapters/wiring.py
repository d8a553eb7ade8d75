"""Composition root: settings in, adapters behind ports out. Handlers and local mode call this.

Secrets: in Lambda, names of Secrets Manager secrets come from settings and are read through
Powertools parameters (cached); locally, plain environment variables hold the values.

Cold starts: adapters are imported when first built, not when this module is imported, so each
handler loads only what its first request uses (the scheduler never loads PynamoDB or the fix
engine; the worker loads `openai` only when a fix needs a model).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from homeostat_core.adapters.aws import aws_session, read_secret
from homeostat_core.ports import Clock, Ports, clock_for
from homeostat_core.settings import Settings

if TYPE_CHECKING:
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.adapters.sqs import SqsJobQueue


class MissingSecret(RuntimeError):
    pass


def webhook_secret(settings: Settings) -> str:
    value = read_secret(settings.webhook_secret_name, "HOMEOSTAT_WEBHOOK_SECRET")
    if not value:
        raise MissingSecret(
            "no webhook secret: set HOMEOSTAT_WEBHOOK_SECRET_NAME (Lambda) or HOMEOSTAT_WEBHOOK_SECRET"
        )
    return value


def llm_key_provider(settings: Settings):
    def provide(key_name: str) -> str | None:
        return read_secret(
            settings.llm_keys_secret, key_name, field=key_name if settings.llm_keys_secret else None
        )

    return provide


def job_queue(settings: Settings) -> SqsJobQueue:
    # lazy: each function loads only the adapters it builds
    from homeostat_core.adapters.sqs import SqsJobQueue

    if not settings.queue_url:
        raise RuntimeError("HOMEOSTAT_QUEUE_URL is not set")
    return SqsJobQueue(
        settings.queue_url, region=settings.region, endpoint_url=settings.endpoint_url, session=aws_session()
    )


def waker(settings: Settings, clock=None, *, queue_delays: bool = True):
    """The webhook's and the waker's wakes (docs/WAKES.md); None when no wake queue is configured.
    `queue_delays=False` (local mode): wake messages are sent undelayed; the local clock says
    when they are due."""
    if not settings.wake_queue_url:
        return None
    # lazy: each function loads only the adapters it builds
    from homeostat_core.adapters.dynamo_wakes import DynamoWakeStore
    from homeostat_core.adapters.sqs import SqsJobQueue, SqsWakeSender
    from homeostat_core.repos_file import configured_repo
    from homeostat_core.wakes import Waker

    clock = clock or clock_for(settings.clock_offset_hours)
    wake_queue = SqsJobQueue(
        settings.wake_queue_url,
        region=settings.region,
        endpoint_url=settings.endpoint_url,
        session=aws_session(),
    )
    store = DynamoWakeStore(
        settings.runs_table, session=aws_session(), region=settings.region, endpoint_url=settings.endpoint_url
    )
    sender = SqsWakeSender(wake_queue, clock, max_delay_s=None if queue_delays else 0)
    return Waker(store=store, sender=sender, clock=clock, configured=configured_repo)


@lru_cache(maxsize=4)
def build_forge(settings: Settings, clock: Clock):
    """One forge per container: warm invocations keep its ETag cache, so idle repos cost a 304.
    The local forge records its times on `clock` (GitHub keeps its own)."""
    if settings.forge == "local":
        from homeostat_core.adapters.local_forge import LocalForge  # lazy: local mode only

        if not settings.local_forge_dir:
            raise RuntimeError("HOMEOSTAT_FORGE=local needs HOMEOSTAT_LOCAL_FORGE_DIR")
        return LocalForge(Path(settings.local_forge_dir), clock=clock)
    # lazy: each function loads only the adapters it builds
    from homeostat_core.adapters.github_auth import ForgeRouter

    # One forge per credential (App installation or token), chosen per repository; the secrets are
    # re-read every few minutes (max_age), so a rotation needs no redeploy.
    return ForgeRouter(
        base_url=settings.github_api_url,
        read_token=lambda: read_secret(settings.github_token_secret, "GITHUB_TOKEN"),
        read_app=lambda: read_secret(settings.github_app_secret, "GITHUB_APP"),
        token_source=f"secret {settings.github_token_secret}"
        if settings.github_token_secret
        else "$GITHUB_TOKEN",
        app_source=f"secret {settings.github_app_secret}" if settings.github_app_secret else "$GITHUB_APP",
    )


def continuations(settings: Settings):
    """EventBridge Scheduler continuations when infra configured them (Lambda); None locally."""
    if not (settings.continuation_group and settings.queue_arn and settings.continuation_role_arn):
        return None
    from homeostat_core.adapters.continuations import SchedulerContinuations  # lazy: the worker only

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
        self._time_left = lambda: float("inf")

    def set_time_budget(self, time_left) -> None:
        """Seconds the current invocation has left (OpenAIChatModel.set_time_budget)."""
        self._time_left = time_left
        if self._model is not None:
            self._model.set_time_budget(time_left)

    def complete(self, **request):
        if self._model is None:
            # lazy: openai loads with the first model call
            from homeostat_core.adapters.openai_llm import OpenAIChatModel

            self._model = OpenAIChatModel(key_provider=self._key_provider)
            self._model.set_time_budget(self._time_left)
        return self._model.complete(**request)


def build_ports(settings: Settings) -> Ports:
    from homeostat_core.adapters.tracing import Traced  # lazy: X-Ray loads with the worker's ports only

    state = state_for(settings)
    clock = clock_for(settings.clock_offset_hours)
    forge = Traced(build_forge(settings, clock), "forge")
    return Ports(
        forge=forge,
        llm=Traced(LazyChatModel(llm_key_provider(settings)), "model"),
        attempts=state.attempts,
        patterns=state.patterns,
        budgets=state.budgets,
        runs=state.runs,
        clock=clock,
        source_maps=source_maps_for(settings),
    )


def source_maps_for(settings: Settings):
    """Source maps uploaded per extension version (the S3 bucket the extension's release CI fills,
    docs/SOURCEMAPS.md); the run tries maps committed in the repository after them."""

    def maps(repo, version):
        if not (settings.sourcemaps_bucket and version):
            return None
        # lazy: S3 client only when a bucket is configured
        from homeostat_core.adapters.source_maps import S3SourceMaps

        return S3SourceMaps(
            settings.sourcemaps_bucket,
            repo.slug,
            version,
            region=settings.region,
            endpoint_url=settings.endpoint_url,
        )

    return maps


@lru_cache(maxsize=4)
def state_for(settings: Settings) -> DynamoState:
    from homeostat_core.adapters.dynamo import DynamoState  # lazy: PynamoDB loads only where state is used

    return DynamoState.from_settings(settings)
