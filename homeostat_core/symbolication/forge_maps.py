"""Source maps committed in the repository, found through the bundle's `sourceMappingURL`."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from urllib.parse import unquote

from homeostat_core.config import RepoConfig
from homeostat_core.ports import MAX_SOURCE_MAP_BYTES, Forge, SourceMapFile, SourceMapRejected

# The last `//# sourceMappingURL=…` (or the old `//@`) comment of a bundle.
_SOURCE_MAPPING_URL = re.compile(
    r"[#@][ \t]*sourceMappingURL=[ \t]*(\S+?)[ \t]*(?:\*/)?[ \t]*$", re.MULTILINE
)
_TAIL_CHARS = 4096  # the comment is the bundle's last line; a huge inline map is still read whole


class ForgeSourceMaps:
    """Reads `bundle_path` at `ref` (the base branch) through the Forge, follows its
    sourceMappingURL (a path relative to the bundle, or an inline `data:` URL) and reads the map.
    No comment, no map. A URL that leaves the repository is rejected with the reason."""

    def __init__(self, forge: Forge, repo: RepoConfig, ref: str | None = None):
        self._forge = forge
        self._repo = repo
        self._ref = ref

    def find_map(self, bundle_path: str) -> SourceMapFile | None:
        bundle = self._forge.read_file(self._repo, bundle_path, self._ref)
        if bundle is None:
            return None
        where = f"{bundle_path} (sourceMappingURL)"
        matches = _SOURCE_MAPPING_URL.findall(bundle[-_TAIL_CHARS:]) or _SOURCE_MAPPING_URL.findall(bundle)
        if not matches:
            return None
        url = matches[-1]
        bundle_bytes = bundle.encode("utf-8")
        if url.startswith("data:"):
            return SourceMapFile(bundle_path + ".map", _inline_map(url, where), bundle_bytes, where)
        if "://" in url or url.startswith("/"):
            raise SourceMapRejected(where, f"points outside the repository ({url})")
        map_path = posixpath.normpath(posixpath.join(posixpath.dirname(bundle_path), unquote(url)))
        if map_path.startswith("../") or map_path == "..":
            raise SourceMapRejected(where, f"points outside the repository ({url})")
        text = self._forge.read_file(self._repo, map_path, self._ref)
        if text is None:
            raise SourceMapRejected(
                where, f"names {map_path}, which is not in the repository at the base branch"
            )
        data = text.encode("utf-8")
        if len(data) > MAX_SOURCE_MAP_BYTES:
            raise SourceMapRejected(map_path, f"larger than {MAX_SOURCE_MAP_BYTES // (1024 * 1024)} MB")
        return SourceMapFile(map_path, data, bundle_bytes, map_path)


def _inline_map(url: str, where: str) -> bytes:
    header, _comma, payload = url.partition(",")
    try:
        data = (
            base64.b64decode(payload, validate=True)
            if header.endswith(";base64")
            else unquote(payload).encode()
        )
    except (binascii.Error, ValueError):
        raise SourceMapRejected(where, "inline source map is not valid base64") from None
    if len(data) > MAX_SOURCE_MAP_BYTES:
        raise SourceMapRejected(where, f"larger than {MAX_SOURCE_MAP_BYTES // (1024 * 1024)} MB")
    return data
