"""SourceMapStore implementations: a local directory laid out by path, and the S3 bucket the
extension's release CI fills with `homeostat sourcemaps upload` (docs/SOURCEMAPS.md).

S3 keys: `<owner>/<name>/<version>/<path inside the extension>.map`, and the minified bundle
itself at `<owner>/<name>/<version>/<path>` when it was uploaded (it gives original function names).

Every store refuses a map over HOMEOSTAT_SOURCEMAP_MAX_MB before reading it, and reads a bundle
over that size as no bundle. S3 objects are kept on the warm container's disk (DiskCache) and
asked for again with their ETag: an unchanged map costs a 304, not its bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from homeostat_core.ports import SourceMapFile, SourceMapRejected
from homeostat_core.settings import get_settings
from homeostat_core.symbolication.limits import MB, max_map_bytes, too_large

# A version as a single key segment (what `sourcemaps upload` accepts, and a little more).
_VERSION_KEY = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")


class DirectorySourceMaps:
    """Maps under `root` by bundle path: `root/dist/background.js.map` (and the bundle beside it)."""

    def __init__(self, root: str | Path, *, max_bytes: int | None = None):
        self._root = Path(root).resolve()
        self._max_bytes = max_bytes if max_bytes is not None else max_map_bytes()

    def find_map(self, bundle_path: str) -> SourceMapFile | None:
        map_file = (self._root / f"{bundle_path}.map").resolve()
        if not map_file.is_relative_to(self._root) or not map_file.is_file():
            return None
        where = str(map_file)
        try:
            size = map_file.stat().st_size
            if size > self._max_bytes:
                raise SourceMapRejected(where, f"{too_large(self._max_bytes)}: {size} bytes")
            data = map_file.read_bytes()
            bundle_file = map_file.with_suffix("")
            bundle = (
                bundle_file.read_bytes()
                if bundle_file.is_file() and bundle_file.stat().st_size <= self._max_bytes
                else None
            )
        except OSError as exc:
            raise SourceMapRejected(where, f"cannot be read ({exc.strerror})") from None
        return SourceMapFile(bundle_path + ".map", data, bundle, where)


class DiskCache:
    """Files by content hash in one folder, at most `cap_bytes` in all (least recently used out),
    with what each S3 object was last seen as (ETag and content hash) in this process.

    Content-addressed and written by rename, so processes sharing the folder never read half a
    file or a wrong one (a read checks the hash); a file gone since is simply a miss.
    """

    def __init__(self, folder: str | Path, cap_bytes: int):
        self._folder = Path(folder)
        self._cap = cap_bytes
        self._seen: dict[str, tuple[str, str]] = {}  # object → (ETag, content hash)

    def get(self, digest: str) -> bytes | None:
        path = self._folder / digest
        try:
            data = path.read_bytes()
            os.utime(path)  # recently used
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == digest else None

    def put(self, data: bytes) -> str | None:
        """Store `data`; its content hash, or None when it is larger than the whole cache."""
        if len(data) > self._cap:
            return None
        digest = hashlib.sha256(data).hexdigest()
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self._folder, prefix=".part-", delete=False) as part:
                part.write(data)
            os.replace(part.name, self._folder / digest)
            self._evict()
        except OSError:
            return None  # a full or read-only disk: no cache, never a failed symbolication
        return digest

    def _evict(self) -> None:
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self._folder.iterdir() if p.is_file()]
        held = sum(size for _mtime, size, _path in files)
        for _mtime, size, path in sorted(files, key=lambda item: item[0]):
            if held <= self._cap:
                break
            path.unlink(missing_ok=True)
            held -= size

    def seen(self, name: str) -> tuple[str, str] | None:
        return self._seen.get(name)

    def remember(self, name: str, etag: str, digest: str) -> None:
        self._seen[name] = (etag, digest)


@lru_cache(maxsize=1)
def disk_cache() -> DiskCache | None:
    """This container's cache under the temp folder (Lambda: /tmp), HOMEOSTAT_SOURCEMAP_CACHE_MB."""
    cap_mb = get_settings().sourcemap_cache_mb
    if cap_mb == 0:
        return None
    return DiskCache(Path(tempfile.gettempdir()) / "homeostat-sourcemaps", cap_mb * MB)


def s3_key(repo_slug: str, version: str, path: str) -> str:
    return f"{repo_slug}/{version}/{path}"


class S3SourceMaps:
    """Maps of one repository and extension version in the source-maps bucket.

    The boto3 client is created on first use, so moto's mocks (started later) apply.
    """

    def __init__(
        self,
        bucket: str,
        repo_slug: str,
        version: str | None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        max_bytes: int | None = None,
        cache: DiskCache | None | bool = True,
    ):
        self._bucket = bucket
        self._repo_slug = repo_slug
        self._version = version
        self._region = region
        self._endpoint_url = endpoint_url
        self._client_instance = None
        self._max_bytes = max_bytes if max_bytes is not None else max_map_bytes()
        # True: this container's disk cache (if HOMEOSTAT_SOURCEMAP_CACHE_MB allows); False/None: none
        self._cache = disk_cache() if cache is True else (cache or None)

    def _client(self):
        if self._client_instance is None:
            self._client_instance = boto3.client(
                "s3", region_name=self._region, endpoint_url=self._endpoint_url
            )
        return self._client_instance

    def find_map(self, bundle_path: str) -> SourceMapFile | None:
        if not self._version or not _VERSION_KEY.match(self._version):
            return None  # no version, or one that cannot be a key segment: no key to look under
        key = s3_key(self._repo_slug, self._version, bundle_path + ".map")
        where = f"s3://{self._bucket}/{key}"
        data = self._get(key, where)
        if data is None:
            return None
        bundle = self._get(s3_key(self._repo_slug, self._version, bundle_path), where, optional=True)
        return SourceMapFile(bundle_path + ".map", data, bundle, where)

    def _get(self, key: str, where: str, *, optional: bool = False) -> bytes | None:
        """The object's bytes; None when it is missing (or, if `optional`, unusable)."""
        name = f"s3://{self._bucket}/{key}"
        seen = self._cache.seen(name) if self._cache else None
        kept = self._cache.get(seen[1]) if seen else None
        try:
            if kept is not None:
                response = self._client().get_object(Bucket=self._bucket, Key=key, IfNoneMatch=seen[0])
            else:
                response = self._client().get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("304", "NotModified") and kept is not None:
                return kept  # unchanged since this container read it
            if code in ("NoSuchKey", "404", "NotFound") or optional:
                return None
            raise SourceMapRejected(where, f"cannot be read ({code or 'S3 error'})") from None
        except BotoCoreError as exc:
            if optional:
                return None
            raise SourceMapRejected(where, f"cannot be read ({type(exc).__name__})") from None
        body = response["Body"]
        # Read one byte past the limit: a length header that lies cannot make us read more.
        length = _length(response)
        data = None if length > self._max_bytes else body.read(self._max_bytes + 1)
        body.close()
        if data is None or len(data) > self._max_bytes:
            if optional:
                return None
            raise SourceMapRejected(
                where, f"{too_large(self._max_bytes)}: {max(length, len(data or b''))} bytes"
            )
        if self._cache is not None and response.get("ETag"):
            digest = self._cache.put(data)
            if digest is not None:
                self._cache.remember(name, response["ETag"], digest)
        return data

    def upload(self, files: list[tuple[str, Path]]) -> list[str]:
        """Put each (path inside the extension, local file) under this repository and version;
        returns the keys written."""
        keys = []
        for path, local in files:
            key = s3_key(self._repo_slug, self._version or "", path)
            content_type = "application/json" if path.endswith(".map") else "application/javascript"
            self._client().put_object(
                Bucket=self._bucket, Key=key, Body=local.read_bytes(), ContentType=content_type
            )
            keys.append(key)
        return keys


def _length(response: dict) -> int:
    try:
        return int(response.get("ContentLength") or 0)
    except (TypeError, ValueError):
        return 0
