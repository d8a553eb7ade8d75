"""`homeostat config check [FILE]`: print every problem in a repos.yml, or one line of OK."""

from __future__ import annotations

import argparse
import sys

from homeostat_core.config import ConfigError, default_config_path, load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("config", help="check a repos.yml (the repositories Homeostat fixes)")
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check", help="list every problem in a repos.yml (exit 1 if there is any), or say it is OK"
    )
    check.add_argument("file", nargs="?", help="the repos.yml to check (default: .homeostat/repos.yml)")
    check.set_defaults(func=check_command)


def check_command(args: argparse.Namespace) -> int:
    path = args.file or default_config_path()
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"OK: {path}: version {config.version}, {len(config.repositories)} repositories")
    return 0
