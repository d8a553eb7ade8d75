"""Infra fixtures: the stack synthesized in-process once per session (bundling skipped, no pip)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import infra  # noqa: F401  (silences jsii's Node banner before aws_cdk loads)
from infra.app import SKIP_BUNDLING, build_app
from infra.context import REPO_ROOT


def cdk_json_context() -> dict[str, Any]:
    """The feature flags the CLI would pass from cdk.json, so in-process synth matches `cdk synth`."""
    return json.loads((REPO_ROOT / "cdk.json").read_text())["context"]


@dataclass
class Synthesis:
    stack: Any
    outdir: Path
    template: dict[str, Any]
    validation_error: str | None
    resources: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.resources = self.template["Resources"]

    def of_type(self, cfn_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}

    def function(self, handler_module: str) -> tuple[str, dict[str, Any]]:
        """(logical id, resource) of the function whose handler is functions.<module>.handler.handler."""
        matches = [
            (k, v)
            for k, v in self.of_type("AWS::Lambda::Function").items()
            if v["Properties"]["Handler"] == f"functions.{handler_module}.handler.handler"
        ]
        assert len(matches) == 1, f"expected one {handler_module} function, got {len(matches)}"
        return matches[0]

    def validation_report(self) -> dict[str, Any]:
        return json.loads((self.outdir / "validation-report.json").read_text())


def synthesize(outdir: Path, repos_file: Path | None = None, **context: Any) -> Synthesis:
    app, stack = build_app(
        {**cdk_json_context(), **SKIP_BUNDLING, **context},
        outdir=str(outdir),
        **({"repos_file": repos_file} if repos_file else {}),
    )
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag violations surface as jsii's ValidationFailed
        error = str(exc)
    template = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
    return Synthesis(stack=stack, outdir=outdir, template=template, validation_error=error)


@pytest.fixture(scope="session")
def dev_synth(tmp_path_factory) -> Synthesis:
    return synthesize(tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def production_synth(tmp_path_factory) -> Synthesis:
    return synthesize(tmp_path_factory.mktemp("cdk-prod"), env="production")
