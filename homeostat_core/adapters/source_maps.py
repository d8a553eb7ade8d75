"""SourceMapStore implementations: a local directory laid out by path, and the S3 bucket the
extension's release CI fills with `homeostat sourcemaps upload` (docs/SOURCEMAPS.md).

S3 keys: `<owner>/<name>/<version>/<path inside the extension>.map`, and the minified bundle
itself at `<owner>/<name>/<version>/<path>` when it was uploaded (it gives original function names).
"""

from __future__ import annotations

import re
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from homeostat_core.ports import MAX_SOURCE_MAP_BYTES, SourceMapFile, SourceMapRejected

# A version as a single key segment (what `sourcemaps upload` accepts, and a little more).
_VERSION_KEY = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")
_TOO_LARGE = f"larger than {MAX_SOURCE_MAP_BYTES // (1024 * 1024)} MB"


class DirectorySourceMaps:
    """Maps under `root` by bundle path: `root/dist/background.js.map` (and the bundle beside it)."""

    def __init__(self, root: str | Path):
        self._root = Path(root).resolve()

    def find_map(self, bundle_path: str) -> SourceMapFile | None:
        map_file = (self._root / f"{bundle_path}.map").resolve()
        if not map_file.is_relative_to(self._root) or not map_file.is_file():
            return None
        where = str(map_file)
        try:
            if map_file.stat().st_size > MAX_SOURCE_MAP_BYTES:
                raise SourceMapRejected(where, _TOO_LARGE)
            data = map_file.read_bytes()
            bundle_file = map_file.with_suffix("")
            bundle = bundle_file.read_bytes() if bundle_file.is_file() else None
        except OSError as exc:
            raise SourceMapRejected(where, f"cannot be read ({exc.strerror})") from None
        return SourceMapFile(bundle_path + ".map", data, bundle, where)


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
    ):
        self._bucket = bucket
        self._repo_slug = repo_slug
        self._version = version
        self._region = region
        self._endpoint_url = endpoint_url
        self._client_instance = None

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
        try:
            response = self._client().get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                return None
            if optional:
                return None
            raise SourceMapRejected(where, f"cannot be read ({code or 'S3 error'})") from None
        except BotoCoreError as exc:
            if optional:
                return None
            raise SourceMapRejected(where, f"cannot be read ({type(exc).__name__})") from None
        body = response["Body"]
        if int(response.get("ContentLength") or 0) > MAX_SOURCE_MAP_BYTES:
            body.close()
            if optional:
                return None
            raise SourceMapRejected(where, _TOO_LARGE)
        return body.read()

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
