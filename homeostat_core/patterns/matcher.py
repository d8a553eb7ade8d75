"""Find a known fix for a fingerprint: exact (same fingerprint id), then fuzzy (same type + file).

Only active patterns with a success rate of at least MIN_SUCCESS_RATE match. An exact match's
confidence is the success rate; a fuzzy match's is the success rate times FUZZY_FACTOR, so it is
at most 0.8 and never passes `should_auto_apply` (confidence > 0.8): a fuzzy match is a hint to
show the model, never a patch applied at $0.

Probation: a pattern learned from one merge is a hint too, until it is verified in production
(its fix released and not reported again from a version with it) or merged a second time; in
another repository it applies at $0 only once verified, and only within share_patterns.
"""

from __future__ import annotations

from homeostat_core.models import ErrorFingerprint, Pattern, PatternMatch
from homeostat_core.ports import PatternStore

MIN_SUCCESS_RATE = 0.8
FUZZY_FACTOR = 0.8
AUTO_APPLY_THRESHOLD = 0.8
PROBATION_MERGES = 2  # merged fixes that end probation without a verification


def on_probation(pattern: Pattern) -> bool:
    """Learned from one merge and not verified in production: shown to the model, never applied."""
    return pattern.verified_at is None and pattern.merges < PROBATION_MERGES


def _learned_here(pattern: Pattern, repo: str) -> bool:
    return not repo or not pattern.repo or pattern.repo.lower() == repo.lower()


def _qualifies(pattern: Pattern) -> bool:
    return pattern.status == "active" and pattern.success_rate >= MIN_SUCCESS_RATE


def _rank(pattern: Pattern) -> tuple[float, int, float, str]:
    """Best first by success rate, then experience, then recency; the id makes ties stable."""
    last_used = pattern.last_used_at.timestamp() if pattern.last_used_at else 0.0
    return (pattern.success_rate, pattern.use_count, last_used, pattern.pattern_id)


def shared_with(pattern: Pattern, repo: str, share: str) -> bool | None:
    """May `pattern` be applied at $0 in `repo`? True: yes; False: only as an example for the model;
    None: not at all. `share` is the repo's share_patterns: owner (default), all or none.
    A pattern with no recorded repository was imported by an operator: it is shared as `all`."""
    if not repo or not pattern.repo or pattern.repo.lower() == repo.lower() or share == "all":
        return True
    if share == "none":
        return None
    return pattern.repo.split("/")[0].lower() == repo.split("/")[0].lower()


def match_pattern(
    store: PatternStore, fingerprint: ErrorFingerprint, *, repo: str = "", share: str = "owner"
) -> PatternMatch | None:
    """The best usable pattern for `fingerprint` in `repo`, or None (also for an empty library).

    A pattern on probation, learned elsewhere and not verified, or learned in a repository it is
    not shared with is offered as an example only: its confidence is capped at the auto-apply
    threshold, which it must exceed.
    """
    exact = store.active_for_fingerprint(fingerprint.id)
    if exact is not None and _qualifies(exact):
        shared = shared_with(exact, repo, share)
        if shared is not None:
            proven = exact.verified_at is not None if not _learned_here(exact, repo) else True
            at_no_cost = shared and proven and not on_probation(exact)
            confidence = exact.success_rate if at_no_cost else min(exact.success_rate, AUTO_APPLY_THRESHOLD)
            return PatternMatch(pattern=exact, confidence=confidence, strategy="exact")
    candidates = [
        p
        for p in store.active_for_type_and_file(fingerprint.error_type, fingerprint.file_path)
        if _qualifies(p)
        and p.error_type == fingerprint.error_type
        and p.file_path == fingerprint.file_path
        and shared_with(p, repo, share) is not None
    ]
    if not candidates:
        return None
    best = max(candidates, key=_rank)
    return PatternMatch(pattern=best, confidence=best.success_rate * FUZZY_FACTOR, strategy="fuzzy")


def should_auto_apply(match: PatternMatch | None) -> bool:
    """Apply a pattern's edits without the model only when confidence > AUTO_APPLY_THRESHOLD."""
    return match is not None and match.confidence > AUTO_APPLY_THRESHOLD


def hint_reason(match: PatternMatch, repo: str) -> str:
    """Why a matched pattern was shown to the model instead of applied at $0, in people's words."""
    pattern = match.pattern
    if match.strategy == "fuzzy":
        return "a fix for a similar error (same type and file)"
    if on_probation(pattern):
        return "on probation: learned from one merged fix, not yet verified in production"
    if not _learned_here(pattern, repo) and pattern.verified_at is None:
        return f"learned in {pattern.repo}, not yet verified in production"
    if pattern.success_rate <= AUTO_APPLY_THRESHOLD:
        return f"success rate {pattern.success_rate:.2f}"
    return "not shared with this repository (share_patterns)"
