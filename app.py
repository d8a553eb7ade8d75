#!/usr/bin/env python3
"""CDK entry point (cdk.json): `cdk synth`, `cdk deploy -c env=production`. See docs/DEPLOY.md."""

from __future__ import annotations

import sys

from homeostat_core.config import ConfigError
from infra.context import DeploymentContextError


def main() -> int:
    from infra.app import build_app

    try:
        app, _stack = build_app()
    except (DeploymentContextError, ConfigError) as error:
        print(f"homeostat synth: {error}", file=sys.stderr)
        return 2
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
