"""`homeostat` command line: one subcommand module per capability under homeostat_core/commands/.

Each module exposes `register(subparsers)`, adding its parser with `set_defaults(func=...)`;
`func(args)` returns the exit code. Every failure leaves as one message and a documented exit
code (homeostat_core/commands/_errors.py); `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from homeostat_core.commands._errors import (
    EXIT_ENVIRONMENT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_PIPE_CLOSED,
    STATE_HINT,
    CliError,
)
from homeostat_core.config import ConfigError
from homeostat_core.fixing.model_settings import ModelSettingsError
from homeostat_core.local.runner import StateFolderError
from homeostat_core.settings import SettingsError, get_settings

# Order is the order shown in --help.
COMMAND_MODULES = (
    "config",
    "fingerprint",
    "symbolicate",
    "sourcemaps",
    "context",
    "attempts",
    "patterns",
    "report",
    "try_extension",
    "local",
    "doctor",
)

DESCRIPTION = (
    "Homeostat turns the error reports your browser extensions file as GitHub issues into draft fix "
    "PRs. These commands check its configuration, show what it would do with an error, read what "
    "it did, and run it on this machine."
)
EPILOG = (
    "exit codes: 0 ok, 1 problems found, 2 bad flags or arguments, 3 unusable input, "
    "4 missing settings/credentials/state, 70 internal error, 130 interrupted, 141 output pipe closed. "
    "--debug (anywhere on the line, or HOMEOSTAT_DEBUG=1) prints the traceback of a failure."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="homeostat", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "--debug", action="store_true", help="when a command fails, print the full traceback too"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"homeostat_core.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"homeostat_core.commands.{name}":
                continue  # a capability not built yet
            raise
        module.register(subparsers)
    _describe_commands(parser)
    return parser


def _describe_commands(parser: argparse.ArgumentParser) -> None:
    """A command's `--help` opens with what the command list says it does, unless it says more."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if sub.description is None and helps.get(name):
                    sub.description = helps[name][0].upper() + helps[name][1:] + "."
                _describe_commands(sub)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted after the subcommand too: it is the flag people add when something failed.
    debug = "--debug" in argv or os.environ.get("HOMEOSTAT_DEBUG", "") not in ("", "0")
    argv = [arg for arg in argv if arg != "--debug"]
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handling below
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE_CLOSED
    except KeyboardInterrupt:
        print("homeostat: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        error = explain(exc)
        if debug:
            traceback.print_exc()
        print(error.render(), file=sys.stderr)
        if error.exit_code == EXIT_INTERNAL and not debug:
            print("  (rerun with --debug for the traceback)", file=sys.stderr)
        return error.exit_code


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (captured in tests): nothing will flush to a pipe


def explain(exc: BaseException) -> CliError:
    """The one-message form of any failure; errors Homeostat does not know are internal errors."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, StateFolderError):
        return CliError(str(exc), exc.next_step)
    if isinstance(exc, ConfigError):
        problems = "\n  ".join(exc.problems)
        return CliError(
            f"the configuration has {len(exc.problems)} problem(s):\n  {problems}",
            "fix them (`homeostat config check FILE` lists them all) or pass another file with --config",
        )
    if isinstance(exc, SettingsError):
        return CliError(str(exc), "fix or unset that environment variable", exit_code=EXIT_ENVIRONMENT)
    if isinstance(exc, ModelSettingsError):
        return CliError(
            "the model settings have problems:\n  " + "\n  ".join(exc.problems),
            "fix them (see docs/TIERS.md)",
            exit_code=EXIT_ENVIRONMENT,
        )
    module = type(exc).__module__ or ""
    if type(exc).__name__ == "StateStoreError" or module.startswith(("botocore", "pynamodb")):
        cause = _root_cause(exc)
        why = f" ({_one_line(cause)})" if cause is not exc else ""
        return CliError(
            f"the state store cannot be reached: {_one_line(exc)}{why}",
            state_store_hint(),
            exit_code=EXIT_ENVIRONMENT,
        )
    if isinstance(exc, UnicodeDecodeError):
        return CliError(f"a file is not UTF-8 text: {exc.reason} at byte {exc.start}")
    if isinstance(exc, OSError) and exc.filename is not None:
        return CliError(f"{exc.filename}: {exc.strerror or _one_line(exc)}", "check the path and try again")
    if module.startswith("yaml"):
        return CliError(f"not valid YAML: {_one_line(exc)}")
    return CliError(
        f"internal error: {type(exc).__name__}: {_one_line(exc)}",
        "this is a bug in Homeostat; please report it with the --debug output",
        exit_code=EXIT_INTERNAL,
    )


def state_store_hint() -> str:
    """What to check when the tables cannot be reached: the network, the endpoint, the region and
    the tables, as this environment sets them."""
    try:
        settings = get_settings()
    except SettingsError:
        return STATE_HINT
    endpoint = (
        f"{settings.endpoint_url} (AWS_ENDPOINT_URL)"
        if settings.endpoint_url
        else f"https://dynamodb.{settings.region}.amazonaws.com (the region's own)"
    )
    return (
        f"check that this machine's network reaches the endpoint {endpoint}, that region "
        f"{settings.region} (AWS_REGION) is the stack's, and that the tables {settings.attempts_table}, "
        f"{settings.patterns_table} and {settings.runs_table} (HOMEOSTAT_ATTEMPTS_TABLE, "
        "HOMEOSTAT_PATTERNS_TABLE, HOMEOSTAT_RUNS_TABLE) exist there; or read local state with "
        "--state DIR (`make demo` leaves one in .work/demo)"
    )


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost error (botocore's "Could not connect to the endpoint URL", a missing table...)."""
    seen = {id(exc)}
    while (exc.__cause__ or exc.__context__) is not None and id(exc.__cause__ or exc.__context__) not in seen:
        exc = exc.__cause__ or exc.__context__
        seen.add(id(exc))
    return exc


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
