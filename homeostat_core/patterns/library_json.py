"""`library.json`, the seed's pattern-library file: export the table to it, import it back.

Format (seed: shared/patterns/library.json):
    {"version": 1,
     "patterns": [{"id", "fingerprintId", "errorType", "filePath", "patch", "successRate", "uses", ...}],
     "metadata": {"lastUpdated": ISO-8601, "totalPatterns": n}}
Homeostat adds per entry: "edits" (the search/replace edits it replays), "status", "createdAt",
"lastUsedAt", "repo", "merges" (merged fixes it was learned from; default 1) and "verifiedAt"
(when a fix from it held in production). Without "verifiedAt" and with fewer than 2 merges an
imported pattern is on probation: shown to the model, never applied at $0. The seed's optional "description" and "confidence" are accepted and
ignored. An entry without "edits" gets them from its unified diff in "patch".

Import checks every entry before writing anything: one bad entry means nothing is written, and
every problem is reported as (index, field, reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeostat_core.attempts import parse_utc_iso, to_utc_iso
from homeostat_core.config_paths import normalize_repo_path
from homeostat_core.models import FileEdit, Pattern
from homeostat_core.ports import PatternStore

LIBRARY_VERSION = 1
_KNOWN_KEYS = {
    "id",
    "fingerprintId",
    "errorType",
    "filePath",
    "patch",
    "description",
    "confidence",
    "successRate",
    "uses",
    "edits",
    "status",
    "createdAt",
    "lastUsedAt",
    "repo",
    "merges",
    "verifiedAt",
}


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One reason an import was refused; `index` is None for the file's top level."""

    index: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"patterns[{self.index}]" if self.index is not None else "(root)"
        return f"{where}.{self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    problems: tuple[ImportProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


# --- export ---------------------------------------------------------------------------------


def pattern_to_entry(pattern: Pattern) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": pattern.pattern_id,
        "fingerprintId": pattern.fingerprint_id,
        "errorType": pattern.error_type,
        "filePath": pattern.file_path,
        "patch": pattern.diff,
        "successRate": pattern.success_rate,
        "uses": pattern.use_count,
        "edits": [edit.to_json() for edit in pattern.edits],
        "status": pattern.status,
        "repo": pattern.repo,
        "merges": pattern.merges,
    }
    for key, moment in (
        ("createdAt", pattern.created_at),
        ("lastUsedAt", pattern.last_used_at),
        ("verifiedAt", pattern.verified_at),
    ):
        if moment is not None:
            entry[key] = to_utc_iso(moment)
    return entry


def export_library(store: PatternStore, now: datetime) -> dict[str, Any]:
    """Every pattern (retired ones too, with their status) in the seed's library.json shape."""
    patterns = sorted(store.all(), key=lambda p: p.pattern_id)
    return {
        "version": LIBRARY_VERSION,
        "patterns": [pattern_to_entry(p) for p in patterns],
        "metadata": {
            "lastUpdated": to_utc_iso(now),
            "totalPatterns": len(patterns),
            "activePatterns": sum(1 for p in patterns if p.status == "active"),
        },
    }


# --- import ---------------------------------------------------------------------------------

_HUNK_RE = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


def edits_from_unified_diff(diff: str) -> list[FileEdit]:
    """Search/replace edits from a unified diff: one edit per hunk (context+removed → context+added).

    Hunk line counts from the @@ headers say where a hunk ends, so removed lines that look like
    headers ("--- x") are read correctly. Raises ValueError naming what cannot become an edit.
    """
    edits: list[FileEdit] = []
    path: str | None = None
    lines = diff.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith("+++ "):
            target = line[4:].split("\t", 1)[0].strip()
            if target == "/dev/null":
                raise ValueError("file deletions cannot be replayed as edits")
            path = target[2:] if target.startswith("b/") else target
            continue
        header = _HUNK_RE.match(line)
        if not header:
            continue  # git headers, "--- a/x", text around the diff
        if path is None:
            raise ValueError("hunk before a '+++' file header")
        old_left = int(header.group(1) or 1)
        new_left = int(header.group(2) or 1)
        search: list[str] = []
        replace: list[str] = []
        while (old_left > 0 or new_left > 0) and i < len(lines):
            body = lines[i]
            i += 1
            if body.startswith("\\"):
                continue  # "\ No newline at end of file"
            kind, text = (body[0], body[1:]) if body else (" ", "")
            if kind == "-":
                search.append(text)
                old_left -= 1
            elif kind == "+":
                replace.append(text)
                new_left -= 1
            elif kind == " ":
                search.append(text)
                replace.append(text)
                old_left -= 1
                new_left -= 1
            else:
                raise ValueError(f"unexpected line in a hunk of {path}: {body!r}")
        if old_left > 0 or new_left > 0:
            raise ValueError(f"a hunk in {path} ends early")
        if not any(text.strip() for text in search):
            raise ValueError(f"a hunk in {path} has no context or removed lines to anchor it")
        edits.append(FileEdit(path=path, search="\n".join(search), replace="\n".join(replace)))
    if not edits:
        raise ValueError("no hunks found")
    return edits


class _Entry:
    """Validation of one library entry; collects problems instead of stopping at the first."""

    def __init__(self, index: int, raw: dict[str, Any], problems: list[ImportProblem]):
        self.index = index
        self.raw = raw
        self.problems = problems

    def bad(self, field: str, reason: str) -> None:
        self.problems.append(ImportProblem(self.index, field, reason))

    def text(self, key: str, *, required: bool) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.bad(key, "required key is missing")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.bad(key, f"must be a non-empty string, got {value!r}")
            return None
        return value

    def moment(self, key: str) -> datetime | None:
        value = self.text(key, required=False)
        if value is None:
            return None
        try:
            return parse_utc_iso(value)
        except ValueError:
            self.bad(key, f"must be an ISO-8601 timestamp, got {value!r}")
            return None

    def edits(self) -> tuple[FileEdit, ...] | None:
        raw_edits = self.raw.get("edits")
        if raw_edits is None:
            patch = self.raw.get("patch")
            if not isinstance(patch, str) or not patch.strip():
                self.bad("edits", "missing: give edits or a unified diff in patch")
                return None
            try:
                from_patch = tuple(edits_from_unified_diff(patch))
            except ValueError as exc:
                self.bad("patch", f"cannot be turned into edits: {exc}")
                return None
            outside = [e.path for e in from_patch if normalize_repo_path(e.path) is None]
            for path in outside:
                self.bad("patch", f"changes a path outside the repository: {path!r}")
            return None if outside else from_patch
        if not isinstance(raw_edits, list) or not raw_edits:
            self.bad("edits", "must be a non-empty list of {path, search, replace}")
            return None
        edits: list[FileEdit] = []
        for i, item in enumerate(raw_edits):
            field = f"edits[{i}]"
            if not isinstance(item, dict):
                self.bad(field, "must be an object with path, search and replace")
                continue
            values = {key: item.get(key) for key in ("path", "search", "replace")}
            wrong = [key for key, value in values.items() if not isinstance(value, str)]
            for key in wrong:
                self.bad(f"{field}.{key}", "must be a string")
            if wrong:
                continue
            if not values["path"].strip() or not values["search"]:
                self.bad(field, "path and search must not be empty")
                continue
            if normalize_repo_path(values["path"]) is None:
                # A pattern is applied to repositories later: its paths stay inside them.
                self.bad(f"{field}.path", f"must be a path inside the repository, got {values['path']!r}")
                continue
            edits.append(FileEdit(**values))
        return tuple(edits) if len(edits) == len(raw_edits) else None

    def pattern(self) -> Pattern | None:
        before = len(self.problems)
        for key in sorted(set(self.raw) - _KNOWN_KEYS):
            self.bad(key, "unknown key")
        pattern_id = self.text("id", required=True)
        fingerprint_id = self.text("fingerprintId", required=True)
        error_type = self.text("errorType", required=True)
        file_path = self.text("filePath", required=True)
        if file_path is not None and normalize_repo_path(file_path) is None:
            self.bad("filePath", f"must be a path inside the repository, got {file_path!r}")
        patch = self.text("patch", required=False)
        repo = self.text("repo", required=False)
        rate = self.raw.get("successRate", 1.0)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
            self.bad("successRate", f"must be a number from 0 to 1, got {rate!r}")
        uses = self.raw.get("uses", 0)
        if isinstance(uses, bool) or not isinstance(uses, int) or uses < 0:
            self.bad("uses", f"must be a whole number >= 0, got {uses!r}")
        merges = self.raw.get("merges", 1)
        if isinstance(merges, bool) or not isinstance(merges, int) or merges < 1:
            self.bad("merges", f"must be a whole number >= 1, got {merges!r}")
        status = self.raw.get("status", "active")
        if status not in ("active", "retired"):
            self.bad("status", f"must be 'active' or 'retired', got {status!r}")
        created_at = self.moment("createdAt")
        last_used_at = self.moment("lastUsedAt")
        verified_at = self.moment("verifiedAt")
        edits = self.edits()
        if len(self.problems) > before:
            return None
        return Pattern(
            pattern_id=pattern_id,
            fingerprint_id=fingerprint_id,
            error_type=error_type,
            file_path=file_path,
            edits=edits,
            diff=patch or "",
            success_rate=float(rate),
            use_count=uses,
            created_at=created_at,
            last_used_at=last_used_at,
            status=status,
            repo=repo or "",
            merges=merges,
            verified_at=verified_at,
        )


def validate_library(store: PatternStore, data: Any) -> tuple[list[Pattern], list[ImportProblem]]:
    """The patterns a library document holds, and every problem found in it."""
    problems: list[ImportProblem] = []
    if not isinstance(data, dict):
        return [], [ImportProblem(None, "(file)", f"must be a JSON object, got {type(data).__name__}")]
    if data.get("version") != LIBRARY_VERSION or isinstance(data.get("version"), bool):
        problems.append(
            ImportProblem(None, "version", f"must be {LIBRARY_VERSION}, got {data.get('version')!r}")
        )
    raw_patterns = data.get("patterns")
    if not isinstance(raw_patterns, list):
        problems.append(ImportProblem(None, "patterns", "must be a list"))
        return [], problems
    if "metadata" in data and not isinstance(data["metadata"], dict):
        problems.append(ImportProblem(None, "metadata", "must be an object"))

    patterns: list[Pattern] = []
    first_with_id: dict[str, int] = {}
    active_for: dict[str, int] = {}
    for index, raw in enumerate(raw_patterns):
        if not isinstance(raw, dict):
            problems.append(ImportProblem(index, "(entry)", f"must be an object, got {type(raw).__name__}"))
            continue
        pattern = _Entry(index, raw, problems).pattern()
        if pattern is None:
            continue
        if pattern.pattern_id in first_with_id:
            problems.append(
                ImportProblem(index, "id", f"duplicate of patterns[{first_with_id[pattern.pattern_id]}]")
            )
            continue
        first_with_id[pattern.pattern_id] = index
        if pattern.status == "active":
            if pattern.fingerprint_id in active_for:
                problems.append(
                    ImportProblem(
                        index,
                        "fingerprintId",
                        f"patterns[{active_for[pattern.fingerprint_id]}] is already the active pattern for it",
                    )
                )
                continue
            active_for[pattern.fingerprint_id] = index
            stored = store.active_for_fingerprint(pattern.fingerprint_id)
            if stored is not None and stored.pattern_id != pattern.pattern_id:
                problems.append(
                    ImportProblem(
                        index, "fingerprintId", f"stored pattern {stored.pattern_id} is already active for it"
                    )
                )
                continue
        patterns.append(pattern)
    return patterns, problems


def import_library(store: PatternStore, data: Any) -> ImportResult:
    """Write every pattern of a library document (replacing same-id ones), or none if any is bad."""
    patterns, problems = validate_library(store, data)
    if problems:
        return ImportResult(imported=0, problems=tuple(problems))
    put_many = getattr(store, "put_many", None)
    if put_many is not None:
        put_many(patterns)
    else:
        for pattern in patterns:
            store.put(pattern)
    return ImportResult(imported=len(patterns))
