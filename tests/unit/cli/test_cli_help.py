"""Every command and option says what it does for a user (issue 25): a walk over the real parser."""

from __future__ import annotations

import argparse
import re

import pytest

from homeostat_core import cli

# Words that belong to Homeostat's code, not to what a user reads in --help.
JARGON = re.compile(
    r"\bTODO\b|\bFIXME\b|\bXXX\b|\bTBD\b|homeostat_core|\w\.py\b|\bmoto\b|boto3|pynamo|\bthe seed\b|"
    r"\bforge\b|→|\bN/A\b|\bfunc\b|_command\b"
)


def commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ("homeostat",)):
    """(path, parser, its one-line help in its parent's list) for every command, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from commands(sub, (*path, name))


def options(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        yield "/".join(action.option_strings) or action.dest, action.help


def problem(text: str | None) -> str | None:
    if not text or not text.strip():
        return "no help text"
    if text.strip() == "==SUPPRESS==":
        return None
    found = JARGON.search(text)
    if found:
        return f"internal jargon {found.group(0)!r}: {text!r}"
    if len(text.split()) < 2:
        return f"too short to tell a user anything: {text!r}"
    return None


def every_text() -> list[tuple[str, str | None]]:
    top = cli.build_parser()
    texts = [("homeostat (description)", top.description), *(("homeostat " + n, h) for n, h in options(top))]
    for path, parser, one_line in commands(top):
        name = " ".join(path)
        texts.append((name, one_line))
        texts.append((f"{name} (description)", parser.description))
        texts += [(f"{name} {option}", text) for option, text in options(parser)]
    return texts


def test_the_walk_reaches_every_command_and_option():
    # the checker below is only as good as the walk: it must see the nested commands and their options
    names = {name for name, _ in every_text()}
    assert {"homeostat report", "homeostat report --jsonl", "homeostat local run --later"} <= names
    assert "homeostat patterns export file" in names and "homeostat --debug" in names
    assert len(names) > 60


def test_every_command_and_option_has_user_facing_help():
    problems = [f"{name}: {why}" for name, text in every_text() if (why := problem(text))]
    assert not problems, "help texts to write for users:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("run the whole loop locally (moto + local forge + model)", True),
        ("see homeostat_core/commands/report.py", True),
        ("TODO: describe", True),
        ("scheduler → queue → worker", True),
        (None, True),
        ("owner", True),
        ("the repository, owner/name", False),
        ("print every run record as JSON lines (for scripts)", False),
    ],
)
def test_the_checker_flags_developer_text(text, flagged):
    assert (problem(text) is not None) is flagged


def test_every_command_prints_its_help(capsys):
    for path, _, _ in commands(cli.build_parser()):
        with pytest.raises(SystemExit) as exit_:
            cli.build_parser().parse_args([*path[1:], "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: " + " ".join(path)), out
        assert "Traceback" not in out
