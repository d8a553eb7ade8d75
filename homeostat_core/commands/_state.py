"""The state a command reads: the deployed tables (settings), or a local-mode state folder."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from homeostat_core.commands._errors import EXIT_ENVIRONMENT, STATE_HINT, CliError
from homeostat_core.local.runner import LocalStack, require_state
from homeostat_core.settings import get_settings


def add_state_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        type=Path,
        metavar="DIR",
        help="read a local state folder (made by `homeostat local run --state DIR`) instead of the "
        "deployed stack's tables",
    )


@contextmanager
def open_state(args: argparse.Namespace) -> Iterator:
    """DynamoState for the command; with --state, moto is started on that folder (and saved back)."""
    # lazy: PynamoDB loads only where state is used
    from homeostat_core.adapters.dynamo import DynamoState

    if getattr(args, "state", None):
        require_state(args.state)
        with LocalStack(args.state, echo=lambda _: None):
            yield DynamoState.from_settings(get_settings())
    else:
        settings = get_settings()
        if not settings.endpoint_url:
            require_aws_credentials(command_name(args))
        yield DynamoState.from_settings(settings)


def command_name(args: argparse.Namespace) -> str:
    """`attempts list`, `report`...: the command as typed, for messages."""
    action = getattr(args, f"{args.command}_command", None)
    return f"{args.command} {action}" if action else args.command


def require_aws_credentials(command: str) -> None:
    """Fail in one line, before any AWS call, when no credentials are configured at all."""
    import boto3

    # Lambda and CI set these; the full chain (profiles, SSO, instance metadata) is boto3's.
    if os.environ.get("AWS_ACCESS_KEY_ID") or boto3.Session().get_credentials() is not None:
        return
    raise CliError(
        f"`homeostat {command}` reads Homeostat's state, and neither --state nor AWS credentials were given",
        STATE_HINT,
        exit_code=EXIT_ENVIRONMENT,
    )
