"""The pattern library: match known fixes, extract new ones from merged PRs, learn from outcomes."""

from homeostat_core.patterns.extractor import (
    MIN_ADDED_CHARS,
    added_code_chars,
    extract_pattern,
    pattern_id_for,
)
from homeostat_core.patterns.learner import ALPHA, RETIRE_BELOW, RETIRE_MIN_USES, record_outcome
from homeostat_core.patterns.library_json import ImportProblem, ImportResult, export_library, import_library
from homeostat_core.patterns.matcher import (
    AUTO_APPLY_THRESHOLD,
    FUZZY_FACTOR,
    MIN_SUCCESS_RATE,
    match_pattern,
    should_auto_apply,
)

__all__ = [
    "ALPHA",
    "AUTO_APPLY_THRESHOLD",
    "FUZZY_FACTOR",
    "ImportProblem",
    "ImportResult",
    "MIN_ADDED_CHARS",
    "MIN_SUCCESS_RATE",
    "RETIRE_BELOW",
    "RETIRE_MIN_USES",
    "added_code_chars",
    "export_library",
    "extract_pattern",
    "import_library",
    "match_pattern",
    "pattern_id_for",
    "record_outcome",
    "should_auto_apply",
]
