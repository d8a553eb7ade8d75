"""The docs match the program (issue 15, item 8).

- Every line of a ```sh block in README.md and docs/*.md that starts with `homeostat ` runs,
  in order per file, against one local state folder, and must exit 0; a `# prints: TEXT` line
  after a command says what its output must contain.
- Every inline `homeostat ...` command in those files parses with the real argument parser
  (placeholders such as FILE, DIR, OWNER/NAME are filled in), so a renamed flag fails here.
- The run-record fields OPERATIONS.md lists are exactly the keys `homeostat report --jsonl` prints.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from homeostat_core import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SH_BLOCK = re.compile(r"^```(?:sh|bash|shell)\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`(homeostat [^`]+)`")
STATE_IN_DOCS = ".work/mine"
PLACEHOLDERS = {
    "OWNER/NAME": "littlebearapps/notebridge",
    "REPO": "littlebearapps/notebridge",
    "FILE.md": "examples/issues/notebridge/01-analytics-shim.md",
    "FILE": "library.json",
    "DIR": STATE_IN_DOCS,
    "DATE": "2026-11-01",
    "N": "1",
}


def sh_commands(path: Path) -> list[tuple[str, list[str]]]:
    """(command, expected output fragments) for every `homeostat ` line of the file's sh blocks."""
    commands: list[tuple[str, list[str]]] = []
    for block in SH_BLOCK.findall(path.read_text(encoding="utf-8")):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("homeostat "):
                commands.append((line.split("  #")[0].strip(), []))
            elif line.startswith("# prints:") and commands:
                commands[-1][1].append(line.removeprefix("# prints:").strip())
    return commands


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out + err


DOCS_WITH_COMMANDS = [path for path in DOCS if sh_commands(path)]


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS_WITH_COMMANDS, ids=lambda p: p.name)
def test_every_shell_command_in_the_docs_runs(doc, tmp_path, monkeypatch, capsys):
    # Given a working folder where the docs' relative paths resolve as in a clone
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    for name in ("HOMEOSTAT_ENV", "HOMEOSTAT_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for command, expected in sh_commands(doc):
        argv = shlex.split(command)[1:]
        # When the command runs
        code, output = run_cli(argv, capsys)
        # Then it succeeds and says what the docs say it says
        assert code == 0, f"{doc.name}: `{command}` exited {code}:\n{output}"
        assert "Traceback" not in output
        for fragment in expected:
            assert fragment in output, f"{doc.name}: `{command}` did not print {fragment!r}:\n{output}"


def inline_commands() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        for command in INLINE.findall(path.read_text(encoding="utf-8")):
            if " / " in command or "..." in command or "…" in command:
                continue  # a list of subcommands in one cell, not one command
            found.append((path.name, command))
    return found


def fill_placeholders(command: str) -> list[str]:
    command = re.split(r"\s\\?\|\s", command)[0]  # the part before a shell pipe
    words = []
    for word in shlex.split(command.replace("[", " ").replace("]", " "))[1:]:
        words.append(PLACEHOLDERS.get(word, word))
    return words


@pytest.mark.parametrize(("doc", "command"), inline_commands(), ids=lambda v: v if " " in v else None)
def test_every_inline_command_in_the_docs_parses(doc, command, capsys):
    parser = cli.build_parser()
    try:
        args = parser.parse_args(fill_placeholders(command))
    except SystemExit:
        pytest.fail(f"{doc}: `{command}` is not a valid command line:\n{capsys.readouterr().err}")
    assert getattr(args, "func", None) is not None or args.command is None


def test_operations_lists_exactly_the_run_record_fields(capsys):
    from datetime import UTC, datetime

    from homeostat_core.models import RunRecord
    from homeostat_core.run_report import jsonl

    text = (ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    section = text.split("## The run record", 1)[1].split("and `outcomes`", 1)[0]
    documented = set(re.findall(r"`([a-z][A-Za-z]*)`", section)) | {"outcomes"}
    printed = set(json.loads(jsonl([RunRecord(run_id="r", repo="a/b", timestamp=datetime.now(UTC))])))
    assert documented == printed, (
        f"documented, not printed: {sorted(documented - printed)}; "
        f"printed, not documented: {sorted(printed - documented)}"
    )
