"""The docs match the program (issues 15, 21 and 25).

Names. Every function, attribute, module, file, label and repos.yml key that README.md and
docs/*.md name in backticks exists in the code (tests/support/docs_names.py says how each shape of
name is resolved); a failure names the doc, the line and the name. NOT_CODE lists the few
backticked names that look like code but are not in it, each with its reason.

Commands. Every command of a fenced block runs when it can run offline, and is skipped with its
reason when it cannot (pytest lists the skips and their reasons in its summary):
- `homeostat ...` lines run in order per doc, in-process, against one state folder; a
  `# prints: TEXT` line after one says what its output must contain;
- `make TARGET` runs what the target runs when that is cheap and offline (MAKE_TARGETS says, per
  target, how it is checked or why it is skipped);
- `python -m MODULE ...` runs as a process (a server: until it prints its first line), and so do
  the inline `python -m` commands;
- `npx cdk synth` and `make synth` share one CDK CLI synth (bundling skipped: it pip-installs the
  Lambda's wheels from PyPI);
- the rest (aws, deploys, pip, shell steps) is skipped with its reason.
Commands run in a temporary folder laid out like a clone (examples/ and tests/ linked), so what
they write stays out of the clone. `pytest -s -k run_or_skipped` prints the inventory: how many
commands run and each one skipped, grouped by its reason.
Inline `homeostat ...` commands (and `local run`-style fragments) parse with the real argument
parser; inline `make TARGET` names a target of the Makefile.

Tables the docs keep in step with the code: the run-record fields (OPERATIONS.md), the repos.yml
keys and their defaults (MULTI-REPO-GUIDE.md), the attempt and pattern attributes (STATE.md) and
the lifecycle diagram's moves (LIFECYCLE.md).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
import yaml

from homeostat_core import cli
from tests.support.docs_names import CodeIndex, name_problem

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console", "zsh"}
# In a block with no language only these start a command (the rest is output, traces, trees).
PROGRAMS = {"homeostat", "make", "python", "python3", "npx", "cdk", "aws", "pip", "git", "sam"}
INLINE = re.compile(r"`([^`\n]+)`")
STATE_IN_DOCS = ".work/mine"
PLACEHOLDERS = {
    "OWNER/NAME": "littlebearapps/notebridge",
    "REPO": "littlebearapps/notebridge",
    "FILE.md": "examples/issues/notebridge/01-analytics-shim.md",
    "FILE": "library.json",
    "DIR": STATE_IN_DOCS,
    "DATE": "2026-11-01",
    "N": "1",
    "SCRIPT": "examples/llm-script.yaml",
    "HOURS": "25",
}

# Backticked names that look like code but are not spelled in it, each with why.
NOT_CODE = {
    "llm_bad_request": "a FixFailure reason built at run time as LLM_ERROR_PREFIX + LlmError.kind",
    ".homeostat/models.yml": "an optional override file the operator creates; absent by default",
}

SYNTH = "synth"  # MAKE_TARGETS value: checked by test_the_documented_synth_runs_offline
MAKE_TARGETS = {
    "synth": SYNTH,
    "demo": "runs `homeostat local demo` (about 40 s), which tests/e2e/test_e2e_demo_story.py runs",
    "test": "runs this test suite",
    "install": "installs .venv from PyPI (network)",
    "install-demo": "installs .venv from PyPI (network)",
    "lock": "re-resolves the lock files on PyPI (network)",
    "deploy": "deploys the stack to an AWS account (credentials)",
    "bench": "runs every benchmark (minutes); bench/ prints its own figures",
    "lint": "runs ruff over the tree, which `make test` does first",
    "format": "rewrites files in place (ruff format)",
    "clean": "deletes .venv, node_modules and cdk.out",
}
# Shell steps of the docs, each with why it is not run here.
SHELL_STEPS = {
    "export": "sets the reader's shell environment",
    "out()": "defines a shell helper that reads the deployed stack's outputs (AWS credentials)",
    "cat": "writes the reader's own secret values into a file",
    "shred": "deletes the reader's secret and key files",
    "sam": "invokes a deployed function's code in Docker (SAM CLI)",
    "jq": "reads a template synthesized with the bundled asset (pip from PyPI)",
    "gh": "calls GitHub's API with the reader's credentials (network)",
}
# `homeostat` subcommands that reach AWS or GitHub, with why they cannot run here.
HOMEOSTAT_ONLINE = {
    ("sourcemaps", "upload"): "uploads to the deployed S3 bucket (AWS credentials)",
    ("doctor",): "asks the deployed secrets, GitHub and AWS (credentials and network)",
}


@dataclass
class Command:
    doc: str
    line: int
    text: str
    expected: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.text.splitlines()[0][:70]}"


# --- reading the docs ----------------------------------------------------------------------------


def _blocks(path: Path):
    """(language, [(line number, text)]) of every fenced block, its indentation removed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence, language = opening.groups()
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append((i + 1, lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i]))
            i += 1
        i += 1
        yield language.lower(), body


def prose_lines(path: Path):
    """(line number, text) of every line outside fenced blocks."""
    fenced = {n for _, body in _blocks(path) for n, _ in body}
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if n not in fenced and not FENCE.match(text):
            yield n, text


@cache
def fenced_commands(path: Path) -> tuple[Command, ...]:
    """Every command of the doc's shell blocks (continuations and here-documents joined)."""
    commands: list[Command] = []
    for language, body in _blocks(path):
        if language not in SHELL_LANGUAGES:
            continue
        rows = iter(body)
        for number, text in rows:
            stripped = text.strip()
            if stripped.startswith("# prints:") and commands:
                commands[-1].expected.append(stripped.removeprefix("# prints:").strip())
            if not stripped or stripped.startswith("#"):
                continue
            if language == "" and _program(stripped) not in PROGRAMS:
                continue
            logical = stripped
            while logical.endswith("\\"):
                logical = logical[:-1].rstrip() + " " + next(rows, (0, ""))[1].strip()
            heredoc = re.search(r"<<-?\s*'?(\w+)'?", logical)
            if heredoc:
                for _, more in rows:
                    logical += "\n" + more
                    if more.strip() == heredoc.group(1):
                        break
            commands.append(Command(path.name, number, logical.split("  #")[0].strip()))
    return tuple(commands)


def _words(text: str) -> list[str]:
    try:
        words = shlex.split(text.split("\n")[0])
    except ValueError:
        words = text.split()
    while words and re.fullmatch(r"[A-Za-z_]\w*=.*", words[0]):
        words.pop(0)  # NAME=value before the program
    return words


def _program(text: str) -> str:
    words = _words(text)
    return Path(words[0]).name if words else ""


# --- how each command is checked -----------------------------------------------------------------


def skip_reason(command: Command) -> str | None:
    """Why `command` cannot run here, or None when this test runs it."""
    words = _words(command.text)
    program = _program(command.text)
    if program == "homeostat":
        for prefix, why in HOMEOSTAT_ONLINE.items():
            if tuple(words[1 : 1 + len(prefix)]) == prefix:
                return why
        if "$(" in command.text:
            return "uses a value of the deployed stack (`$(…)`): AWS credentials"
        if "[" in command.text:
            return "a synopsis (optional parts in brackets): parsed by the inline-command test, not run"
        return None
    if program == "make":
        target = next((w for w in words[1:] if not w.startswith("-") and "=" not in w), "")
        how = MAKE_TARGETS.get(target)
        if how is None:
            pytest.fail(f"{command}: `make {target}` is not in MAKE_TARGETS: say how it is checked")
        return None if how == SYNTH else how
    if program in ("python", "python3"):
        return None if "-m" in words else "a one-off script over the reader's own files (not `python -m`)"
    if program in ("npx", "cdk"):
        verb = words[words.index("cdk") + 1] if "cdk" in words[:2] and len(words) > 2 else ""
        return None if verb == "synth" else f"`cdk {verb}` changes an AWS account (credentials)"
    if program == "aws":
        return "an AWS CLI call (credentials and a deployed stack)"
    if program == "pip":
        return "installs from PyPI (network)"
    if program in SHELL_STEPS:
        return SHELL_STEPS[program]
    return f"a shell step (`{program}`), not one of the commands this test runs"


def is_synth(command: Command) -> bool:
    words = _words(command.text)
    program = _program(command.text)
    return (program == "make" and SYNTH in words[1:2]) or (program in ("npx", "cdk") and "synth" in words)


def all_fenced() -> list[Command]:
    return [command for doc in DOCS for command in fenced_commands(doc)]


def inline_python_modules() -> list[Command]:
    found = []
    for doc in DOCS:
        for number, text in prose_lines(doc):
            for span in INLINE.findall(text):
                if re.match(r"(?:\S*/)?python3? -m \S", span):
                    found.append(Command(doc.name, number, span))
    return found


# --- names -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def code_index() -> CodeIndex:
    # This file spells stale names on purpose (the checker's own test): it vouches for none.
    return CodeIndex.build(ROOT, leave_out=(Path(__file__).relative_to(ROOT).as_posix(),))


@cache
def makefile_targets() -> dict[str, list[str]]:
    """Makefile target → its recipe lines."""
    targets: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        rule = re.match(r"^([A-Za-z0-9_.-]+):(?!=)", line)
        if rule:
            current = targets.setdefault(rule.group(1), [])
        elif line.startswith("\t") and current is not None:
            current.append(line.strip())
        elif line.strip():
            current = None
    return targets


def test_every_name_in_the_docs_exists_in_the_code(code_index):
    problems = []
    for doc in DOCS:
        for number, text in prose_lines(doc):
            for name in INLINE.findall(text):
                if name in NOT_CODE:
                    continue
                problem = name_problem(name, code_index)
                if name.startswith("make "):
                    target = name.split()[1]
                    problem = None if target in makefile_targets() else "no such target in the Makefile"
                if problem:
                    problems.append(f"{doc.relative_to(ROOT)}:{number}: `{name}`: {problem}")
    assert not problems, "names in the docs that the code does not have:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "exists"),
    [
        ("pipeline.run_repo", True),
        ("lifecycle.Policy.backoff", True),
        ("RepoConfig.installation_id", True),
        ("AttemptState.with_applied", True),
        ("Stage.VERIFIED", True),
        ("homeostat_core/lifecycle.py", True),
        ("homeostat-gave-up", True),
        ("make_models(settings)", True),
        ("pipeline.no_such_function", False),
        ("lifecycle.Policy.no_such_number", False),
        ("RepoConfig.no_such_key", False),
        ("Stage.NO_SUCH_STAGE", False),
        ("homeostat_core/no_such_module.py", False),
        ("no_such_module.py", False),
        ("homeostat-no-such-label", False),
        ("cooldown_reason", False),
        ("finish_attempt(state)", False),
        ("repo_slug(pr)", False),  # a parameter's name, not a function
        ("own_pull_request(pr, slug, login)", True),
        ("noSuchAttribute", False),
    ],
)
def test_the_name_checker_tells_real_names_from_stale_ones(code_index, name, exists):
    assert (name_problem(name, code_index) is None) is exists, name_problem(name, code_index)


def test_the_not_code_list_holds_only_names_the_code_lacks(code_index):
    # An entry the checker would accept anyway is dead weight that hides nothing: remove it.
    assert [n for n in NOT_CODE if name_problem(n, code_index) is None] == []


# --- commands --------------------------------------------------------------------------------------


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out + err


def like_a_clone(folder: Path) -> Path:
    """A temporary working folder where the docs' relative paths (examples/, tests/) resolve as in
    a clone, so what a documented command writes (state folders, exports) stays out of the clone."""
    for name in ("examples", "tests"):
        (folder / name).symlink_to(ROOT / name)
    return folder


DOCS_WITH_HOMEOSTAT = [
    doc
    for doc in DOCS
    if any(_program(c.text) == "homeostat" and skip_reason(c) is None for c in fenced_commands(doc))
]


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS_WITH_HOMEOSTAT, ids=lambda p: p.name)
def test_every_homeostat_command_in_the_docs_runs(doc, tmp_path, monkeypatch, capsys):
    # Given a working folder where the docs' relative paths resolve as in a clone
    monkeypatch.chdir(like_a_clone(tmp_path))
    for name in ("HOMEOSTAT_ENV", "HOMEOSTAT_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for command in fenced_commands(doc):
        if _program(command.text) != "homeostat" or skip_reason(command) is not None:
            continue
        # When the command runs
        code, output = run_cli(_words(command.text)[1:], capsys)
        # Then it succeeds and says what the docs say it says
        assert code == 0, f"{command} exited {code}:\n{output}"
        assert "Traceback" not in output, f"{command}:\n{output}"
        for fragment in command.expected:
            assert fragment in output, f"{command} did not print {fragment!r}:\n{output}"


OTHER_COMMANDS = [
    c for c in all_fenced() if not is_synth(c) and (_program(c.text) != "homeostat" or skip_reason(c))
] + inline_python_modules()


@pytest.mark.parametrize("command", OTHER_COMMANDS, ids=str)
def test_every_other_documented_command_runs_or_says_why_not(command, tmp_path):
    reason = skip_reason(command)
    if reason:
        pytest.skip(f"{command.doc}:{command.line} `{command.text.splitlines()[0][:60]}`: {reason}")
    words = [PLACEHOLDERS.get(w, w) for w in _words(re.sub(r"\[[^\]]*\]", "", command.text))]
    # When the module runs (a server: until its first line of output)
    process = subprocess.Popen(
        [sys.executable, *words[1:]],
        cwd=like_a_clone(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        first = process.stdout.readline()
        still_running = process.poll() is None
        output = first if still_running else first + process.stdout.read()
    finally:
        process.kill()
        process.wait(timeout=10)
    # Then it starts (or finishes) cleanly and prints something
    assert output.strip(), f"{command}: printed nothing"
    assert "Traceback" not in output, f"{command}:\n{output}"
    assert still_running or process.returncode == 0, f"{command} exited {process.returncode}:\n{output}"


def test_every_fenced_command_is_run_or_skipped_with_its_reason(capsys):
    """The inventory: what this test runs and what it skips, and why (printed with `pytest -s`)."""
    ran, skipped = [], {}
    for command in all_fenced() + inline_python_modules():
        reason = None if is_synth(command) else skip_reason(command)
        if reason is None:
            ran.append(command)
        else:
            skipped.setdefault(reason, []).append(command)
    with capsys.disabled():
        print(f"\ndocs commands: {len(ran)} run, {sum(map(len, skipped.values()))} skipped")
        for reason, commands in sorted(skipped.items(), key=lambda item: -len(item[1])):
            print(f"  {len(commands):2d} skipped: {reason}")
            for command in commands:
                print(f"       {command}")
    # Every kind of command the docs show and this test can run offline is run at least once
    kinds = {
        "homeostat" if _program(c.text) == "homeostat" else "synth" if is_synth(c) else "python -m"
        for c in ran
    }
    assert kinds == {"homeostat", "synth", "python -m"}, kinds
    # and a command of a kind it runs is skipped only for a reason that is about that command
    for reason, commands in skipped.items():
        for command in commands:
            program = _program(command.text)
            assert not (program == "homeostat" and reason.startswith("a shell step")), command
            assert not (program in ("python", "python3") and "-m" in _words(command.text)), command


def _synth_context(command: Command) -> tuple[str, ...]:
    words = _words(command.text)
    if _program(command.text) == "make":
        cdk_args = next((w.split("=", 1)[1] for w in words if w.startswith("CDK_ARGS=")), "")
        return tuple(shlex.split(cdk_args))
    after = words[words.index("synth") + 1 :]
    return tuple(w for w in after if w not in ("--quiet", "-q"))


def test_the_documented_synth_runs_offline(tmp_path):
    synths = [c for c in all_fenced() if is_synth(c)]
    for command in synths:
        if _program(command.text) == "make":
            recipe = " ".join(makefile_targets().get("synth", []))
            assert "cdk synth" in recipe, f"{command}: `make synth` no longer runs `cdk synth`: {recipe}"
    cdk = ROOT / "node_modules" / ".bin" / "cdk"
    if not synths:
        pytest.skip("no doc runs a synth")
    if not cdk.exists():
        # The CLI runs `python3 app.py` (cdk.json), which tests/infra synthesizes in-process with
        # every context flag; without the CLI this would add ~10 s of CPU to check the same app.
        pytest.skip(
            "node_modules/.bin/cdk is missing (`npm ci`, which `make test` runs first); "
            "tests/infra synthesizes the same app in-process"
        )
    env = {
        **os.environ,
        # cdk.json runs `python3 app.py`: this interpreter's folder first, as `make synth` does
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    # One synth per distinct set of documented arguments (today: one), bundling skipped
    for index, context in enumerate(sorted({_synth_context(c) for c in synths})):
        outdir = tmp_path / f"cdk.out.{index}"
        result = subprocess.run(
            [
                str(cdk),
                "synth",
                "--quiet",
                "--no-notices",
                "-o",
                str(outdir),
                "-c",
                "skipBundling=true",
                *context,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        assert result.returncode == 0, f"cdk synth {' '.join(context)}:\n{result.stderr[-3000:]}"
        assert (outdir / "HomeostatStack.template.json").exists()


# --- inline commands -------------------------------------------------------------------------------


def inline_commands() -> list[tuple[str, str]]:
    """(doc, command line) of every inline `homeostat ...` command."""
    found = []
    for doc in DOCS:
        for _, text in prose_lines(doc):
            for command in INLINE.findall(text):
                if " / " in command or "..." in command or "…" in command:
                    continue  # a list of subcommands in one cell, not one command
                if command.startswith("homeostat "):
                    found.append((doc.name, command.removeprefix("homeostat ")))
    return found


def _subcommands(parser) -> dict:
    actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return dict(actions[0].choices) if actions else {}


def inline_subcommands() -> list[tuple[str, str]]:
    """(doc, words) of every inline fragment naming a subcommand without `homeostat` (`local run`)."""
    top = _subcommands(cli.build_parser())
    found = []
    for doc in DOCS:
        for _, text in prose_lines(doc):
            for span in INLINE.findall(text):
                words = span.split()
                if len(words) > 1 and words[0] in top and re.fullmatch(r"[a-z][a-z-]*", words[1]):
                    found.append((doc.name, span))
    return found


def fill_placeholders(command: str) -> list[str]:
    command = re.split(r"\s\\?\|\s", command)[0]  # the part before a shell pipe
    words = []
    for word in shlex.split(command.replace("[", " ").replace("]", " ")):
        words.append(PLACEHOLDERS.get(word, word))
    return words


@pytest.mark.parametrize(("doc", "command"), inline_commands(), ids=lambda v: v if " " in v else None)
def test_every_inline_command_in_the_docs_parses(doc, command, capsys):
    parser = cli.build_parser()
    try:
        args = parser.parse_args(fill_placeholders(command))
    except SystemExit:
        pytest.fail(f"{doc}: `homeostat {command}` is not a valid command line:\n{capsys.readouterr().err}")
    assert getattr(args, "func", None) is not None or args.command is None


@pytest.mark.parametrize(("doc", "fragment"), inline_subcommands(), ids=lambda v: v if " " in v else None)
def test_every_subcommand_the_docs_name_exists(doc, fragment):
    parser = cli.build_parser()
    for word in fragment.split()[:2]:
        choices = _subcommands(parser)
        if not choices:
            return  # a leaf command: the rest are its arguments
        assert word in choices, f"{doc}: `{fragment}`: no subcommand {word!r} (there are {sorted(choices)})"
        parser = choices[word]


# --- tables kept in step with the code -----------------------------------------------------------


def _section(doc: str, heading: str, until: str = "\n## ") -> str:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    return text.split(heading, 1)[1].split(until, 1)[0]


def _first_cells(section: str) -> list[list[str]]:
    """The backticked names of each table row's first cell (header and rule rows left out)."""
    rows = []
    for line in section.splitlines():
        if line.startswith("|") and not re.match(r"\|\s*-", line):
            rows.append(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return [row for row in rows if row]


def test_operations_lists_exactly_the_run_record_fields():
    from datetime import UTC, datetime

    from homeostat_core.models import RunRecord
    from homeostat_core.run_report import FixOutcomes, jsonl, outcomes_jsonl

    section = _section("OPERATIONS.md", "## The run record")
    fields_part, report_part = section.split("and `outcomes`", 1)
    documented = set(re.findall(r"`([a-z][A-Za-z]*)`", fields_part)) | {"outcomes", "kind"}
    printed = set(json.loads(jsonl([RunRecord(run_id="r", repo="a/b", timestamp=datetime.now(UTC))])))
    assert documented == printed, (
        f"documented, not printed: {sorted(documented - printed)}; "
        f"printed, not documented: {sorted(printed - documented)}"
    )
    outcome_part = report_part.split("`kind` = `fixOutcomes`", 1)[1]
    documented = set(re.findall(r"`([a-z][A-Za-z]*)`", outcome_part)) | {"kind", "repo"}
    printed = set(json.loads(outcomes_jsonl([FixOutcomes("a/b", 1, 1, 0, 2.0, 0, 0, 0.1)])))
    assert documented == printed, (
        f"fix outcomes documented, not printed: {sorted(documented - printed)}; "
        f"printed, not documented: {sorted(printed - documented)}"
    )


def test_the_repos_yml_key_table_is_the_config_table_with_its_defaults():
    from homeostat_core.config import REPO_KEYS

    keys = {spec.name: spec for spec in REPO_KEYS}
    section = _section("MULTI-REPO-GUIDE.md", "## Every key")
    documented = []
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        cells = line.split("|")
        names = re.findall(r"`([^`]+)`", cells[1])
        documented += names
        assert set(names) <= set(keys), f"MULTI-REPO-GUIDE.md: {sorted(set(names) - set(keys))} are not keys"
        if cells[2].strip() == "required":
            assert all(keys[n].required for n in names), f"{names} are documented as required"
            continue
        defaults = re.findall(r"`([^`]+)`", cells[2])
        if len(defaults) == len(names):  # the rest describe their default in words
            for name, written in zip(names, defaults, strict=True):
                default = keys[name].default
                expected = list(default) if isinstance(default, tuple) else default
                assert yaml.safe_load(written) == expected, (
                    f"{name}: documented {written}, default {default!r}"
                )
    missing = [name for name in keys if name not in documented]
    assert not missing, f"repos.yml keys without a row in MULTI-REPO-GUIDE.md, 'Every key': {missing}"


@pytest.mark.parametrize(("heading", "model"), [("## Attempts", "attempt"), ("## Patterns", "pattern")])
def test_state_lists_exactly_the_stored_attributes(heading, model):
    from homeostat_core.adapters.dynamo import make_models
    from homeostat_core.settings import Settings

    stored = set(getattr(make_models(Settings()), model).get_attributes())
    section = _section("STATE.md", heading, until="\n### ")
    mentioned = set(re.findall(r"`([A-Za-z]+)`", section))
    tabled = {name for row in _first_cells(section) for name in row}
    assert stored <= mentioned, f"STATE.md {heading}: stored but not documented: {sorted(stored - mentioned)}"
    attributes = tabled - {"byFingerprint", "byTypeAndFile"}  # the index table's rows
    assert attributes <= stored, (
        f"STATE.md {heading}: documented but not stored: {sorted(attributes - stored)}"
    )


def test_the_lifecycle_diagram_draws_every_stage_and_exactly_the_allowed_moves():
    from homeostat_core.lifecycle import ALLOWED, Stage

    diagram = (ROOT / "docs" / "LIFECYCLE.md").read_text(encoding="utf-8").split("```mermaid", 1)[1]
    diagram = diagram.split("```", 1)[0]
    edges = set(re.findall(r"^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)", diagram, re.M))
    drawn = {(a, b) for a, b in edges if "[*]" not in (a, b)}
    allowed = {(a.value, b.value) for a, moves in ALLOWED.items() for b in moves}
    assert drawn == allowed, (
        f"drawn, not allowed: {sorted(drawn - allowed)}; allowed, not drawn: {sorted(allowed - drawn)}"
    )
    assert ("[*]", Stage.NEW.value) in edges
    ends = {a for a, b in edges if b == "[*]"}
    assert ends == {s.value for s, moves in ALLOWED.items() if not moves}, f"end states drawn: {ends}"
    table = {row[0] for row in _first_cells(_section("LIFECYCLE.md", "| stage |", until="\n\n"))}
    assert table == {s.value for s in Stage}, f"stage table vs Stage: {table ^ {s.value for s in Stage}}"
