"""Building the CDK app: settings from context, the stack, and cdk-nag's AwsSolutions checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks

from infra.context import SKIP_BUNDLING_CONTEXT_KEY, settings_from_context
from infra.stack import HomeostatStack

STACK_ID = "HomeostatStack"
SKIP_BUNDLING = {SKIP_BUNDLING_CONTEXT_KEY: True}


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None
) -> tuple[App, HomeostatStack]:
    """The app with one environment-agnostic stack (no account/region: synth makes no AWS calls)."""
    app = App(context=dict(context or {}), outdir=outdir)
    settings = settings_from_context(app.node.try_get_context)
    stack = HomeostatStack(
        app,
        STACK_ID,
        settings=settings,
        stack_name=settings.stack_name,
        description=f"Homeostat ({settings.env}): error reports to fix pull requests",
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack
