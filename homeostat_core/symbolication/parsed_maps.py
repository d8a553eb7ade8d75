"""Parsed source maps shared by content, so one map is parsed once however often it is found.

In one run, every extension version falls back to the same map committed in the repository;
across the runs a warm container serves, the same release maps come back. Parsing a map costs
several times its size in memory and most of symbolication's time, so the parse is kept by a
hash of what it was made from (the map's path, its bytes, the bundle's bytes): the same content
is the same parse, whichever store or version found it, and a changed file can never hit an old
entry. Unusable maps are kept too, with their reason. What is held is bounded by the bytes of the
maps behind it (least recently used first out); the newest entry always stays.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from homeostat_core.ports import SourceMapFile
from homeostat_core.symbolication.limits import MB

Parsed = TypeVar("Parsed")

# Raw map and bundle bytes whose parses stay in memory between uses. A parsed map holds about five
# times its size (bench/sourcemap_memory.py); the worker has 1,024 MB.
DEFAULT_BUDGET_BYTES = 48 * MB


def content_key(found: SourceMapFile) -> str:
    """What a parse depends on: `sources` resolve against the map's path; the bundle gives scopes."""
    digest = hashlib.sha256()
    for part in (found.map_path.encode(), found.data, found.bundle):
        if part is None:
            digest.update(b"\xff")
        else:
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


class ParsedMaps(Generic[Parsed]):
    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES):
        self._budget = budget_bytes
        self._entries: OrderedDict[str, tuple[int, Parsed]] = OrderedDict()
        self._held = 0
        self.parses = 0  # how many times `parse` ran (the bench and tests read it)

    def get_or_parse(self, found: SourceMapFile, parse: Callable[[], Parsed]) -> Parsed:
        key = content_key(found)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry[1]
        self.parses += 1
        parsed = parse()
        size = len(found.data) + len(found.bundle or b"")
        self._entries[key] = (size, parsed)
        self._held += size
        while self._held > self._budget and len(self._entries) > 1:
            _key, (dropped, _parsed) = self._entries.popitem(last=False)
            self._held -= dropped
        return parsed

    def clear(self) -> None:
        self._entries.clear()
        self._held = 0
