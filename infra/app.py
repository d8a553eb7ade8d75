"""Building the CDK app: settings from context, the stack, and cdk-nag's AwsSolutions checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.context import REPOS_FILE, SKIP_BUNDLING_CONTEXT_KEY, settings_from_context
from infra.stack import HomeostatStack

STACK_ID = "HomeostatStack"
SKIP_BUNDLING = {SKIP_BUNDLING_CONTEXT_KEY: True}


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None, repos_file: Path = REPOS_FILE
) -> tuple[App, HomeostatStack]:
    """The app with one environment-agnostic stack (no account/region: synth makes no AWS calls).

    `repos_file`: tests synthesize other repo lists (the deployed functions read the bundled one)."""
    app = App(context=dict(context or {}), outdir=outdir)
    settings = settings_from_context(app.node.try_get_context, repos_file)
    stack = HomeostatStack(
        app,
        STACK_ID,
        settings=settings,
        stack_name=settings.stack_name,
        description=f"Homeostat ({settings.env}): error reports to fix pull requests",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
