"""The ids an error had under older fingerprint versions, and the id its records are kept under.

A new FINGERPRINT_VERSION can change ids; an error's attempt history stays under the id it was
first recorded with. These functions compute older ids (only where the store has older rows) and
pick the id with a record. The algorithm itself: homeostat_core/fingerprint.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence

from homeostat_core.fingerprint import FINGERPRINT_VERSION, PREVIOUS_VERSIONS, fingerprint
from homeostat_core.models import ErrorFingerprint, ErrorReport


def fingerprint_with_history(report: ErrorReport) -> ErrorFingerprint:
    """`fingerprint(report)` plus `previous_ids`: the ids this error had under PREVIOUS_VERSIONS
    (newest first, without repeats or the current id), all computed now (the CLI and tests; the
    pipeline resolves ids with KnownFingerprints)."""
    current = fingerprint(report)
    return dataclasses.replace(current, previous_ids=tuple(previous_ids(report, current.id)))


def previous_ids(
    report: ErrorReport, current_id: str, versions: Sequence[str] = PREVIOUS_VERSIONS
) -> Iterator[str]:
    """The ids `report` had under `versions` (newest first), each computed when the iteration
    reaches it; without repeats or `current_id`. Older versions re-read `report.stack`, the text
    as filed, so they see what they saw then."""
    seen = {current_id}
    for version in versions:
        old_id = fingerprint_at_version(report, version).id
        if old_id not in seen:
            seen.add(old_id)
            yield old_id


def versions_to_try(stored_versions: Iterable[str]) -> tuple[str, ...]:
    """The older versions worth computing, given the versions a store's records were made under
    (`AttemptState.fingerprint_version`, "" for records older than the field): none when every
    record is the current version's, else all of them (a record kept under an old id may carry a
    newer stamp)."""
    if all(version == FINGERPRINT_VERSION for version in stored_versions):
        return ()
    return PREVIOUS_VERSIONS


def known_fingerprint(
    report: ErrorReport,
    has_record: Callable[[str], object],
    *,
    current: ErrorFingerprint | None = None,
    versions: Sequence[str] = PREVIOUS_VERSIONS,
) -> ErrorFingerprint:
    """The fingerprint under the id the error's records are kept under.

    `current` (or `fingerprint(report)`) unless an older version gave the error another id that
    has a record (`has_record(id)` truthy) while the current id has none: then that older id, with
    the version that made it. Older ids are computed for `versions` only (see versions_to_try),
    newest first, stopping at the first with a record; the store is asked only once an older id
    differs from the current one, so an error whose id never changed costs no lookup.
    """
    unknown = [version for version in versions if version not in PREVIOUS_VERSIONS]
    if unknown:
        raise ValueError(f"unknown fingerprint version {unknown[0]!r}; older versions: {PREVIOUS_VERSIONS}")
    fp = current if current is not None else fingerprint(report)
    current_asked = False
    for version in versions:
        try:
            old = fingerprint_at_version(report, version)
        except (ValueError, OverflowError):  # a frozen version's bug on odd input: no id there
            continue
        if old.id == fp.id:
            continue
        if not current_asked:
            if has_record(fp.id):
                return fp
            current_asked = True
        if has_record(old.id):
            return dataclasses.replace(fp, id=old.id, version=old.version, previous_ids=())
    return fp


class KnownFingerprints:
    """One run's `known_fingerprint`, resolved once per current id — the pipeline's call:

        known = KnownFingerprints(has_record, versions=versions_to_try(row versions))
        fp = known(report)  # per parsed (and symbolicated) issue, or known(report, fingerprint(report))

    The first report of an error in the run decides the id its records are kept under; the
    error's other reports take it without computing an older id or asking `has_record` again, so
    older ids cost one computation per error per run, not per report.
    """

    __slots__ = ("_has_record", "_resolved", "_versions")

    def __init__(self, has_record: Callable[[str], object], versions: Sequence[str] = PREVIOUS_VERSIONS):
        self._has_record = has_record
        self._versions = tuple(versions)
        self._resolved: dict[str, ErrorFingerprint] = {}

    def __call__(self, report: ErrorReport, current: ErrorFingerprint | None = None) -> ErrorFingerprint:
        """`report`'s known fingerprint; `current` is `fingerprint(report)` when the caller has it."""
        if current is None:
            current = fingerprint(report)
        known = self._resolved.get(current.id)
        if known is None:
            known = known_fingerprint(report, self._has_record, current=current, versions=self._versions)
            self._resolved[current.id] = known
        return known


def fingerprint_at_version(report: ErrorReport, version: str) -> ErrorFingerprint:
    """The fingerprint `report` gets under one algorithm version (current or previous)."""
    if version == FINGERPRINT_VERSION:
        return fingerprint(report)
    if version == "2026-12":
        # lazy: only an error whose id changed and has no record under it needs an older id
        from homeostat_core.fingerprint_legacy import v2026_12

        return v2026_12.fingerprint_report(report)
    if version == "2026-11":
        # lazy: only an error whose id changed and has no record under it needs an older id
        from homeostat_core.fingerprint_legacy import v2026_11

        return v2026_11.fingerprint_report(report)
    raise ValueError(
        f"unknown fingerprint version {version!r}; known: {FINGERPRINT_VERSION}, {PREVIOUS_VERSIONS}"
    )
