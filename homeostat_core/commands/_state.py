"""The state a command reads: the deployed tables (settings), or a local-mode state folder."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from homeostat_core.commands._errors import EXIT_ENVIRONMENT, STATE_HINT, CliError
from homeostat_core.config import default_config_path, load_config
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


def require_known_repo(args: argparse.Namespace, recorded: bool) -> None:
    """A REPO (or --repo) that Homeostat neither runs nor has anything recorded for is a typo:
    an error (exit 3) naming the ones it knows, not an empty answer."""
    slug = getattr(args, "repo", None)
    if not slug or recorded:
        return
    known = known_repositories(args)
    if slug.lower() in {k.lower() for k in known}:
        return
    where = f"the state folder {args.state}" if getattr(args, "state", None) else "the configured repos.yml"
    raise CliError(
        f"{slug} is not a repository of {where}, and nothing is recorded for it",
        f"use one of: {', '.join(sorted(known))}" if known else "check the name (owner/name)",
    )


def known_repositories(args: argparse.Namespace) -> set[str]:
    """The repositories of a state folder's forge, or of the repos.yml the deployment runs."""
    if getattr(args, "state", None):
        forge = Path(args.state) / "forge"
        if not forge.is_dir():
            return set()
        return {
            f"{o.name}/{r.name}" for o in forge.iterdir() if o.is_dir() for r in o.iterdir() if r.is_dir()
        }
    return {
        repo.slug for repo in load_config(get_settings().repos_file or default_config_path()).repositories
    }
