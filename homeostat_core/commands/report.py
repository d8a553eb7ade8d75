"""`homeostat report`: the per-repo summary of the last run (or a date range), or JSON lines."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from homeostat_core.commands._state import add_state_option, open_state
from homeostat_core.run_report import fix_outcomes, jsonl, latest_per_repo, markdown_table, outcomes_table


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
    parser = subparsers.add_parser("report", help="per-repo run summary (markdown) or --jsonl records")
    parser.add_argument("--since", type=_date, help="first day (ISO date); default: the last run per repo")
    parser.add_argument("--until", type=_date, help="last moment (ISO date or datetime)")
    parser.add_argument("--repo", help="only this owner/name")
    parser.add_argument("--jsonl", action="store_true", help="print the run records as JSON lines")
    add_state_option(parser)
    parser.set_defaults(func=report_command)


def report_command(args: argparse.Namespace) -> int:

    with open_state(args) as state:
        records = state.runs.list(repo=args.repo, since=args.since, until=args.until)
        # what the PRs came to: every run in the window (all time by default) and the attempt rows
        history = records if (args.since or args.until) else state.runs.list(repo=args.repo)
        rows = [row for repo in sorted({r.repo for r in history}) for row in state.attempts.list(repo)]
    if not (args.since or args.until):
        records = latest_per_repo(records)
    records.sort(key=lambda r: (r.repo, r.timestamp))
    if not records:
        print("no runs recorded")
        return 0
    if args.jsonl:
        print(jsonl(records))
        return 0
    print(markdown_table(records))
    print()
    print("Fix outcomes (merged, closed by people, verified in production, regressions, cost per fix):")
    print(outcomes_table(fix_outcomes(rows, history)))
    return 0
