"""`homeostat attempts list REPO`: the attempt state of every fingerprint of a repo."""

from __future__ import annotations

import argparse

from homeostat_core.attempts import to_utc_seconds
from homeostat_core.commands._state import add_state_option, open_state, require_known_repo
from homeostat_core.models import AttemptState

COLUMNS = ("fingerprint", "attempts", "lastResult", "backoffUntil", "pr")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("attempts", help="show each error's fix attempts, cooldown and PR")
    sub = parser.add_subparsers(dest="attempts_command", metavar="ACTION", required=True)
    listing = sub.add_parser(
        "list", help="one row per error of REPO: attempts, last result, cooldown end, PR"
    )
    listing.add_argument("repo", metavar="REPO", help="the repository, owner/name")
    add_state_option(listing)
    listing.set_defaults(func=list_command)


def attempt_row(state: AttemptState) -> tuple[str, ...]:
    return (
        state.fingerprint_id,
        str(state.attempts),
        state.last_result or "-",
        to_utc_seconds(state.backoff_until) if state.backoff_until else "-",
        f"#{state.pr_number}" if state.pr_number is not None else "-",
    )


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines)


def list_command(args: argparse.Namespace) -> int:
    with open_state(args) as state:
        attempts = sorted(state.attempts.list(args.repo), key=lambda a: a.fingerprint_id)
    require_known_repo(args, recorded=bool(attempts))
    if not attempts:
        print(f"no attempts recorded for {args.repo}")
        return 0
    print(format_table(COLUMNS, [attempt_row(a) for a in attempts]))
    return 0
