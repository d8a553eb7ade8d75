"""The fix engine: tiers and routing, prompts, scrubbing, edits and their validation.

The public entry points are re-exported here; see docs/FIX-ENGINE.md and docs/TIERS.md.
"""

from homeostat_core.fixing.edits import EditFormatError, ModelReply, parse_model_reply, render_reply
from homeostat_core.fixing.engine import apply_pattern, attempt_fix, cost_of, max_attempt_cost_usd
from homeostat_core.fixing.model_settings import (
    ModelSettings,
    ModelSettingsError,
    ModelSpec,
    Price,
    load_model_settings,
    parse_model_settings,
)
from homeostat_core.fixing.scrub import ScrubbingFilter, install_scrubbing, scrub, scrubbing_log_filter
from homeostat_core.fixing.tiers import Complexity, RoutePlan, plan_route, score_complexity, tier_for_score
from homeostat_core.fixing.validation import REASON_CODES, Rejection, ValidatedChange, validate_edits

__all__ = [
    "REASON_CODES",
    "Complexity",
    "EditFormatError",
    "ModelReply",
    "ModelSettings",
    "ModelSettingsError",
    "ModelSpec",
    "Price",
    "Rejection",
    "RoutePlan",
    "ScrubbingFilter",
    "ValidatedChange",
    "apply_pattern",
    "attempt_fix",
    "cost_of",
    "install_scrubbing",
    "load_model_settings",
    "max_attempt_cost_usd",
    "parse_model_reply",
    "parse_model_settings",
    "plan_route",
    "render_reply",
    "score_complexity",
    "scrub",
    "scrubbing_log_filter",
    "tier_for_score",
    "validate_edits",
]
