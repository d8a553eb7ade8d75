#!/usr/bin/env python3
"""Build the Lambda code asset into a folder without CDK or Docker (what `cdk synth` bundles).

    .venv/bin/python scripts/build_lambda_deps.py [--out .lambda-build] [--wheelhouse DIR]

Useful to inspect the asset or its size; `cdk synth` runs the same code through CDK local bundling.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.packaging import BundlingError, build_bundle  # noqa: E402


def folder_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(".lambda-build"), help="output folder (emptied first)"
    )
    parser.add_argument("--wheelhouse", type=Path, help="install only from this folder of wheels (offline)")
    args = parser.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    try:
        build_bundle(args.out, wheelhouse=args.wheelhouse)
    except BundlingError as error:
        print(f"build_lambda_deps: {error}", file=sys.stderr)
        return 1
    # Lambda's limit for a .zip function's unzipped code is 250 MB.
    print(f"asset: {args.out.resolve()} ({folder_size_mb(args.out):.1f} MB unzipped, limit 250 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
