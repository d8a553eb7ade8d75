"""Map in-app frames of minified bundles back to the repository's source files.

A frame's path inside the extension (scheme and id stripped: `dist/background.js`) names its
map (`dist/background.js.map`, found by a SourceMapStore). The map's `sources` resolve against
the map's own folder (`../src/lib/storage.js` from `dist/` → `src/lib/storage.js`); sources
written with a bundler scheme (`webpack://namespace/./src/x.js`) are relative to the project
root once the scheme and namespace are removed. With the minified bundle at hand (up to
limits.MAX_SCOPES_BUNDLE_BYTES), the original function name comes from the bundle's scopes
(symbolic's SourceMapCache); without it, from the caller's call-site token (the name the caller
used), as Sentry did before scopes.

A map that is unusable — over HOMEOSTAT_SOURCEMAP_MAX_MB (default 20), not JSON, not a source
map, pointing outside the repository, or not matching the bundle (mappings out of range) — is
skipped with a reason in the stats; its frames stay as they were. A frame whose line or column
is beyond any real bundle (limits.py) is left as filed and counted. Nothing here raises for bad
maps or bad positions. Parsed maps are shared by content (parsed_maps.py).
"""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from homeostat_core.fingerprint import is_minified_frame
from homeostat_core.intake.stack import make_frame
from homeostat_core.models import ErrorReport, StackFrame
from homeostat_core.ports import SourceMapFile, SourceMapRejected, SourceMapStore
from homeostat_core.symbolication.limits import (
    MAX_COLUMN,
    MAX_LINE,
    MAX_SCOPES_BUNDLE_BYTES,
    max_map_bytes,
    position_in_bounds,
    too_large,
)
from homeostat_core.symbolication.parsed_maps import ParsedMaps

# "webpack://ns/./src/x.js", "webpack:///src/x.js", "rollup://…", "vite://…": bundler namespaces.
_BUNDLER_SCHEME = re.compile(r"^([a-z][\w+.-]*):(?://)?")
_BUNDLER_SCHEMES = frozenset(
    {"webpack", "webpack-internal", "rollup", "vite", "turbopack", "parcel", "esbuild"}
)


@dataclass(frozen=True, slots=True)
class SymbolicationStats:
    """What symbolication did to one report (for the run record)."""

    in_app_frames: int = 0
    symbolicated: int = 0
    still_minified: int = 0  # in-app frames of minified bundles that no usable map covered
    skipped_maps: tuple[tuple[str, str], ...] = ()  # (map, reason)
    # in-app frames whose line or column is beyond any real bundle: left as filed, never looked up
    unusable_positions: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "inAppFrames": self.in_app_frames,
            "symbolicated": self.symbolicated,
            "stillMinified": self.still_minified,
            "unusablePositions": self.unusable_positions,
            "skippedMaps": [{"map": where, "reason": reason} for where, reason in self.skipped_maps],
        }


class ChainedSourceMaps:
    """Try several stores in order (e.g. the S3 bucket, then maps committed in the repository)."""

    def __init__(self, *stores: SourceMapStore | None):
        self._stores = [store for store in stores if store is not None]

    def find_map(self, bundle_path: str) -> SourceMapFile | None:
        rejected: SourceMapRejected | None = None
        for store in self._stores:
            try:
                found = store.find_map(bundle_path)
            except SourceMapRejected as exc:
                rejected = rejected or exc
                continue
            if found is not None:
                return found
        if rejected is not None:
            raise rejected
        return None


def bundle_path_of(location: str | None) -> str | None:
    """The path inside the extension of a frame's location: `chrome-extension://id/dist/bg.js?x`
    → `dist/bg.js`; a relative path as is. None when it cannot name a file in the repository."""
    if not location:
        return None
    text = location.split("?", 1)[0].split("#", 1)[0]
    scheme_end = text.find("://")
    if scheme_end > 0:
        slash = text.find("/", scheme_end + 3)
        text = "" if slash < 0 else text[slash:]
    parts = [part for part in text.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def resolve_source(source: str, source_root: str, map_path: str) -> str | None:
    """A map `sources` entry as a repository-relative path, or None when it is outside the repo."""
    name = source.split("?", 1)[0]
    match = _BUNDLER_SCHEME.match(name)
    if match:
        if match.group(1) not in _BUNDLER_SCHEMES:
            return None  # file://, http(s)://: not a file of this repository
        rest = name[match.end() :].lstrip("/")
        head, sep, tail = rest.partition("/")
        if sep and tail.startswith(("./", "../")):
            rest = tail  # drop webpack's namespace: "ns/./src/x.js"
        return _inside_repo(posixpath.normpath(rest))
    if source_root:
        name = posixpath.join(source_root, name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", name):
        return None  # an absolute path on the build machine
    return _inside_repo(posixpath.normpath(posixpath.join(posixpath.dirname(map_path), name)))


def _inside_repo(path: str) -> str | None:
    if path in ("", ".") or path == ".." or path.startswith("../") or path.startswith("/"):
        return None
    return path


@dataclass(slots=True)
class _LoadedMap:
    where: str
    view: Any  # symbolic.sourcemap.SourceMapView
    cache: Any | None  # symbolic.sourcemapcache.SourceMapCache, when the bundle is known
    sources: list[str | None]  # resolved repository paths by source index
    bundle_lines: list[str] | None


# The parse of every map this process has read, by content (one per warm container).
PARSED_MAPS: ParsedMaps[tuple[_LoadedMap | None, str | None]] = ParsedMaps()


def symbolicate(report: ErrorReport, maps: SourceMapStore | None) -> tuple[ErrorReport, SymbolicationStats]:
    """`report` with its in-app frames mapped to original sources, and what happened.

    Frames without a map, or whose map is unusable, are kept unchanged. `report.stack` (the text
    as filed) is kept, so older fingerprint versions still see what they saw. For many reports
    against one store, keep a Symbolicator: it loads each map once.
    """
    if maps is None:
        return report, _stats_unchanged(report.frames)
    return Symbolicator(maps).symbolicate(report)


class Symbolicator:
    """Symbolicates reports against one SourceMapStore (one repository and version), asking the
    store for each bundle's map once. A pipeline run keeps one per (repository, version); maps
    with the same content are parsed once whichever Symbolicator finds them (PARSED_MAPS)."""

    def __init__(self, maps: SourceMapStore, *, max_map_bytes: int | None = None):
        self._maps = maps
        self._max_map_bytes = max_map_bytes if max_map_bytes is not None else _max_map_bytes()
        self._loaded: dict[str, tuple[_LoadedMap | None, tuple[str, str] | None]] = {}

    def symbolicate(self, report: ErrorReport) -> tuple[ErrorReport, SymbolicationStats]:
        frames = report.frames
        in_app = [i for i, f in enumerate(frames) if f.in_app and f.file and f.line is not None]
        if not in_app:
            return report, _stats_unchanged(frames)
        skipped: dict[str, str] = {}
        tokens: dict[int, tuple[_LoadedMap, Any]] = {}
        unusable = 0
        for index in in_app:
            frame = frames[index]
            if not position_in_bounds(frame.line, frame.column):
                unusable += 1
                continue
            bundle_path = bundle_path_of(frame.file)
            if bundle_path is None:
                continue
            if bundle_path not in self._loaded:
                self._loaded[bundle_path] = _load(self._maps, bundle_path, self._max_map_bytes)
            source_map, problem = self._loaded[bundle_path]
            if problem is not None:
                skipped.setdefault(*problem)
            if source_map is None:
                continue
            token = _lookup(source_map, frame, skipped)
            if token is not None:
                tokens[index] = (source_map, token)
        new_frames = list(frames)
        for index, (source_map, token) in tokens.items():
            new_frames[index] = _mapped_frame(frames, index, source_map, token, tokens)
        stats = SymbolicationStats(
            in_app_frames=len(in_app),
            symbolicated=len(tokens),
            still_minified=sum(
                1 for i, f in enumerate(frames) if f.in_app and i not in tokens and is_minified_frame(f)
            ),
            skipped_maps=tuple(sorted(skipped.items())),
            unusable_positions=unusable,
        )
        if not tokens:
            return report, stats
        return dataclasses.replace(report, frames=tuple(new_frames)), stats


def _max_map_bytes() -> int:
    return max_map_bytes()


def _stats_unchanged(frames: Sequence[StackFrame]) -> SymbolicationStats:
    in_app = [f for f in frames if f.in_app]
    return SymbolicationStats(
        in_app_frames=len(in_app),
        still_minified=sum(1 for f in in_app if is_minified_frame(f)),
        unusable_positions=sum(
            1 for f in in_app if f.line is not None and not position_in_bounds(f.line, f.column)
        ),
    )


def _load(
    maps: SourceMapStore, bundle_path: str, limit: int
) -> tuple[_LoadedMap | None, tuple[str, str] | None]:
    """(the parsed map or None, (where, reason) when a map exists but cannot be used)."""
    try:
        found = maps.find_map(bundle_path)
    except SourceMapRejected as exc:
        return None, (exc.where or f"{bundle_path}.map", exc.reason)
    if found is None:
        return None, None
    where = found.where or found.map_path
    if len(found.data) > limit:
        return None, (where, f"{too_large(limit)}: {len(found.data)} bytes")
    loaded, reason = PARSED_MAPS.get_or_parse(found, lambda: _parse_or_reason(found))
    if loaded is None:
        return None, (where, reason or "unusable")
    # the parse is shared by content; `where` names the store this report's map came from
    return dataclasses.replace(loaded, where=where), None


class _BadMap(Exception):
    pass


def _parse_or_reason(found: SourceMapFile) -> tuple[_LoadedMap | None, str | None]:
    try:
        return _parse(found), None
    except _BadMap as exc:
        return None, str(exc)


def _parse(found: SourceMapFile) -> _LoadedMap:
    try:
        document = json.loads(found.data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _BadMap(f"not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("mappings"), str):
        raise _BadMap("not a source map (no 'mappings' string)")
    raw_sources = document.get("sources")
    if not isinstance(raw_sources, list) or not all(isinstance(s, str) for s in raw_sources):
        raise _BadMap("not a source map ('sources' is not a list of strings)")
    root = document.get("sourceRoot") if isinstance(document.get("sourceRoot"), str) else ""
    sources = [resolve_source(source, root, found.map_path) for source in raw_sources]
    if raw_sources and not any(sources):
        raise _BadMap(f"points outside the repository (sources like {raw_sources[0]!r})")
    from symbolic.sourcemap import SourceMapView  # lazy: only reports with maps pay the import

    try:
        view = SourceMapView.from_json_bytes(found.data)
    except Exception as exc:  # symbolic raises its own error types for malformed maps
        raise _BadMap(f"not a valid source map ({exc})") from None
    cache = None
    bundle_lines = None
    if found.bundle is not None:
        bundle_lines = found.bundle.decode("utf-8", "replace").split("\n")
    if found.bundle is not None and len(found.bundle) <= MAX_SCOPES_BUNDLE_BYTES:
        try:
            from symbolic.sourcemapcache import SourceMapCache

            cache = SourceMapCache.from_bytes(found.bundle, found.data)
        except Exception:  # scopes unavailable: fall back to call-site names
            cache = None
    return _LoadedMap(found.where or found.map_path, view, cache, sources, bundle_lines)


def _lookup(source_map: _LoadedMap, frame: StackFrame, skipped: dict[str, str]) -> Any | None:
    if frame.column is None and frame.line == 1:
        return None  # no column on a bundle's first line: any token of the bundle could be meant
    # within limits.MAX_LINE / MAX_COLUMN (checked by the caller); a line alone: its first token
    line, column = frame.line or 0, frame.column or 1
    out_of_range = f"does not match the bundle: mappings out of range at {line}:{column}"
    lines = source_map.bundle_lines
    if line < 1 or (lines is not None and (line > len(lines) or column > len(lines[line - 1]) + 1)):
        skipped.setdefault(source_map.where, out_of_range)
        return None
    token = source_map.view.lookup(line - 1, column - 1)
    if token is None or token.dst_line != line - 1 or token.src_id is None:
        skipped.setdefault(source_map.where, out_of_range)
        return None
    if not (0 <= token.src_id < len(source_map.sources)) or source_map.sources[token.src_id] is None:
        skipped.setdefault(source_map.where, "points outside the repository for this frame's source")
        return None
    if not position_in_bounds(token.src_line + 1, token.src_col + 1):
        skipped.setdefault(
            source_map.where,
            f"maps {line}:{column} to {token.src_line + 1}:{token.src_col + 1}, "
            f"beyond any real source (lines up to {MAX_LINE:,}, columns up to {MAX_COLUMN:,})",
        )
        return None
    return token


def _mapped_frame(
    frames: Sequence[StackFrame],
    index: int,
    source_map: _LoadedMap,
    token: Any,
    tokens: dict[int, tuple[_LoadedMap, Any]],
) -> StackFrame:
    frame = frames[index]
    function = None
    if source_map.cache is not None:
        scoped = source_map.cache.lookup(frame.line, frame.column or 1, 0)
        function = scoped.function_name if scoped is not None else None
    if function is None:
        caller = tokens.get(index + 1)  # the name the caller used at its call site
        function = caller[1].name if caller is not None else None
    path = source_map.sources[token.src_id]
    return make_frame(function, path, token.src_line + 1, token.src_col + 1, frame.raw)
