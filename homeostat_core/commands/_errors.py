"""How a command fails: one message (what went wrong, where, what to do next) and a documented exit code.

Commands raise `CliError` for what they can name themselves; `homeostat_core.cli.main` turns every
other known error (config, settings, state, files) into the same one-message form, and prints a
traceback only with `--debug`. The exit codes are listed in README.md ("Exit codes").
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1  # the command ran and found problems (config check, doctor, a rejected import)
EXIT_USAGE = 2  # bad flags or arguments (argparse's own code)
EXIT_INPUT = 3  # a file or value given to the command cannot be used
EXIT_ENVIRONMENT = 4  # settings, credentials, state or a service the command needs are not available
EXIT_INTERNAL = 70  # a bug in Homeostat: rerun with --debug and report the traceback
EXIT_INTERRUPTED = 130  # Ctrl-C
EXIT_PIPE_CLOSED = 141  # the reader of our output went away (`| head`): like any Unix tool, quietly

STATE_HINT = (
    "point the command at local state with `--state DIR` (a folder `homeostat local run --state DIR` "
    "or `homeostat local demo` created; `make demo` leaves one in .work/demo), or at the deployed "
    "tables with AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), AWS_REGION "
    "and the HOMEOSTAT_*_TABLE names the stack sets"
)


class CliError(Exception):
    """A failure the user can act on: `what` went wrong (naming the file, key or value) and `next_step`."""

    def __init__(self, what: str, next_step: str | None = None, *, exit_code: int = EXIT_INPUT):
        super().__init__(what)
        self.what = what
        self.next_step = next_step
        self.exit_code = exit_code

    def render(self, width: int = 100) -> str:
        """Wrapped to `width` columns; lines the message itself breaks (a list of problems) are kept."""
        out = [_wrap(line, width, "    ") for line in f"homeostat: error: {self.what}".splitlines()]
        if self.next_step:
            out.append(_wrap(f"  next: {self.next_step}", width, "        "))
        return "\n".join(out)


def _wrap(text: str, width: int, indent: str) -> str:
    import textwrap

    return textwrap.fill(
        text, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )
