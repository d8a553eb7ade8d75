"""The Docker-free Lambda asset: pip for Lambda's platform, code folders, a content hash."""

from __future__ import annotations

import base64
import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from infra.packaging import (
    CODE_FOLDERS,
    LAMBDA_PYTHON_VERSION,
    WHEEL_PLATFORMS,
    BundlingError,
    LocalPythonBundling,
    asset_digest,
    build_bundle,
    lambda_python,
    pip_install_command,
    runtime_requirements,
    strip_debug_symbols,
)

pytestmark = pytest.mark.xdist_group("infra")


def _fake_repo(root: Path, dependencies: list[str], lock: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(f'[project]\nname = "x"\nversion = "0"\ndependencies = [{deps}]\n')
    (root / "requirements").mkdir()
    (root / "requirements" / "runtime.txt").write_text(lock)
    (root / "functions" / "worker").mkdir(parents=True)
    (root / "functions" / "worker" / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "functions" / "worker" / "__pycache__").mkdir()
    (root / "functions" / "worker" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0")
    (root / "homeostat_core").mkdir()
    (root / "homeostat_core" / "__init__.py").write_text("")
    (root / ".homeostat").mkdir()
    (root / ".homeostat" / "repos.yml").write_text("version: 1\n")
    return root


def _pure_wheel(wheelhouse: Path, name: str) -> Path:
    """A minimal py3-none-any wheel, so pip can install offline from a local folder."""
    wheelhouse.mkdir(exist_ok=True)
    files = {
        f"{name}/__init__.py": b"VALUE = 42\n",
        f"{name}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        f"{name}-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{name}-1.0.dist-info/RECORD,,")
    wheel = wheelhouse / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
        archive.writestr(f"{name}-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def test_runtime_requirements_are_the_project_dependencies_without_extras(tmp_path):
    root = _fake_repo(tmp_path, ["PyYAML>=6.0", "aws-lambda-powertools[tracer]>=3,<4"])
    with (root / "pyproject.toml").open("a") as handle:
        handle.write('[project.optional-dependencies]\ndev = ["pytest>=8"]\n')
    assert runtime_requirements(root / "pyproject.toml") == [
        "PyYAML>=6.0",
        "aws-lambda-powertools[tracer]>=3,<4",
    ]


def test_the_real_runtime_requirements_parse_and_carry_no_environment_markers():
    requirements = [Requirement(r) for r in runtime_requirements()]
    assert requirements and all(r.marker is None for r in requirements)


def test_pip_targets_lambda_python_on_arm_with_binary_wheels_only(tmp_path):
    command = pip_install_command(["PyYAML>=6"], tmp_path / "out")
    joined = " ".join(command)
    assert f"--python-version {LAMBDA_PYTHON_VERSION}" in joined
    assert all(f"--platform {p}" in joined for p in WHEEL_PLATFORMS)
    assert all(p.endswith("aarch64") for p in WHEEL_PLATFORMS)
    assert "--only-binary=:all:" in command and "--no-index" not in command
    assert command[-1] == "PyYAML>=6" and f"--target {tmp_path / 'out'}" in joined
    offline = pip_install_command(["x"], tmp_path, wheelhouse=tmp_path / "wheels")
    assert "--no-index" in offline and str(tmp_path / "wheels") in offline


def test_asset_hash_follows_code_and_dependencies_but_not_bytecode(tmp_path):
    root = _fake_repo(tmp_path, ["a"])
    before = asset_digest(root, ["a"])
    (root / "functions" / "worker" / "__pycache__" / "other.pyc").write_bytes(b"\1")
    assert asset_digest(root, ["a"]) == before
    assert asset_digest(root, ["a>=2"]) != before
    (root / ".homeostat" / "repos.yml").write_text("version: 1\n# changed\n")
    assert asset_digest(root, ["a"]) != before


def _locked(wheel: Path) -> str:
    return f"tinydep==1.0 \\\n    --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}\n"


def test_local_bundling_installs_locked_wheels_copies_the_code_and_compiles_it(tmp_path):
    # Given a repo whose runtime lock pins one package, by hash, available in a local wheelhouse
    wheelhouse = tmp_path / "wheels"
    wheel = _pure_wheel(wheelhouse, "tinydep")
    root = _fake_repo(tmp_path / "repo", ["tinydep"], lock=_locked(wheel))
    out = tmp_path / "out"
    # When CDK calls the local bundler (as it does during synth)
    assert LocalPythonBundling(root, wheelhouse).try_bundle(str(out), image=None) is True
    # Then the package and the code folders are in the asset, with bytecode for Lambda's Python
    assert (out / "tinydep" / "__init__.py").read_text() == "VALUE = 42\n"
    assert all((out / folder).is_dir() for folder in CODE_FOLDERS)
    assert (out / "functions" / "worker" / "handler.py").exists()
    tag = "cpython-" + LAMBDA_PYTHON_VERSION.replace(".", "")
    if lambda_python():
        assert (out / "functions" / "worker" / "__pycache__" / f"handler.{tag}.pyc").exists()
    assert not list(out.rglob("*.cpython-311.pyc"))  # the source tree's own bytecode is not copied


def test_a_wheel_whose_hash_differs_from_the_lock_is_refused(tmp_path):
    wheelhouse = tmp_path / "wheels"
    wheel = _pure_wheel(wheelhouse, "tinydep")
    root = _fake_repo(tmp_path / "repo", ["tinydep"], lock=_locked(wheel).replace("sha256:", "sha256:0"))
    with pytest.raises(BundlingError, match="(?i)hash"):
        build_bundle(tmp_path / "out", root, wheelhouse=wheelhouse)


def test_a_missing_lock_file_says_how_to_make_it(tmp_path):
    root = _fake_repo(tmp_path / "repo", ["tinydep"])
    (root / "requirements" / "runtime.txt").unlink()
    with pytest.raises(BundlingError, match="make lock"):
        build_bundle(tmp_path / "out", root)


def test_a_dependency_pip_cannot_provide_fails_the_bundle_with_pips_reason(tmp_path):
    lock = "package-that-is-not-in-the-wheelhouse==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"
    root = _fake_repo(tmp_path / "repo", ["package-that-is-not-in-the-wheelhouse"], lock=lock)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundlingError, match="package-that-is-not-in-the-wheelhouse"):
        build_bundle(tmp_path / "out", root, wheelhouse=tmp_path / "empty")


@pytest.mark.skipif(
    not (shutil.which("llvm-strip") and shutil.which("gcc")), reason="needs gcc and llvm-strip"
)
def test_native_libraries_lose_their_debug_sections_and_keep_working(tmp_path):
    import ctypes
    import subprocess

    # Given a native library built with debug information
    source = tmp_path / "answer.c"
    source.write_text("int answer(void) { return 42; }\n")
    library = tmp_path / "bundle" / "pkg" / "_answer.so"
    library.parent.mkdir(parents=True)
    subprocess.run(["gcc", "-g3", "-O0", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    before = library.stat().st_size
    # When the bundle's libraries are stripped
    assert strip_debug_symbols(tmp_path / "bundle") == 1
    # Then it is smaller and still loads and runs
    assert library.stat().st_size < before
    assert ctypes.CDLL(str(library)).answer() == 42
