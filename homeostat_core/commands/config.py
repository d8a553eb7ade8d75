"""`homeostat config check [FILE]`: print every problem in a repos.yml, or one line of OK."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from homeostat_core.commands._errors import EXIT_PROBLEMS, CliError
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
    """Exit 1 when the file has problems; a file that is not there is unusable input (exit 3)."""
    path = Path(args.file or default_config_path())
    if not path.is_file():
        raise CliError(
            f"{path}: {'is a folder, not a file' if path.is_dir() else 'no such file'}",
            "pass the path of a repos.yml (the bundled one: .homeostat/repos.yml)",
        )
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {path}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"OK: {path}: version {config.version}, {len(config.repositories)} repositories")
    return 0
