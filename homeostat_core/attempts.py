"""UTC timestamps for state rows: one format, so ISO strings sort like the instants they name.

(The attempt rules — claim, backoff 24h·2^n, at most 3 attempts, crash recovery — live in
homeostat_core/lifecycle.py and the pipeline's handlers; every row write is a lifecycle move.)
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "parse_utc_iso", "to_utc_iso", "to_utc_seconds"]

# Fixed width (microseconds, "Z") so ISO strings sort like the instants they name.
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_utc_iso(moment: datetime) -> str:
    """The ISO-8601 UTC form every state timestamp is stored in, e.g. 2025-01-02T03:04:05.000000Z."""
    return as_utc(moment).strftime(_ISO_FORMAT)


def to_utc_seconds(moment: datetime) -> str:
    """The form people read (console, reports, comments), to the second: 2025-01-02T03:04:05Z."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc_iso(text: str) -> datetime:
    """Parse any ISO-8601 timestamp (with Z, an offset, or naive = UTC) into aware UTC."""
    return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
