"""The state a command reads: the deployed tables (settings), or a local-mode state folder."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def add_state_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        type=Path,
        help="a local-mode state folder (as `homeostat local run --state DIR` keeps) instead of the deployed tables",
    )


@contextmanager
def open_state(args: argparse.Namespace) -> Iterator:
    """DynamoState for the command; with --state, moto is started on that folder (and saved back)."""
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.settings import get_settings

    if getattr(args, "state", None):
        from homeostat_core.local.runner import LocalStack

        with LocalStack(args.state, echo=lambda _: None):
            yield DynamoState.from_settings(get_settings())
    else:
        yield DynamoState.from_settings(get_settings())
