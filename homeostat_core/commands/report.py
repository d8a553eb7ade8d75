"""`homeostat report`: what the last run of each repository did (or every run in a date range) and
what Homeostat's fix PRs came to, as console tables, markdown or JSON lines."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from homeostat_core.attempts import to_utc_seconds
from homeostat_core.commands._state import add_state_option, open_state, require_known_repo
from homeostat_core.run_report import (
    CONSOLE_LEGEND,
    console_table,
    fix_outcomes,
    jsonl,
    latest_per_repo,
    markdown_table,
    outcomes_jsonl,
    outcomes_table,
)

OUTCOMES_TITLE = "Fix outcomes (merged, closed by people, verified in production, regressions, cost per fix):"


def _date(text: str) -> datetime:
    try:
        return (
            datetime.fromisoformat(text).replace(tzinfo=UTC)
            if "T" not in text
            else datetime.fromisoformat(text)
        )
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date: {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="what the last runs did and what the fix PRs came to",
        description="Print what the last run of each repository did (issues read, PRs opened, cost...) "
        "and what Homeostat's fix PRs came to (merged, closed, verified, regressions, cost per fix).",
    )
    parser.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="every run from this day on (2026-11-01), not only the last",
    )
    parser.add_argument(
        "--until",
        type=_date,
        metavar="DATE",
        help="every run up to this moment (2026-11-30 or 2026-11-30T12:00)",
    )
    parser.add_argument("--repo", metavar="OWNER/NAME", help="only this repository")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--markdown", action="store_true", help="print markdown tables (for an issue or a wiki)"
    )
    output.add_argument(
        "--jsonl",
        action="store_true",
        help="print every run record and each repository's fix outcomes as JSON lines (for scripts)",
    )
    add_state_option(parser)
    parser.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:
    with open_state(args) as state:
        records = state.runs.list(repo=args.repo, since=args.since, until=args.until)
        # what the PRs came to: every run in the window (all time by default) and the attempt rows
        history = records if (args.since or args.until) else state.runs.list(repo=args.repo)
        rows = [row for repo in sorted({r.repo for r in history}) for row in state.attempts.list(repo)]
    require_known_repo(args, recorded=bool(history))
    if not (args.since or args.until):
        records = latest_per_repo(records)
    records.sort(key=lambda r: (r.repo, r.timestamp))
    if not records:
        print("no runs recorded")
        return 0
    outcomes = fix_outcomes(rows, history)
    if args.jsonl:
        print(jsonl(records))
        print(outcomes_jsonl(outcomes))
        return 0
    if args.markdown:
        print(markdown_table(records))
        print()
        print(OUTCOMES_TITLE)
        print(outcomes_table(outcomes))
        return 0
    if args.since or args.until:
        by_run: dict[str, list] = {}
        for record in sorted(records, key=lambda r: (r.timestamp, r.repo)):
            by_run.setdefault(record.run_id, []).append(record)
        for run in by_run.values():
            print(f"Run at {to_utc_seconds(run[0].timestamp)}:")
            print(console_table(sorted(run, key=lambda r: r.repo)))
    else:
        print("Last run of each repository:")
        print(console_table(records))
    print(CONSOLE_LEGEND)
    print()
    print(OUTCOMES_TITLE)
    print(outcomes_table(outcomes, console=True))
    return 0
