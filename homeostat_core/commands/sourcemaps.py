"""`homeostat sourcemaps upload DIR --repo OWNER/NAME --version X.Y.Z`: put a release's source
maps (and the bundles they map) in the source-maps bucket, for the extension's release CI.

    homeostat sourcemaps upload dist-root/ --repo acme/notebridge --version 1.2.0 --bucket NAME

DIR is the extension as shipped (DIR/dist/background.js and DIR/dist/background.js.map): keys
are `OWNER/NAME/X.Y.Z/<path under DIR>`. The bucket comes from --bucket or
HOMEOSTAT_SOURCEMAPS_BUCKET. Everything is checked before anything is written: a version that is
not X.Y.Z or a --repo that is not OWNER/NAME exits 2; a bundle whose sourceMappingURL names a
missing map, a map that is not JSON or is over 50 MB, or no map at all exits 3 naming the file;
no bucket exits 4. docs/SOURCEMAPS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import TextIO

from homeostat_core.commands._errors import EXIT_ENVIRONMENT, EXIT_INPUT, EXIT_USAGE
from homeostat_core.ports import MAX_SOURCE_MAP_BYTES

VERSION = re.compile(r"^\d+\.\d+\.\d+(?:\.\d+)?$")  # what manifest.json's "version" allows, 3-4 parts
REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SOURCE_MAPPING_URL = re.compile(
    r"[#@][ \t]*sourceMappingURL=[ \t]*(\S+?)[ \t]*(?:\*/)?[ \t]*$", re.MULTILINE
)
_BUNDLE_SUFFIXES = (".js", ".mjs", ".cjs")


class UploadError(Exception):
    """What is wrong, and the exit code it means (README "Exit codes"): a file or folder that
    cannot be used 3, a malformed flag value 2, no bucket 4."""

    def __init__(self, message: str, exit_code: int = EXIT_INPUT):
        super().__init__(message)
        self.exit_code = exit_code


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sourcemaps", help="upload a release's source maps, so reports map back to the original code"
    )
    commands = parser.add_subparsers(dest="sourcemaps_command", metavar="COMMAND", required=True)
    upload = commands.add_parser(
        "upload",
        help="upload a release's source maps (and the bundles they map) to the deployed bucket",
        description="Put a release's source maps, and the bundles they map, in the deployed "
        "source-maps bucket (run it from the extension's release CI). Everything is checked before "
        "anything is uploaded.",
    )
    upload.add_argument("directory", metavar="DIR", help="the extension as built (maps beside the bundles)")
    upload.add_argument(
        "--repo", required=True, metavar="OWNER/NAME", help="the repository the release was built from"
    )
    upload.add_argument(
        "--version", required=True, metavar="X.Y.Z", help="the extension version (manifest.json)"
    )
    upload.add_argument(
        "--bucket", default=None, help="the bucket (default: $HOMEOSTAT_SOURCEMAPS_BUCKET, a stack output)"
    )
    upload.set_defaults(func=upload_command)


def upload_command(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    bucket = args.bucket or os.environ.get("HOMEOSTAT_SOURCEMAPS_BUCKET")
    try:
        files = release_files(Path(args.directory), args.repo, args.version)
        if not bucket:
            raise UploadError(
                "no bucket: pass --bucket NAME or set HOMEOSTAT_SOURCEMAPS_BUCKET", EXIT_ENVIRONMENT
            )
    except UploadError as exc:
        print(f"homeostat sourcemaps upload: {exc}", file=sys.stderr)
        return exc.exit_code
    # lazy: boto3's S3 client only for this command
    from homeostat_core.adapters.source_maps import S3SourceMaps

    store = S3SourceMaps(
        bucket,
        args.repo,
        args.version,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None,
    )
    keys = store.upload(files)
    maps = sum(1 for key in keys if key.endswith(".map"))
    print(
        f"uploaded {maps} map(s) and {len(keys) - maps} bundle(s) to s3://{bucket}/{args.repo}/{args.version}/",
        file=out,
    )
    return 0


def release_files(directory: Path, repo: str, version: str) -> list[tuple[str, Path]]:
    """(path under DIR, file) for every map and every bundle that has one; raises UploadError
    naming the file or flag that is wrong."""
    if not REPO.match(repo):
        raise UploadError(f"--repo {repo!r}: expected OWNER/NAME", EXIT_USAGE)
    if not VERSION.match(version):
        raise UploadError(
            f"--version {version!r}: expected X.Y.Z (the manifest version, e.g. 1.2.0)", EXIT_USAGE
        )
    if not directory.is_dir():
        raise UploadError(f"{directory}: not a directory")
    files: dict[str, Path] = {}
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(directory).as_posix()
        if path.name.endswith(".map"):
            _check_map(path)
            files[relative] = path
        elif path.name.endswith(_BUNDLE_SUFFIXES):
            named = _named_map(path)
            if named is None:
                continue
            if not named.is_file():
                raise UploadError(f"{path}: its sourceMappingURL names {named}, which does not exist")
            files[relative] = path
    if not any(name.endswith(".map") for name in files):
        raise UploadError(
            f"{directory}: no .map file found (build with source maps, e.g. esbuild --sourcemap)"
        )
    return sorted(files.items())


def _check_map(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_SOURCE_MAP_BYTES:
        raise UploadError(f"{path}: {size} bytes, over the {MAX_SOURCE_MAP_BYTES // (1024 * 1024)} MB limit")
    try:
        document = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise UploadError(f"{path}: not JSON ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("mappings"), str):
        raise UploadError(f"{path}: not a source map (no 'mappings' string)")


def _named_map(bundle: Path) -> Path | None:
    with bundle.open("rb") as handle:
        handle.seek(max(0, bundle.stat().st_size - 4096))
        tail = handle.read().decode("utf-8", "replace")
    matches = _SOURCE_MAPPING_URL.findall(tail)
    if not matches or matches[-1].startswith("data:") or "://" in matches[-1]:
        return None  # no map, an inline map, or one served from elsewhere
    return bundle.parent / matches[-1]
