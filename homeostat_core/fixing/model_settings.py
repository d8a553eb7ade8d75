"""Which models the fix engine calls, where, with which key, at what price, within which limits.

Everything here has a documented default (docs/TIERS.md); `.homeostat/models.yml` may override any
of it, and `HOMEOSTAT_LLM_BASE_URL`, when set, points every provider at one OpenAI-compatible
endpoint (local mode points it at the scripted model server).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from homeostat_core.config import ConfigError, read_yaml_file

BASE_URL_ENV = "HOMEOSTAT_LLM_BASE_URL"
MODELS_FILE_ENV = "HOMEOSTAT_MODELS_FILE"


class ModelSettingsError(Exception):
    """A models file that cannot be used; `problems` lists every `file: key: reason`."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million tokens."""

    input: float
    cached_input: float
    output: float


@dataclass(frozen=True, slots=True)
class ModelSpec:
    model: str
    base_url: str
    api_key_env: str
    price: Price
    max_output_tokens: int
    # OpenAI's newer models take `max_completion_tokens`; DeepSeek takes `max_tokens`.
    max_tokens_field: str = "max_tokens"


# Prices as published by the providers (DeepSeek V3.2 deepseek-chat, OpenAI GPT-5), late 2025.
DEFAULT_CHEAP = ModelSpec(
    model="deepseek-chat",
    base_url="https://api.deepseek.com",
    api_key_env="DEEPSEEK_API_KEY",
    price=Price(input=0.28, cached_input=0.028, output=0.42),
    max_output_tokens=4096,
)
DEFAULT_STRONG = ModelSpec(
    model="gpt-5",
    base_url="https://api.openai.com/v1",
    api_key_env="OPENAI_API_KEY",
    price=Price(input=1.25, cached_input=0.125, output=10.0),
    # reasoning tokens count as output, so the strong model gets more room
    max_output_tokens=8000,
    max_tokens_field="max_completion_tokens",
)


@dataclass(frozen=True, slots=True)
class ModelSettings:
    cheap: ModelSpec = DEFAULT_CHEAP
    strong: ModelSpec = DEFAULT_STRONG
    # per-call prompt cap, estimated as ceil(chars / 4) (see prompts.estimate_tokens)
    max_prompt_tokens: int = 6000
    tries_per_tier: int = 2
    # complexity score → starting tier (docs/TIERS.md)
    tier1_max_score: int = 1
    tier2_max_score: int = 5
    # source windows: the enclosing function when it has at most this many lines, else ±context
    max_function_lines: int = 60
    context_lines: int = 15
    # the chars/4 estimate can undercount code; the cost bound multiplies prompt tokens by this
    prompt_token_safety_factor: float = 1.5

    def max_tokens_fields(self) -> dict[str, str]:
        """model name → the request field that caps output tokens (for OpenAIChatModel)."""
        return {
            self.cheap.model: self.cheap.max_tokens_field,
            self.strong.model: self.strong.max_tokens_field,
        }

    def with_base_url(self, base_url: str) -> ModelSettings:
        return replace(
            self, cheap=replace(self.cheap, base_url=base_url), strong=replace(self.strong, base_url=base_url)
        )


_SPEC_KEYS = {"model", "base_url", "api_key_env", "price", "max_output_tokens", "max_tokens_field"}
_PRICE_KEYS = {"input", "cached_input", "output"}
_INT_LIMITS = (
    "max_prompt_tokens",
    "tries_per_tier",
    "tier1_max_score",
    "tier2_max_score",
    "max_function_lines",
    "context_lines",
)
_TOP_KEYS = {"version", "cheap", "strong", "prompt_token_safety_factor", *_INT_LIMITS}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _spec(raw: Any, base: ModelSpec, key: str, add) -> ModelSpec:
    if not isinstance(raw, dict):
        add(key, f"must be a mapping, got {type(raw).__name__}")
        return base
    for unknown in sorted(set(raw) - _SPEC_KEYS):
        add(f"{key}.{unknown}", "unknown key")
    changes: dict[str, Any] = {}
    for name in ("model", "base_url", "api_key_env", "max_tokens_field"):
        if name in raw:
            if isinstance(raw[name], str) and raw[name].strip():
                changes[name] = raw[name].strip()
            else:
                add(f"{key}.{name}", "must be a non-empty string")
    if "max_tokens_field" in changes and changes["max_tokens_field"] not in (
        "max_tokens",
        "max_completion_tokens",
    ):
        add(f"{key}.max_tokens_field", "must be max_tokens or max_completion_tokens")
    if "max_output_tokens" in raw:
        value = raw["max_output_tokens"]
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            changes["max_output_tokens"] = value
        else:
            add(f"{key}.max_output_tokens", f"must be a positive integer, got {value!r}")
    if "price" in raw:
        price = raw["price"]
        if not isinstance(price, dict):
            add(f"{key}.price", f"must be a mapping, got {type(price).__name__}")
        else:
            for unknown in sorted(set(price) - _PRICE_KEYS):
                add(f"{key}.price.{unknown}", "unknown key")
            values = {}
            for name in sorted(_PRICE_KEYS):
                value = price.get(name, getattr(base.price, name))
                if not _is_number(value) or value < 0:
                    add(
                        f"{key}.price.{name}",
                        f"must be a number >= 0 (USD per million tokens), got {value!r}",
                    )
                else:
                    values[name] = float(value)
            if len(values) == len(_PRICE_KEYS):
                changes["price"] = Price(**values)
    return replace(base, **changes)


def parse_model_settings(data: Any, source: str = "<models>") -> ModelSettings:
    """Validate an already-loaded models document over the defaults; lists every problem at once."""
    problems: list[str] = []

    def add(key: str, reason: str) -> None:
        problems.append(f"{source}: {key}: {reason}")

    if data is None:
        return ModelSettings()
    if not isinstance(data, dict):
        add("(root)", f"must be a mapping, got {type(data).__name__}")
        raise ModelSettingsError(problems)
    for unknown in sorted(set(data) - _TOP_KEYS):
        add(unknown, "unknown key")
    if "version" in data and data["version"] != 1:
        add("version", f"unsupported version {data['version']!r}; supported: 1")
    defaults = ModelSettings()
    changes: dict[str, Any] = {}
    for role in ("cheap", "strong"):
        if role in data:
            changes[role] = _spec(data[role], getattr(defaults, role), role, add)
    for name in _INT_LIMITS:
        if name in data:
            value = data[name]
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                changes[name] = value
            else:
                add(name, f"must be a positive integer, got {value!r}")
    if "prompt_token_safety_factor" in data:
        value = data["prompt_token_safety_factor"]
        if _is_number(value) and value >= 1:
            changes["prompt_token_safety_factor"] = float(value)
        else:
            add("prompt_token_safety_factor", f"must be a number >= 1, got {value!r}")
    settings = replace(defaults, **changes)
    if settings.tier1_max_score > settings.tier2_max_score:
        add("tier1_max_score", "must not be greater than tier2_max_score")
    if problems:
        raise ModelSettingsError(problems)
    return settings


def default_models_path() -> Path:
    """`.homeostat/models.yml` next to the bundled repos.yml."""
    return Path(__file__).resolve().parents[2] / ".homeostat" / "models.yml"


def load_model_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> ModelSettings:
    """Defaults, overridden by the models file (explicit `path`, else `HOMEOSTAT_MODELS_FILE`,
    else `.homeostat/models.yml` when it exists), then by `HOMEOSTAT_LLM_BASE_URL`."""
    environ = os.environ if environ is None else environ
    explicit = path if path is not None else environ.get(MODELS_FILE_ENV) or None
    file = Path(explicit) if explicit else default_models_path()
    settings = ModelSettings()
    if explicit or file.exists():
        source = str(file)
        try:
            data = read_yaml_file(file)
        except ConfigError as exc:
            raise ModelSettingsError(exc.problems) from None
        settings = parse_model_settings(data, source)
    base_url = (environ.get(BASE_URL_ENV) or "").strip()
    return settings.with_base_url(base_url) if base_url else settings


__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_CHEAP",
    "DEFAULT_STRONG",
    "MODELS_FILE_ENV",
    "ModelSettings",
    "ModelSettingsError",
    "ModelSpec",
    "Price",
    "load_model_settings",
    "parse_model_settings",
]
