"""Fingerprint algorithm "2026-12": source maps, the filed-format rules and the minified-name rule,
before the grouping rules of 2026-12-06 (verbatim copies of intake/paths.py, intake/stack.py and
the algorithm part of fingerprint.py at that version)."""

from __future__ import annotations

import dataclasses

from homeostat_core.fingerprint_legacy.v2026_12.fingerprint import fingerprint_parts
from homeostat_core.fingerprint_legacy.v2026_12.paths import is_extension_url
from homeostat_core.fingerprint_legacy.v2026_12.stack import make_frame, parse_stack, split_location
from homeostat_core.intake.stack import parse_stack as parse_current
from homeostat_core.models import ErrorFingerprint, ErrorReport, Source, StackFrame

VERSION = "2026-12"


def fingerprint_report(report: ErrorReport) -> ErrorFingerprint:
    """The id `report` had under 2026-12: its stack re-parsed with that version's parser, with the
    frames the current report has symbolicated taken over (2026-12 fingerprinted after source maps)."""
    frames = parse_stack(report.stack)
    if report.source is Source.EXTENSION:
        frames = _prefer_extension_frames(report.stack, frames)
    elif not frames:
        frames = _frames_from_fields(report.fields)
    frames = _with_symbolicated(frames, report.frames)
    return dataclasses.replace(fingerprint_parts(report.error_type, report.message, frames), version=VERSION)


def _with_symbolicated(
    frames: tuple[StackFrame, ...], current: tuple[StackFrame, ...]
) -> tuple[StackFrame, ...]:
    """`frames` with each frame that symbolication replaced in `current` (same printed line, but not
    what the parser reads from it) replaced the same way."""
    mapped: dict[str, StackFrame] = {}
    for frame in current:
        raw = frame.raw
        if not frame.in_app or frame.line is None or not raw or raw in mapped:
            continue
        printed = frame.file and frame.file in raw and (not frame.function or frame.function in raw)
        if printed and f":{frame.line}" in raw:
            continue  # file, function and line as printed: not symbolicated (the common case)
        parsed = parse_current(raw)
        as_parsed = parsed[0] if len(parsed) == 1 else None
        if as_parsed is None or (as_parsed.function, as_parsed.file, as_parsed.line, as_parsed.column) != (
            frame.function,
            frame.file,
            frame.line,
            frame.column,
        ):
            mapped[raw] = frame
    if not mapped:
        return frames
    return tuple(mapped.get(frame.raw, frame) if frame.in_app else frame for frame in frames)


# As intake/issue.py had them at 2026-12.
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
