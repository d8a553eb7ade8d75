"""The Lambda code asset, built without Docker.

The asset is the repository's code folders (functions/, homeostat_core/, .homeostat/) plus the
runtime dependencies locked with hashes in requirements/runtime.txt (the same lock `make` and CI
use), installed by the local pip as manylinux aarch64 wheels for the Lambda Python version, and
compiled to bytecode for that version so a cold start does not compile. CDK calls
`LocalPythonBundling.try_bundle` during synth; the asset hash is computed here from the sources
and the lock file, so an unchanged asset is reused from cdk.out without running pip again.

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


RUNTIME_LOCK = Path("requirements") / "runtime.txt"


def runtime_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """`[project].dependencies` from pyproject.toml: the packages the functions import (what
    `make lock` pins, with hashes, into requirements/runtime.txt)."""
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def runtime_lock(root: Path = REPO_ROOT) -> Path:
    lock = root / RUNTIME_LOCK
    if not lock.is_file():
        raise BundlingError(f"no lock file {lock}: run `make lock` to pin the runtime dependencies")
    return lock


def _code_files(root: Path) -> Iterator[Path]:
    for folder in CODE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                yield path


def asset_digest(root: Path = REPO_ROOT, requirements: Sequence[str] | None = None) -> str:
    """A hash of everything that goes into the asset: code files, the locked pins, target platform."""
    digest = hashlib.sha256()
    pins = requirements if requirements is not None else runtime_lock(root).read_text().splitlines()
    recipe = [*pins, LAMBDA_PYTHON_VERSION]
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
    """Install the locked runtime dependencies, copy the code folders into `out_dir`, and compile
    everything to bytecode for Lambda's Python."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = pip_install_command(["--require-hashes", "-r", str(runtime_lock(root))], out_dir, wheelhouse)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"pip could not install the Lambda dependencies:\n{result.stderr.strip()}")
    copy_code(root, out_dir)
    strip_debug_symbols(out_dir)
    compile_bytecode(out_dir)


def strip_debug_symbols(out_dir: Path) -> int:
    """Remove debug sections from the bundle's native libraries (symbolic's is 74 MB, 6 MB without
    them) with llvm-strip, which handles Lambda's aarch64 ELF on any machine. Only debug data goes:
    the code and its symbols stay. Without llvm-strip the bundle is just bigger. Returns how many
    libraries were stripped."""
    strip = shutil.which("llvm-strip")
    if strip is None:
        print("warning: no llvm-strip on PATH: native libraries keep their debug symbols", file=sys.stderr)
        return 0
    libraries = sorted(out_dir.rglob("*.so"))
    for library in libraries:
        result = subprocess.run(
            [strip, "--strip-debug", str(library)], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise BundlingError(
                f"llvm-strip failed on {library.relative_to(out_dir)}: {result.stderr.strip()}"
            )
    return len(libraries)


def lambda_python() -> str | None:
    """A working python3.12 on this machine (PATH, else a pyenv install), or None."""
    name = f"python{LAMBDA_PYTHON_VERSION}"
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [
        shutil.which(name),
        *sorted(str(p) for p in pyenv.glob(f"{LAMBDA_PYTHON_VERSION}*/bin/{name}")),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def compile_bytecode(out_dir: Path) -> bool:
    """`.pyc` files for Lambda's Python version (a cold start then skips compiling: ~2x faster
    imports). unchecked-hash: Lambda's read-only file system never changes the sources. Needs
    python3.12 on PATH; without it the bundle still works, only its cold starts are slower."""
    python = lambda_python()
    if python is None:
        print(
            f"warning: no python{LAMBDA_PYTHON_VERSION} on PATH: the Lambda bundle ships without bytecode",
            file=sys.stderr,
        )
        return False
    command = [
        python,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        str(out_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"compileall failed:\n{(result.stdout + result.stderr).strip()}")
    return True


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
        asset_hash=asset_digest(root),
        bundling=BundlingOptions(
            # Required by the API, never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
            local=LocalPythonBundling(root, wheelhouse),
        ),
    )
