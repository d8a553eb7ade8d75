"""Source maps committed in the repository, found through the bundle's `sourceMappingURL`."""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote

from homeostat_core.config import RepoConfig
from homeostat_core.ports import Forge, ForgeError, RateLimitLow, SourceMapFile, SourceMapRejected
from homeostat_core.symbolication.limits import max_map_bytes, too_large

# The last `//# sourceMappingURL=…` (or the old `//@`) comment of a bundle.
_SOURCE_MAPPING_URL = re.compile(
    r"[#@][ \t]*sourceMappingURL=[ \t]*(\S+?)[ \t]*(?:\*/)?[ \t]*$", re.MULTILINE
)
_TAIL_CHARS = 4096  # the comment is the bundle's last line; a huge inline map is still read whole


class ForgeSourceMaps:
    """Reads `bundle_path` at `ref` (the base branch) through the Forge, follows its
    sourceMappingURL (a path relative to the bundle, or an inline `data:` URL) and reads the map.
    No comment, no map. A URL that leaves the repository is rejected with the reason.

    Each bundle is read once per instance: share one instance for every extension version of a
    run (they all fall back to the same committed map), and make a new one for the next run.

    `locate` turns the bundle's path inside the extension into its repository path (an extension
    kept in `extension/` serves `dist/bg.js` from `extension/dist/bg.js`; homeostat_core/sourcing),
    so the map and its `sources` resolve from where the bundle really is."""

    def __init__(
        self,
        forge: Forge,
        repo: RepoConfig,
        ref: str | None = None,
        locate: Callable[[str], str] | None = None,
        *,
        max_bytes: int | None = None,
    ):
        self._forge = forge
        self._repo = repo
        self._ref = ref
        self._locate = locate
        self._max_bytes = max_bytes if max_bytes is not None else max_map_bytes()
        self._found: dict[str, SourceMapFile | SourceMapRejected | None] = {}

    def find_map(self, bundle_path: str) -> SourceMapFile | None:
        if bundle_path not in self._found:
            try:
                self._found[bundle_path] = self._read(bundle_path)
            except SourceMapRejected as rejected:
                self._found[bundle_path] = rejected
        found = self._found[bundle_path]
        if isinstance(found, SourceMapRejected):
            raise found
        return found

    def _read_file(self, path: str, where: str) -> str | None:
        try:
            return self._forge.read_file(self._repo, path, self._ref)
        except RateLimitLow:
            raise  # the run defers its work to the reset; not this map's fault
        except ForgeError as exc:
            raise SourceMapRejected(where, f"cannot be read ({type(exc).__name__}: {exc})") from None

    def _read(self, bundle_path: str) -> SourceMapFile | None:
        if self._locate is not None:
            bundle_path = self._locate(bundle_path)
        where = f"{bundle_path} (sourceMappingURL)"
        bundle = self._read_file(bundle_path, where)
        if bundle is None:
            return None
        matches = _SOURCE_MAPPING_URL.findall(bundle[-_TAIL_CHARS:]) or _SOURCE_MAPPING_URL.findall(bundle)
        if not matches:
            return None
        url = matches[-1]
        bundle_bytes = bundle.encode("utf-8")
        if url.startswith("data:"):
            data = _inline_map(url, where, self._max_bytes)
            return SourceMapFile(bundle_path + ".map", data, self._usable(bundle_bytes), where)
        if "://" in url or url.startswith("/"):
            raise SourceMapRejected(where, f"points outside the repository ({url})")
        map_path = posixpath.normpath(posixpath.join(posixpath.dirname(bundle_path), unquote(url)))
        if map_path.startswith("../") or map_path == "..":
            raise SourceMapRejected(where, f"points outside the repository ({url})")
        text = self._read_file(map_path, map_path)
        if text is None:
            raise SourceMapRejected(
                where, f"names {map_path}, which is not in the repository at the base branch"
            )
        data = text.encode("utf-8")
        if len(data) > self._max_bytes:
            raise SourceMapRejected(map_path, f"{too_large(self._max_bytes)}: {len(data)} bytes")
        return SourceMapFile(map_path, data, self._usable(bundle_bytes), map_path)

    def _usable(self, bundle: bytes) -> bytes | None:
        """The bundle, unless it is over the size limit: the map is then used without it."""
        return bundle if len(bundle) <= self._max_bytes else None


def _inline_map(url: str, where: str, limit: int) -> bytes:
    header, _comma, payload = url.partition(",")
    encoded = header.endswith(";base64")
    # Refuse before decoding what cannot fit: base64 is 4 characters per 3 bytes, a %XX escape 3 per 1.
    longest = 4 * -(-limit // 3) if encoded else 3 * limit
    if len(payload) > longest:
        raise SourceMapRejected(where, f"{too_large(limit)}: inline, {len(payload)} characters")
    try:
        data = base64.b64decode(payload, validate=True) if encoded else unquote(payload).encode()
    except (binascii.Error, ValueError):
        raise SourceMapRejected(where, "inline source map is not valid base64") from None
    if len(data) > limit:
        raise SourceMapRejected(where, f"{too_large(limit)}: {len(data)} bytes")
    return data
