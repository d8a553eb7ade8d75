"""Update a pattern's success rate from the outcome of a PR it produced (production only).

successRate moves by an exponential moving average with ALPHA = 0.1 towards 1 (merged and tests
passed) or 0 (anything else); useCount counts outcomes. A pattern whose rate falls below
RETIRE_BELOW after at least RETIRE_MIN_USES outcomes is retired: kept in the table for audit,
never matched again.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from homeostat_core.models import Pattern
from homeostat_core.observability import logger
from homeostat_core.ports import PatternStore

ALPHA = 0.1
RETIRE_BELOW = 0.5
RETIRE_MIN_USES = 10


def updated_rate(rate: float, success: bool) -> float:
    """One EMA step, kept inside [0, 1] against float drift."""
    new = rate + ALPHA * ((1.0 if success else 0.0) - rate)
    return min(1.0, max(0.0, round(new, 6)))


def should_retire(success_rate: float, use_count: int) -> bool:
    return success_rate < RETIRE_BELOW and use_count >= RETIRE_MIN_USES


def record_outcome(
    store: PatternStore,
    pattern_id: str,
    *,
    env: str,
    merged: bool,
    tests_passed: bool,
    now: datetime,
) -> Pattern | None:
    """The updated pattern, or None when there is none or learning is off (dev/test)."""
    success = merged and tests_passed
    context = {"pattern_id": pattern_id, "env": env, "success": success}
    pattern = store.get(pattern_id)
    if pattern is None:
        logger.warning("outcome for unknown pattern ignored", extra=context)
        return None
    new_rate = updated_rate(pattern.success_rate, success)
    use_count = pattern.use_count + 1
    status = "retired" if pattern.status == "retired" or should_retire(new_rate, use_count) else "active"
    details = {
        **context,
        "old_success_rate": pattern.success_rate,
        "new_success_rate": new_rate,
        "use_count": use_count,
        "status": status,
    }
    if env != "production":
        logger.info("learning disabled outside production: outcome not recorded", extra=details)
        return None
    updated = dataclasses.replace(
        pattern, success_rate=new_rate, use_count=use_count, last_used_at=now, status=status
    )
    store.put(updated)
    if status == "retired" and pattern.status != "retired":
        logger.info("pattern retired", extra=details)
    else:
        logger.info("pattern outcome recorded", extra=details)
    return updated


def record_production(
    store: PatternStore, pattern_id: str, *, env: str, held: bool, now: datetime
) -> Pattern | None:
    """A fix from (or learned into) this pattern held in production (verified) or regressed: a
    verified pattern leaves probation, a regressed one goes back on it (production only)."""
    pattern = store.get(pattern_id)
    if pattern is None:
        return None
    verified_at = (pattern.verified_at or now) if held else None
    context = {"pattern_id": pattern_id, "env": env, "verified": verified_at is not None}
    if env != "production":
        logger.info("learning disabled outside production: verification not recorded", extra=context)
        return None
    if verified_at == pattern.verified_at:
        return pattern
    updated = dataclasses.replace(pattern, verified_at=verified_at)
    store.put(updated)
    logger.info("pattern verified in production" if held else "pattern back on probation", extra=context)
    return updated
