"""`homeostat try PATH --issue FILE… | --trace FILE…`: the whole loop on your own extension.

    homeostat try ~/src/my-extension --issue report.md --trace pasted-stack.txt

PATH is a git repository (its tracked and not-ignored files are used) or a plain folder; it is
copied into a local forge (PATH itself is never written). Each --issue is a logger issue file
(markdown with front matter, like examples/try/issues/); each --trace is a stack trace as pasted
from the browser console, turned into a logger-style issue.

With HOMEOSTAT_LLM_BASE_URL set (and DEEPSEEK_API_KEY / OPENAI_API_KEY when the endpoint needs a
key), the scheduler and worker run once and the model's fixes open as draft PRs in the local
forge; without it, Homeostat prints what the model would be shown for each issue (the `homeostat
context` view) and how to connect a model. Step by step: docs/TRY.md.

Exit 0: a draft PR was opened (with a model), or every issue's file was found (without one);
1: no PR was opened, or an issue points at no file of PATH (the output says why); 2: bad flags or
no issue given; 3: an unusable PATH, issue or trace file; 4: the model endpoint cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.commands._errors import (
    EXIT_ENVIRONMENT,
    EXIT_OK,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    CliError,
)
from homeostat_core.commands._issue_file import read_issue_file
from homeostat_core.commands.local import local_run
from homeostat_core.commands.local_words import say, say_reset, say_wrapped
from homeostat_core.config import load_config, repo_from_json
from homeostat_core.local.runner import endpoint_problem, record_written, reset_state

DEFAULT_STATE = Path(".work/try")
OWNER = "try"
LABEL = "homeostat-fix"
# Folders never copied from a plain folder (a git repository's own ignore rules decide there).
NEVER_COPIED = (".git", "node_modules", ".venv", "__pycache__", ".work")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "try",
        help="run the whole loop on your own extension folder with your issue files or a pasted trace",
        description=__doc__.split("\n\n")[0],
        epilog="\n\n".join(__doc__.split("\n\n")[2:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "path", type=Path, metavar="PATH", help="your extension: a git repository or a folder"
    )
    parser.add_argument(
        "--issue",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a logger issue file (repeatable)",
    )
    parser.add_argument(
        "--trace",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a stack trace pasted from the browser console (repeatable)",
    )
    parser.add_argument(
        "--state",
        type=Path,
        default=DEFAULT_STATE,
        help=f"state folder, emptied first: only a new or empty folder, or one Homeostat made (default {DEFAULT_STATE})",
    )
    parser.set_defaults(func=try_command)


def try_command(args: argparse.Namespace) -> int:
    source = args.path
    if not source.is_dir():
        raise CliError(f"{source}: not a folder", "pass your extension's folder (a git repository or not)")
    if not args.issue and not args.trace:
        raise CliError(
            "no issue given",
            "pass --issue FILE (a logger issue, see examples/try/issues/) or --trace FILE (a pasted stack trace)",
            exit_code=EXIT_USAGE,
        )
    name, version = extension_identity(source)
    issues = [{**read_issue_file(path), "where": str(path)} for path in args.issue]
    issues += [trace_issue(_read_trace(path), name, version, str(path)) for path in args.trace]
    slug = f"{OWNER}/{_slug_name(name or source.resolve().name)}"
    say(f"== homeostat try {source}: {len(issues)} issue(s), as repository {slug}")
    base_url = os.environ.get("HOMEOSTAT_LLM_BASE_URL", "").strip()
    with tempfile.TemporaryDirectory(prefix="homeostat-try-") as staging:
        copied = copy_extension(source, Path(staging) / "extension")
        say(
            f"  {copied} file(s) copied from {source} ({'git: tracked and not ignored' if _is_git(source) else 'folder'})"
        )
        if not base_url:
            return _without_model(Path(staging) / "extension", slug, issues)
        return _with_model(args.state, Path(staging) / "extension", slug, issues, base_url)


# --- without a model: what it would be shown ------------------------------------------------


def _without_model(checkout: Path, slug: str, issues: list[dict]) -> int:
    # lazy: the fix engine's modules load only for this command
    from homeostat_core.adapters.checkout import CheckoutForge
    from homeostat_core.commands.context import context_table
    from homeostat_core.fixing.model_settings import load_model_settings
    from homeostat_core.intake import UnparseableIssue
    from homeostat_core.sourcing.context import issue_context

    repo = try_repo(slug)
    settings = load_model_settings()
    located = 0
    forge = CheckoutForge(checkout)
    try:
        for number, issue in enumerate(issues, start=1):
            say()
            say(f"-- issue {number}: {issue['title']}")
            try:
                found = issue_context(issue_markdown(issue), forge, repo, settings, where=issue["where"])
            except (UnparseableIssue, ValueError) as exc:
                say_wrapped(
                    f"not an error report Homeostat can fix: {getattr(exc, 'reason', exc)} (see docs/INTAKE.md)"
                )
                continue
            data = found.to_json()
            if found.prompt is None:
                data["reason"] = "no_frames" if not any(f.path for f in found.report.frames) else "no_source"
            else:
                located += 1
            say("\n".join(f"  {line}" for line in context_table(data).splitlines()))
    finally:
        forge.close()
    say()
    say(f"{located} of {len(issues)} issue(s) point at a file a fix would edit; no model was asked.")
    say_wrapped(
        "To have a model write the fixes as draft PRs, point Homeostat at any OpenAI-compatible "
        "endpoint and run the same command again: export HOMEOSTAT_LLM_BASE_URL=https://api.deepseek.com "
        "DEEPSEEK_API_KEY=... (model names per tier: docs/TIERS.md; steps: docs/TRY.md)",
        indent="",
    )
    return EXIT_OK if located == len(issues) else EXIT_PROBLEMS


# --- with a model: the whole loop -------------------------------------------------------------


def _with_model(state: Path, extension: Path, slug: str, issues: list[dict], base_url: str) -> int:
    problem = endpoint_problem(base_url)
    if problem:
        raise CliError(
            f"the model endpoint HOMEOSTAT_LLM_BASE_URL={base_url} cannot be reached: {problem}",
            "start the model server or fix the URL; unset HOMEOSTAT_LLM_BASE_URL to see the context only",
            exit_code=EXIT_ENVIRONMENT,
        )
    say_reset(state, reset_state(state))
    repos_file = state / "repos.yml"
    record_written(state, repos_file.name)
    repos_file.write_text(
        "# Written by `homeostat try`: the one repository it runs (keys: docs/MULTI-REPO-GUIDE.md)\n"
        + yaml.safe_dump({"version": 1, "repositories": [try_repo_json(slug)]}, sort_keys=False)
    )
    config = load_config(repos_file)
    repo = config.repositories[0]
    forge = LocalForge(state / "forge")
    forge.seed_repo(repo, extension)
    for issue in issues:
        forge.add_issue(repo, issue["title"], issue["body"], issue["labels"], issue["author"])
    # A key-less local server (llama.cpp, Ollama) still needs a value for the OpenAI client.
    unset = [key for key in ("DEEPSEEK_API_KEY", "OPENAI_API_KEY") if not os.environ.get(key)]
    os.environ.update(dict.fromkeys(unset, "none"))
    try:
        local_run(state, config, "dev", repos_file=repos_file)
    finally:
        for key in unset:
            os.environ.pop(key, None)
    prs = forge.list_prs(repo, state="open")
    say()
    for pr in prs:
        record = state / "forge" / repo.owner / repo.name / "pulls" / f"{pr.number}.json"
        title = json.loads(record.read_text(encoding="utf-8")).get("title", "")
        say(f"{'draft PR' if pr.draft else 'PR'} #{pr.number}: {title}")
        say_wrapped(f"branch {pr.branch}; its title and body as a reviewer sees them: {record}")
        say("\n".join(f"  {line}" for line in forge.pr_diff(repo, pr.number).splitlines()))
    say()
    if prs:
        say_wrapped(
            f"{len(prs)} PR(s) in the local forge {state / 'forge'}. Next: report CI on one "
            f"(homeostat local ci pass {slug} {prs[0].number} --state {state} --config {repos_file}), "
            f"or run again later (homeostat local run --state {state} --config {repos_file})",
            indent="",
        )
        return EXIT_OK
    say_wrapped("no PR was opened: the lines above say why for each issue", indent="")
    return EXIT_PROBLEMS


# --- the pieces ---------------------------------------------------------------------------------


def try_repo_json(slug: str) -> dict:
    """The repository's keys: every path may be fixed, one PR per fingerprint, a small budget."""
    return {
        "slug": slug,
        "branch": "main",
        "max_prs_per_run": 5,
        "labels": [LABEL],
        "path_filters": {"include": ["."], "exclude": ["node_modules/", "tests/", "test/"]},
        "daily_budget_usd": 0.5,
    }


def try_repo(slug: str):
    return repo_from_json(try_repo_json(slug), "homeostat try")


def extension_identity(folder: Path) -> tuple[str | None, str | None]:
    """manifest.json's name and version (None for what it does not say, or a localized name)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(manifest, dict):
        return None, None
    name, version = manifest.get("name"), manifest.get("version")
    name = name if isinstance(name, str) and name.strip() and not name.startswith("__MSG_") else None
    return name, version if isinstance(version, str) and version.strip() else None


def _slug_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip().lower()).strip("-.")
    return cleaned[:100] or "extension"


def _is_git(folder: Path) -> bool:
    return (folder / ".git").exists()


def copy_extension(source: Path, dest: Path) -> int:
    """Copy what the extension is made of: a git repository's tracked and not-ignored files, or a
    plain folder without NEVER_COPIED folders. Returns how many files were copied."""
    if _is_git(source):
        listed = subprocess.run(
            ["git", "-C", str(source), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
        )
        if listed.returncode != 0:
            raise CliError(
                f"{source}: git cannot list its files: {listed.stderr.decode(errors='replace').strip()}",
                "check the repository, or pass a plain folder",
            )
        paths = sorted({p for p in listed.stdout.decode().split("\0") if p})
        for path in paths:
            target = dest / path
            if (source / path).is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / path, target)
        dest.mkdir(parents=True, exist_ok=True)
    else:
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*NEVER_COPIED), symlinks=True)
    return sum(1 for p in dest.rglob("*") if p.is_file())


def _read_trace(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", "check the path") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not a trace file", "pass one text file") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise CliError(f"{path}: empty", "paste the stack trace from the browser console into the file")
    return text


_HEADER = re.compile(r"^(?:Uncaught\s+(?:\(in promise\)\s+)?)?([A-Za-z_$][\w$.]*)\s*:\s*(.+)$")


def trace_issue(trace: str, name: str | None, version: str | None, where: str) -> dict:
    """A logger-style issue (as the logger files it) for a stack trace pasted from a console.

    The first line names the error when it reads `Type: message` (Chrome); Firefox's traces start
    with a frame, so the type and message come from the first frame's function then."""
    lines = [line.rstrip() for line in trace.strip("\n").splitlines() if line.strip()]
    header = _HEADER.match(lines[0].strip())
    if header and "@" not in lines[0] and " at " not in lines[0]:
        error_type, message = header.group(1), header.group(2).strip()
    else:
        error_type, message = "Error", f"error in {lines[0].strip().split('@')[0] or 'the extension'}"
    product = name or "Extension"
    body = "\n".join(
        [
            "## Error Details",
            f"- Extension: {product} v{version or '0.0.0'}",
            f"- Error Type: {error_type}",
            f"- Message: {message}",
            "",
            "## Stack Trace",
            "```",
            *lines,
            "```",
            "",
            "## Breadcrumbs",
            f"1. Stack trace pasted into homeostat try ({where})",
            "",
        ]
    )
    return {
        "title": f"[{product}] {error_type}: {message}",
        "labels": ["robot"],
        "author": "local",
        "body": body,
        "where": where,
    }


def issue_markdown(issue: dict) -> str:
    """The issue as an issue file (front matter + body), as `homeostat context` reads it."""
    front = yaml.safe_dump(
        {"title": issue["title"], "labels": issue["labels"], "author": issue["author"]},
        sort_keys=False,
        allow_unicode=True,
    )
    return f"---\n{front}---\n{issue['body']}"
