"""Store the fix of a merged Homeostat PR as a pattern (production only).

One active pattern per fingerprint, under the deterministic id `pat-<fingerprint id>`: a later
merged fix for the same fingerprint replaces the edits, keeps the learned success rate and use
count, and counts as a second merge (`merges`, which ends probation: patterns.matcher). A retired pattern stays retired (kept for audit); its fingerprint is not re-learned.
Outside production the decision is logged and nothing is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from difflib import SequenceMatcher

from homeostat_core.models import FileEdit, Pattern
from homeostat_core.observability import logger
from homeostat_core.ports import PatternStore

PATTERN_ID_PREFIX = "pat-"
# Fixes that add less code than this are too small to be worth replaying as a pattern.
MIN_ADDED_CHARS = 10


def pattern_id_for(fingerprint_id: str) -> str:
    return f"{PATTERN_ID_PREFIX}{fingerprint_id}"


def added_code_chars(edits: Sequence[FileEdit]) -> int:
    """Non-whitespace characters the edits insert or substitute (a character diff of each
    search against its replace), so moved or kept code does not count."""
    total = 0
    for edit in edits:
        matcher = SequenceMatcher(None, edit.search, edit.replace, autojunk=False)
        for op, _i1, _i2, j1, j2 in matcher.get_opcodes():
            if op in ("insert", "replace"):
                total += sum(1 for ch in edit.replace[j1:j2] if not ch.isspace())
    return total


def extract_pattern(
    store: PatternStore,
    *,
    env: str,
    merged: bool,
    fingerprint_id: str,
    error_type: str,
    file_path: str,
    edits: tuple[FileEdit, ...],
    diff: str,
    repo: str,
    now: datetime,
) -> Pattern | None:
    """The pattern stored for this merged fix, or None when nothing was (or, outside production,
    would be) written."""
    context = {"fingerprint_id": fingerprint_id, "repo": repo, "env": env}
    if not merged:
        logger.info("pattern not extracted: PR not merged", extra=context)
        return None
    added = added_code_chars(edits)
    if not edits or added < MIN_ADDED_CHARS:
        logger.info(
            "pattern not extracted: fix too small",
            extra={**context, "added_chars": added, "min_added_chars": MIN_ADDED_CHARS},
        )
        return None

    existing = store.active_for_fingerprint(fingerprint_id) or store.get(pattern_id_for(fingerprint_id))
    if existing is not None and existing.status == "retired":
        logger.info(
            "pattern not extracted: retired pattern kept",
            extra={**context, "pattern_id": existing.pattern_id},
        )
        return None
    if existing is not None:
        pattern = dataclasses.replace(
            existing,
            error_type=error_type,
            file_path=file_path,
            edits=tuple(edits),
            diff=diff,
            repo=repo,
            merges=existing.merges + 1,  # a second merged fix ends probation (patterns.matcher)
        )
        action = "replaced"
    else:
        pattern = Pattern(
            pattern_id=pattern_id_for(fingerprint_id),
            fingerprint_id=fingerprint_id,
            error_type=error_type,
            file_path=file_path,
            edits=tuple(edits),
            diff=diff,
            success_rate=1.0,
            use_count=0,
            created_at=now,
            status="active",
            repo=repo,
            merges=1,  # on probation: a hint for the model until verified or merged again
        )
        action = "created"

    details = {**context, "pattern_id": pattern.pattern_id, "action": action, "added_chars": added}
    if env != "production":
        logger.info("learning disabled outside production: pattern not stored", extra=details)
        return None
    store.put(pattern)
    logger.info("pattern stored", extra=details)
    return pattern
