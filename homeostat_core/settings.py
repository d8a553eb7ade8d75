"""Environment variables, parsed once into a typed, immutable object.

Every variable Homeostat reads is named here, with its default. Infra (infra/) sets the same
names on the Lambda functions; local mode sets them for the in-process moto server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

ENVIRONMENTS = ("dev", "test", "production")
DEFAULT_IDEMPOTENCY_EXPIRY_S = 24 * 3600
DEFAULT_SOURCEMAP_MAX_MB = 20
# The ceiling of HOMEOSTAT_SOURCEMAP_MAX_MB: what `homeostat sourcemaps upload` accepts.
SOURCEMAP_MAX_MB_CEILING = 50
DEFAULT_SOURCEMAP_CACHE_MB = 200


class SettingsError(Exception):
    """An environment variable with a value Homeostat cannot run with."""


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "dev"
    region: str = "us-east-1"
    endpoint_url: str | None = None
    attempts_table: str = "homeostat-attempts"
    patterns_table: str = "homeostat-patterns"
    runs_table: str = "homeostat-runs"
    idempotency_table: str = "homeostat-idempotency"
    queue_url: str | None = None
    # the standard queue of delayed wakes (docs/WAKES.md); unset: `issues` webhooks wake nothing
    wake_queue_url: str | None = None
    # the webhook role's unique id (AROA…): the worker refuses repo runs that role sent
    webhook_sender_id: str | None = None
    repos_file: str | None = None
    # forge: "github" in Lambda, "local" for the embedded default
    forge: str = "github"
    local_forge_dir: str | None = None
    # local mode: how far the local world's clock is ahead of real time (ports.clock_for)
    # (not compared: the tables and their cached models stay the same when the clock moves)
    clock_offset_hours: float = field(default=0.0, compare=False)
    github_api_url: str = "https://api.github.com"
    # secret names (Secrets Manager) in Lambda; plain env values locally
    github_token_secret: str | None = None
    # the GitHub App's secret (JSON: app_id, private_key), for repos with an installation_id
    github_app_secret: str | None = None
    webhook_secret_name: str | None = None
    llm_keys_secret: str | None = None
    llm_base_url: str | None = None
    # seconds the worker keeps free before its Lambda timeout
    safety_margin_s: int = 60
    # the S3 bucket of uploaded source maps (docs/SOURCEMAPS.md); None: committed maps only
    sourcemaps_bucket: str | None = None
    # how long the worker remembers a handled queue message (must outlive its redeliveries)
    idempotency_expiry_s: int = DEFAULT_IDEMPOTENCY_EXPIRY_S
    # continuations (EventBridge Scheduler one-time schedules → the work queue); unset: none
    queue_arn: str | None = None
    continuation_group: str | None = None
    continuation_role_arn: str | None = None
    # source maps over this size are skipped with a reason (parsing one costs ~10x its size)
    sourcemap_max_mb: int = DEFAULT_SOURCEMAP_MAX_MB
    # the warm container's disk cache of source maps under the temp folder; 0: none
    sourcemap_cache_mb: int = DEFAULT_SOURCEMAP_CACHE_MB

    @property
    def learning_enabled(self) -> bool:
        return self.env == "production"


def parse_settings(environ: Mapping[str, str]) -> Settings:
    env = environ.get("HOMEOSTAT_ENV", "dev").strip() or "dev"
    if env not in ENVIRONMENTS:
        raise SettingsError(
            f"HOMEOSTAT_ENV={env!r} is not allowed; use one of: {', '.join(ENVIRONMENTS)} (default dev)"
        )
    forge = environ.get("HOMEOSTAT_FORGE", "github")
    if forge not in ("github", "local"):
        raise SettingsError(f"HOMEOSTAT_FORGE={forge!r} is not allowed; use github or local")
    margin = environ.get("HOMEOSTAT_SAFETY_MARGIN_S", "60")
    if not margin.isdigit():
        raise SettingsError(f"HOMEOSTAT_SAFETY_MARGIN_S={margin!r} must be a whole number of seconds")
    expiry = environ.get("HOMEOSTAT_IDEMPOTENCY_EXPIRY_S", str(DEFAULT_IDEMPOTENCY_EXPIRY_S))
    if not expiry.isdigit() or int(expiry) == 0:
        raise SettingsError(
            f"HOMEOSTAT_IDEMPOTENCY_EXPIRY_S={expiry!r} must be a positive whole number of seconds"
        )
    max_map_mb = environ.get("HOMEOSTAT_SOURCEMAP_MAX_MB", str(DEFAULT_SOURCEMAP_MAX_MB))
    if not max_map_mb.isdigit() or not 1 <= int(max_map_mb) <= SOURCEMAP_MAX_MB_CEILING:
        raise SettingsError(
            f"HOMEOSTAT_SOURCEMAP_MAX_MB={max_map_mb!r} must be a whole number of MB from 1 to "
            f"{SOURCEMAP_MAX_MB_CEILING} (default {DEFAULT_SOURCEMAP_MAX_MB})"
        )
    cache_mb = environ.get("HOMEOSTAT_SOURCEMAP_CACHE_MB", str(DEFAULT_SOURCEMAP_CACHE_MB))
    if not cache_mb.isdigit():
        raise SettingsError(
            f"HOMEOSTAT_SOURCEMAP_CACHE_MB={cache_mb!r} must be a whole number of MB (0: no disk cache; "
            f"default {DEFAULT_SOURCEMAP_CACHE_MB})"
        )
    defaults = Settings()
    return Settings(
        env=env,
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or defaults.region,
        endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
        attempts_table=environ.get("HOMEOSTAT_ATTEMPTS_TABLE", defaults.attempts_table),
        patterns_table=environ.get("HOMEOSTAT_PATTERNS_TABLE", defaults.patterns_table),
        runs_table=environ.get("HOMEOSTAT_RUNS_TABLE", defaults.runs_table),
        idempotency_table=environ.get("HOMEOSTAT_IDEMPOTENCY_TABLE", defaults.idempotency_table),
        queue_url=environ.get("HOMEOSTAT_QUEUE_URL") or None,
        wake_queue_url=environ.get("HOMEOSTAT_WAKE_QUEUE_URL") or None,
        webhook_sender_id=environ.get("HOMEOSTAT_WEBHOOK_SENDER_ID") or None,
        repos_file=environ.get("HOMEOSTAT_REPOS_FILE") or None,
        forge=forge,
        local_forge_dir=environ.get("HOMEOSTAT_LOCAL_FORGE_DIR") or None,
        clock_offset_hours=float(environ.get("HOMEOSTAT_CLOCK_OFFSET_HOURS") or 0.0),
        github_api_url=environ.get("HOMEOSTAT_GITHUB_API_URL", defaults.github_api_url),
        github_token_secret=environ.get("HOMEOSTAT_GITHUB_TOKEN_SECRET") or None,
        github_app_secret=environ.get("HOMEOSTAT_GITHUB_APP_SECRET") or None,
        webhook_secret_name=environ.get("HOMEOSTAT_WEBHOOK_SECRET_NAME") or None,
        llm_keys_secret=environ.get("HOMEOSTAT_LLM_KEYS_SECRET") or None,
        llm_base_url=environ.get("HOMEOSTAT_LLM_BASE_URL") or None,
        safety_margin_s=int(margin),
        sourcemaps_bucket=environ.get("HOMEOSTAT_SOURCEMAPS_BUCKET") or None,
        idempotency_expiry_s=int(expiry),
        queue_arn=environ.get("HOMEOSTAT_QUEUE_ARN") or None,
        continuation_group=environ.get("HOMEOSTAT_CONTINUATION_GROUP") or None,
        continuation_role_arn=environ.get("HOMEOSTAT_CONTINUATION_ROLE_ARN") or None,
        sourcemap_max_mb=int(max_map_mb),
        sourcemap_cache_mb=int(cache_mb),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from os.environ, read once per process (tests call `get_settings.cache_clear()`)."""
    return parse_settings(os.environ)
