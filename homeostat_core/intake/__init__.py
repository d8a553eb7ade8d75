"""Intake: logger issues → ErrorReport, stack traces → StackFrames."""

from homeostat_core.intake.errors import UNPARSEABLE_CODES, UnparseableIssue
from homeostat_core.intake.issue import MAX_BODY_BYTES, detect_source, parse_issue
from homeostat_core.intake.paths import is_extension_url, location_is_in_app, normalize_path
from homeostat_core.intake.stack import MAX_FRAMES, make_frame, parse_stack, split_location

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_FRAMES",
    "UNPARSEABLE_CODES",
    "UnparseableIssue",
    "detect_source",
    "is_extension_url",
    "location_is_in_app",
    "make_frame",
    "normalize_path",
    "parse_issue",
    "parse_stack",
    "split_location",
]
