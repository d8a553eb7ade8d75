"""The lock files in requirements/ cover pyproject.toml's dependencies, pinned with hashes, and
each layer's pins agree with the layer below (runtime ⊂ demo ⊂ dev), so `make demo`, `make test`,
CI and the Lambda bundle install the same versions (issue 15, item 4)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    return canonical(re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0])


def pins(lock: str) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes)."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonical(match.group(1))
            found[current] = (match.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
LAYERS = {
    "runtime.txt": PROJECT["dependencies"],
    "demo.txt": PROJECT["dependencies"] + EXTRAS["demo"],
    "dev.txt": PROJECT["dependencies"] + EXTRAS["demo"] + EXTRAS["dev"],
}


@pytest.mark.parametrize("lock", sorted(LAYERS))
def test_every_declared_dependency_is_pinned_with_hashes(lock):
    locked = pins(lock)
    declared = {requirement_name(spec) for spec in LAYERS[lock]} - {"homeostat"}
    missing = sorted(declared - set(locked))
    assert not missing, f"requirements/{lock} lacks {missing}: run `make lock` after editing pyproject.toml"
    assert all(hashes > 0 for _, hashes in locked.values())


def test_layers_agree_on_every_shared_version():
    runtime, demo, dev = pins("runtime.txt"), pins("demo.txt"), pins("dev.txt")
    assert set(runtime) <= set(demo) <= set(dev)
    for lower, upper in ((runtime, demo), (demo, dev)):
        assert {name: lower[name][0] for name in lower} == {name: upper[name][0] for name in lower}


def test_the_demo_installs_none_of_the_development_tools():
    demo = pins("demo.txt")
    for tool in ("aws-cdk-lib", "pytest", "hypothesis", "cfn-lint", "ruff", "cdk-nag", "sympy", "uv"):
        assert tool not in demo
    assert "moto" in demo and "flask" in demo  # moto's server parts, which local mode runs
