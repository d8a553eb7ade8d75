"""How large a source map and how far a position may be before Homeostat stops trusting them.

Stack positions come from issue text anyone can file, and maps from a bucket or a repository: a
number past these bounds is not from a real bundle. The frame (or map) is then left unused with
a reason, never passed on to symbolic, whose lookups take 32-bit unsigned numbers and raise
OverflowError beyond them.
"""

from __future__ import annotations

from homeostat_core.intake.stack import MAX_COLUMN, MAX_LINE
from homeostat_core.settings import get_settings

MB = 1024 * 1024
# MAX_LINE and MAX_COLUMN are intake's bounds (a stack position beyond them is dropped when the
# trace is parsed); both stay far below symbolic's 2**32.
# Reading a bundle's scopes (symbolic's SourceMapCache parses the JavaScript) peaks at about 55
# times the bundle's size (bench/sourcemap_memory.py: +250 MB for a 3.8 MB bundle); the worker has
# 1,024 MB. A larger bundle still checks positions, and names come from call sites instead.
MAX_SCOPES_BUNDLE_BYTES = 4 * MB


def position_in_bounds(line: object, column: object) -> bool:
    """A 1-based stack position Homeostat may look up: whole numbers from 1 to the bounds above
    (the column may be missing)."""
    return _counted(line, MAX_LINE) and (column is None or _counted(column, MAX_COLUMN))


def _counted(value: object, bound: int) -> bool:
    return type(value) is int and 1 <= value <= bound


def max_map_bytes() -> int:
    """The largest map symbolication reads: HOMEOSTAT_SOURCEMAP_MAX_MB (default 20)."""
    return get_settings().sourcemap_max_mb * MB


def too_large(limit: int) -> str:
    """The reason a map over `limit` bytes is skipped (in the stats and the run record)."""
    return f"larger than {limit / MB:g} MB (HOMEOSTAT_SOURCEMAP_MAX_MB)"
