"""Which tier a fix starts at, and the order of tries after that (docs/TIERS.md).

Tier 1: the cheap model alone. Tier 2: the cheap model writes, the strong model reviews and may
correct. Tier 3: the strong model alone. Files matching the repo's sensitive globs never reach the
cheap model: such errors start at tier 3.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from homeostat_core.config import RepoConfig
from homeostat_core.fixing.model_settings import ModelSettings
from homeostat_core.models import ErrorReport, StackFrame

TIERS = (1, 2, 3)
STRONG_ONLY_TIER = 3

# Error types whose cause is usually visible in the failing line.
LOCAL_ERROR_TYPES = frozenset({"TypeError", "ReferenceError", "RangeError", "SyntaxError", "URIError"})
# Error types that depend on timing, the network or the browser: usually need broader reasoning.
ENVIRONMENT_ERROR_TYPES = frozenset(
    {
        "UnhandledRejection",
        "UnhandledPromiseRejection",
        "AbortError",
        "NetworkError",
        "TimeoutError",
        "QuotaExceededError",
        "SecurityError",
        "InvalidStateError",
        "DOMException",
        "NotAllowedError",
    }
)
FRAMES_FREE = 3  # in-app frames beyond this add one point each
FRAME_POINTS_CAP = 4
DEEP_STACK = 15  # total frames beyond this add one point
BUSY_BREADCRUMBS = 10  # more breadcrumbs than this add one point


@dataclass(frozen=True, slots=True)
class Complexity:
    """The inputs of the score and the score itself (logged with every attempt)."""

    in_app_frames: int
    distinct_files: int
    stack_depth: int
    error_type: str
    breadcrumbs: int
    score: int


@dataclass(frozen=True, slots=True)
class RoutePlan:
    start_tier: int
    complexity: Complexity
    sensitive: bool
    sensitive_paths: tuple[str, ...] = ()

    @property
    def tiers(self) -> tuple[int, ...]:
        return tuple(t for t in TIERS if t >= self.start_tier)


def located_frames(error: ErrorReport) -> list[StackFrame]:
    """In-app frames that point at a repository file and line."""
    return [f for f in error.frames if f.in_app and f.path and f.line]


def _type_points(error_type: str) -> int:
    name = error_type.strip()
    if name in LOCAL_ERROR_TYPES:
        return 0
    if name in ENVIRONMENT_ERROR_TYPES:
        return 2
    return 1


def score_complexity(error: ErrorReport) -> Complexity:
    frames = located_frames(error)
    files = len({f.path for f in frames})
    points = 2 * max(0, files - 1)
    points += min(FRAME_POINTS_CAP, max(0, len(frames) - FRAMES_FREE))
    points += 1 if len(error.frames) > DEEP_STACK else 0
    points += _type_points(error.error_type)
    points += 1 if len(error.breadcrumbs) > BUSY_BREADCRUMBS else 0
    if not frames:
        # no located frame: the model sees no code, only the strong model has a chance
        points += 10
    return Complexity(
        in_app_frames=len(frames),
        distinct_files=files,
        stack_depth=len(error.frames),
        error_type=error.error_type,
        breadcrumbs=len(error.breadcrumbs),
        score=points,
    )


def tier_for_score(score: int, settings: ModelSettings) -> int:
    if score <= settings.tier1_max_score:
        return 1
    if score <= settings.tier2_max_score:
        return 2
    return 3


def sensitive_among(paths: Iterable[str | None], repo_config: RepoConfig) -> tuple[str, ...]:
    return tuple(sorted({p for p in paths if p and repo_config.is_sensitive(p)}))


def involved_paths(error: ErrorReport, extra: Iterable[str] = ()) -> list[str]:
    """Every in-app frame path (located or not) plus `extra` (e.g. a pattern hint's files)."""
    return [f.path for f in error.frames if f.in_app and f.path] + list(extra)


def plan_route(
    error: ErrorReport, repo_config: RepoConfig, settings: ModelSettings, extra_paths: Iterable[str] = ()
) -> RoutePlan:
    complexity = score_complexity(error)
    sensitive = sensitive_among(involved_paths(error, extra_paths), repo_config)
    start = STRONG_ONLY_TIER if sensitive else tier_for_score(complexity.score, settings)
    return RoutePlan(
        start_tier=start, complexity=complexity, sensitive=bool(sensitive), sensitive_paths=sensitive
    )


def uses_cheap_model(tier: int) -> bool:
    return tier in (1, 2)


__all__ = [
    "Complexity",
    "RoutePlan",
    "STRONG_ONLY_TIER",
    "TIERS",
    "involved_paths",
    "located_frames",
    "plan_route",
    "score_complexity",
    "sensitive_among",
    "tier_for_score",
    "uses_cheap_model",
]
