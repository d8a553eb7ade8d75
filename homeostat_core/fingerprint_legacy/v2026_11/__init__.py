"""Fingerprint algorithm "2026-11": the seed-derived parser and fingerprinter before source maps,
the filed-format rules and the minified-name rule (verbatim copies of intake/paths.py,
intake/stack.py and fingerprint.py at that version)."""

from __future__ import annotations

import dataclasses

from homeostat_core.fingerprint_legacy.v2026_11.fingerprint import fingerprint_parts
from homeostat_core.fingerprint_legacy.v2026_11.paths import is_extension_url
from homeostat_core.fingerprint_legacy.v2026_11.stack import make_frame, parse_stack, split_location
from homeostat_core.models import ErrorFingerprint, ErrorReport, Source, StackFrame

VERSION = "2026-11"


def fingerprint_report(report: ErrorReport) -> ErrorFingerprint:
    """The id `report` had under 2026-11: its stack re-parsed with that version's parser."""
    frames = parse_stack(report.stack)
    if report.source is Source.EXTENSION:
        frames = _prefer_extension_frames(report.stack, frames)
    elif not frames:
        frames = _frames_from_fields(report.fields)
    return dataclasses.replace(fingerprint_parts(report.error_type, report.message, frames), version=VERSION)


# As intake/issue.py had them at 2026-11.
def _prefer_extension_frames(stack: str, frames: tuple[StackFrame, ...]) -> tuple[StackFrame, ...]:
    if "-extension://" not in stack or not any(
        f.in_app and f.path and not is_extension_url(f.file) for f in frames
    ):
        return frames
    return tuple(
        dataclasses.replace(f, in_app=False)
        if f.in_app and f.file and f.path and not is_extension_url(f.file)
        else f
        for f in frames
    )


def _frames_from_fields(fields: dict[str, str]) -> tuple[StackFrame, ...]:
    location = fields.get("location")
    if location:
        file, line, column = split_location(location)
        return (make_frame(None, file, line, column, f"Location: {location}"),)
    file = fields.get("file")
    if file:
        line = fields.get("line", "")
        return (make_frame(None, file, int(line) if line.isdigit() else None, None, f"File: {file}"),)
    return ()
