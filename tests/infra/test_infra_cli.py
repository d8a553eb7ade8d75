"""The pinned CDK CLI synthesizes the app offline (bundling skipped via -c skipBundling=true)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.context import REPO_ROOT

pytestmark = pytest.mark.xdist_group("infra-cli")

CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"


def _cdk(*args: str, outdir: Path) -> subprocess.CompletedProcess:
    if not CDK.exists():
        pytest.skip("node_modules/.bin/cdk is missing: run `npm install` (the Makefile does before tests)")
    env = {
        **os.environ,
        # cdk.json runs `python3 app.py`: this interpreter's folder first, as `make synth` does.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    command = [
        str(CDK),
        "synth",
        "--quiet",
        "--no-notices",
        "-o",
        str(outdir),
        "-c",
        "skipBundling=true",
        *args,
    ]
    return subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240, check=False
    )


def test_cdk_cli_synthesizes_the_production_template_offline(tmp_path):
    result = _cdk("-c", "env=production", outdir=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    template = json.loads((tmp_path / "HomeostatStack.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 4  # scheduler, worker, webhook, waker
    assert {f["Properties"]["Environment"]["Variables"]["HOMEOSTAT_ENV"] for f in functions} == {"production"}
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert [v for p in report["pluginReports"] for v in p.get("violations", [])] == []


def test_app_entry_point_refuses_an_unknown_environment_with_a_clear_message(tmp_path):
    # Given the context the CLI would hand to `python3 app.py` for `-c env=staging`
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"env": "staging"}), "CDK_OUTDIR": str(tmp_path)}
    # When the app runs, Then it exits non-zero naming the allowed values, and writes no template
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "env='staging' is not allowed; use -c env=<dev|test|production>" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "HomeostatStack.template.json").exists()
