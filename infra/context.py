"""Deployment settings read from CDK context (`-c env=production`), validated before any construct.

Synth is offline and account-agnostic: nothing here calls AWS. The repository list comes from the
bundled `.homeostat/repos.yml`, read from disk with the same loader the functions use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeostat_core.config import HomeostatConfig, load_config
from homeostat_core.settings import ENVIRONMENTS

REPO_ROOT = Path(__file__).resolve().parent.parent
REPOS_FILE = REPO_ROOT / ".homeostat" / "repos.yml"

ENV_CONTEXT_KEY = "env"
ALARM_EMAIL_CONTEXT_KEY = "alarmEmail"
# `-c skipBundling=true`: synthesize without running pip (tests, template checks). The CLI refuses
# user context under `aws:`, so this flag sets `aws:cdk:bundling-stacks` = [] on the stack itself.
SKIP_BUNDLING_CONTEXT_KEY = "skipBundling"
DEFAULT_ENV = "dev"
# `-c maxWorkerConcurrency=N`: how many workers run at once (the worker event source's maximum
# concurrency). Lanes beyond N wait. SQS event sources accept 2..1000.
MAX_WORKER_CONCURRENCY_CONTEXT_KEY = "maxWorkerConcurrency"
DEFAULT_MAX_WORKER_CONCURRENCY = 10
WORKER_CONCURRENCY_RANGE = (2, 1000)
# `-c webhookConcurrency=N`: the webhook function's reserved concurrency. Its URL is public (the
# HMAC check is in code), so a flood of requests could otherwise take all of the account's
# concurrency and starve the workers; GitHub's deliveries need a few at once.
WEBHOOK_CONCURRENCY_CONTEXT_KEY = "webhookConcurrency"
DEFAULT_WEBHOOK_CONCURRENCY = 10
WEBHOOK_CONCURRENCY_RANGE = (1, 1000)
# `-c repoMetricsTopN=N`: graph the top N repositories per dashboard figure with Contributor
# Insights rules over the run-record log lines ($0.50 a month per rule, six rules, whatever the
# repo count). 0, the default: no rules; per-repository figures come from Logs Insights widgets.
REPO_METRICS_TOP_N_CONTEXT_KEY = "repoMetricsTopN"
REPO_METRICS_TOP_N_RANGE = (0, 100)  # a Contributor Insights widget shows at most 100

# Powertools adds `service` as an EMF dimension; one service name for all functions keeps the
# dashboard's {Repo, service} metric identities predictable.
SERVICE_NAME = "homeostat"
METRICS_NAMESPACE = "Homeostat"


class DeploymentContextError(ValueError):
    """A CDK context value the stack cannot be synthesized with."""


@dataclass(frozen=True, slots=True)
class DeploymentSettings:
    env: str
    config: HomeostatConfig
    alarm_email: str | None = None
    skip_bundling: bool = False
    max_worker_concurrency: int = DEFAULT_MAX_WORKER_CONCURRENCY
    repo_metrics_top_n: int = 0
    webhook_concurrency: int = DEFAULT_WEBHOOK_CONCURRENCY

    @property
    def repo_slugs(self) -> tuple[str, ...]:
        return tuple(repo.slug for repo in self.config.repositories)

    @property
    def total_daily_budget_usd(self) -> float:
        return round(sum(repo.daily_budget_usd for repo in self.config.repositories), 6)

    @property
    def stack_name(self) -> str:
        return f"homeostat-{self.env}"


def parse_env(value: Any) -> str:
    env = DEFAULT_ENV if value is None else str(value).strip()
    if env not in ENVIRONMENTS:
        raise DeploymentContextError(
            f"CDK context {ENV_CONTEXT_KEY}={value!r} is not allowed; "
            f"use -c {ENV_CONTEXT_KEY}=<{'|'.join(ENVIRONMENTS)}> (default {DEFAULT_ENV})"
        )
    return env


def parse_flag(key: str, value: Any) -> bool:
    if value is None or value is False or value == "false":
        return False
    if value is True or value == "true":
        return True
    raise DeploymentContextError(f"CDK context {key}={value!r} must be true or false")


def parse_whole_number(key: str, value: Any, bounds: tuple[int, int], default: int, why: str) -> int:
    if value is None:
        return default
    low, high = bounds
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or isinstance(value, bool) or not low <= number <= high:
        raise DeploymentContextError(
            f"CDK context {key}={value!r} must be a whole number from {low} to {high} ({why}; default {default})"
        )
    return number


def parse_concurrency(value: Any) -> int:
    return parse_whole_number(
        MAX_WORKER_CONCURRENCY_CONTEXT_KEY,
        value,
        WORKER_CONCURRENCY_RANGE,
        DEFAULT_MAX_WORKER_CONCURRENCY,
        "SQS event source limits",
    )


def parse_top_n(value: Any) -> int:
    return parse_whole_number(
        REPO_METRICS_TOP_N_CONTEXT_KEY,
        value,
        REPO_METRICS_TOP_N_RANGE,
        0,
        "repositories per Contributor Insights graph; 0 = none",
    )


def settings_from_context(
    try_get_context: Callable[[str], Any], repos_file: Path = REPOS_FILE
) -> DeploymentSettings:
    """Settings from `node.try_get_context`; raises DeploymentContextError on a bad value."""
    env = parse_env(try_get_context(ENV_CONTEXT_KEY))
    email = try_get_context(ALARM_EMAIL_CONTEXT_KEY)
    if email is not None and (not isinstance(email, str) or "@" not in email):
        raise DeploymentContextError(
            f"CDK context {ALARM_EMAIL_CONTEXT_KEY}={email!r} must be an email address"
        )
    return DeploymentSettings(
        env=env,
        config=load_config(repos_file),
        alarm_email=email or None,
        skip_bundling=parse_flag(SKIP_BUNDLING_CONTEXT_KEY, try_get_context(SKIP_BUNDLING_CONTEXT_KEY)),
        max_worker_concurrency=parse_concurrency(try_get_context(MAX_WORKER_CONCURRENCY_CONTEXT_KEY)),
        repo_metrics_top_n=parse_top_n(try_get_context(REPO_METRICS_TOP_N_CONTEXT_KEY)),
        webhook_concurrency=parse_whole_number(
            WEBHOOK_CONCURRENCY_CONTEXT_KEY,
            try_get_context(WEBHOOK_CONCURRENCY_CONTEXT_KEY),
            WEBHOOK_CONCURRENCY_RANGE,
            DEFAULT_WEBHOOK_CONCURRENCY,
            "the webhook function's reserved concurrency",
        ),
    )
