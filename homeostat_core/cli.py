"""`homeostat` command line: one subcommand module per capability under homeostat_core/commands/.

Each module exposes `register(subparsers)`, adding its parser with `set_defaults(func=...)`;
`func(args)` returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Order is the order shown in --help.
COMMAND_MODULES = (
    "config",
    "fingerprint",
    "symbolicate",
    "sourcemaps",
    "attempts",
    "patterns",
    "report",
    "local",
    "doctor",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="homeostat", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"homeostat_core.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"homeostat_core.commands.{name}":
                continue  # a capability not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
