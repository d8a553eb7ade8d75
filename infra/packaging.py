"""The Lambda code asset, built without Docker.

The asset is the repository's code folders (functions/, homeostat_core/, .homeostat/) plus the
runtime dependencies from pyproject.toml, installed by the local pip as manylinux aarch64 wheels
for the Lambda Python version. CDK calls `LocalPythonBundling.try_bundle` during synth; the asset
hash is computed here from the sources and the dependency list, so an unchanged asset is reused
from cdk.out without running pip again.

When bundling is skipped (context `aws:cdk:bundling-stacks` = [], as the tests do) CDK stages
nothing and the template points at the source folder; pip is never run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra.context import REPO_ROOT

CODE_FOLDERS = ("functions", "homeostat_core", ".homeostat")
LAMBDA_PYTHON_VERSION = "3.12"
# Lambda python3.12 runs on Amazon Linux 2023 (glibc 2.34): wheels up to manylinux_2_34 load there.
WHEEL_PLATFORMS = ("manylinux_2_34_aarch64", "manylinux_2_28_aarch64", "manylinux2014_aarch64")
WHEELHOUSE_ENV = "HOMEOSTAT_WHEELHOUSE"
IGNORED_NAMES = ("__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache")


class BundlingError(RuntimeError):
    """The Lambda asset could not be built (pip failed, or a code folder is missing)."""


def runtime_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """`[project].dependencies` from pyproject.toml: the packages the functions import."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def _code_files(root: Path) -> Iterator[Path]:
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                yield path


def asset_digest(root: Path = REPO_ROOT, requirements: Sequence[str] | None = None) -> str:
    """A hash of everything that goes into the asset: code files, dependency pins, target platform."""
    digest = hashlib.sha256()
    recipe = [*(requirements if requirements is not None else runtime_requirements()), LAMBDA_PYTHON_VERSION]
    digest.update("\n".join([*recipe, *WHEEL_PLATFORMS]).encode())
    for path in _code_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def pip_install_command(
    requirements: Sequence[str], target: Path, wheelhouse: Path | None = None
) -> list[str]:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--target", str(target), "--python-version", LAMBDA_PYTHON_VERSION, "--implementation", "cp"]
    for platform in WHEEL_PLATFORMS:
        command += ["--platform", platform]
    # Binary wheels only: a source build would compile for this machine, not for Lambda's arm64.
    command += ["--only-binary=:all:", "--no-compile"]
    if wheelhouse is not None:
        command += ["--no-index", "--find-links", str(wheelhouse)]
    return [*command, *requirements]


def copy_code(root: Path, out_dir: Path) -> None:
    for folder in CODE_FOLDERS:
        source = root / folder
        if not source.is_dir():
            raise BundlingError(f"code folder missing: {source}")
        shutil.copytree(
            source, out_dir / folder, ignore=shutil.ignore_patterns(*IGNORED_NAMES), dirs_exist_ok=True
        )


def build_bundle(out_dir: Path, root: Path = REPO_ROOT, wheelhouse: Path | None = None) -> None:
    """Install the runtime dependencies and copy the code folders into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    requirements = runtime_requirements(root / "pyproject.toml")
    if requirements:
        command = pip_install_command(requirements, out_dir, wheelhouse)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BundlingError(f"pip could not install the Lambda dependencies:\n{result.stderr.strip()}")
    copy_code(root, out_dir)


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """CDK local bundling: runs pip on this machine instead of in a Docker container."""

    def __init__(self, root: Path = REPO_ROOT, wheelhouse: Path | None = None):
        self.root = root
        self.wheelhouse = wheelhouse

    def try_bundle(self, output_dir: str, *, image: Any = None, **_: Any) -> bool:
        # Never fall back to Docker: a failure here is raised with pip's own message.
        build_bundle(Path(output_dir), self.root, self.wheelhouse)
        return True


def default_wheelhouse() -> Path | None:
    """HOMEOSTAT_WHEELHOUSE: a folder of pre-downloaded wheels for bundling without PyPI."""
    value = os.environ.get(WHEELHOUSE_ENV)
    return Path(value) if value else None


def lambda_code(root: Path = REPO_ROOT, wheelhouse: Path | None = None) -> lambda_.Code:
    """One code asset shared by the three functions (CDK uploads it once)."""
    wheelhouse = wheelhouse or default_wheelhouse()
    return lambda_.Code.from_asset(
        str(root),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_digest(root, runtime_requirements(root / "pyproject.toml")),
        bundling=BundlingOptions(
            # Required by the API, never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
            local=LocalPythonBundling(root, wheelhouse),
        ),
    )
