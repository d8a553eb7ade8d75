"""`homeostat context ISSUE_FILE --checkout DIR`: what the model would be shown for that issue.

    homeostat context issue.md --checkout ~/src/my-extension [--config repos.yml --repo OWNER/NAME]

The issue file is the markdown of `homeostat local add-issue` (front matter, then the logger's
body). The checkout is read as the fix engine reads the repository (a git checkout at its HEAD
commit); the config gives the repository's keys (path_filters, source_roots, path_map,
vendor_paths, version_file), else every path is allowed. One JSON object on stdout: `filePath`
(the file a fix would edit), `resolvedBy` (the rule that found it), `windows` (`{path, start,
end, why}`, 1-based inclusive lines), `promptTokens`, and how each frame was located.
`--format table` prints the same for people. No AWS credentials, no network, no model.

Exit 0 when a file was found, 1 when none was (no_source, no_frames: the JSON says why), 2 for
bad flags, 3 for an unusable issue file, checkout or config.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from homeostat_core.commands._errors import EXIT_OK, EXIT_PROBLEMS, CliError
from homeostat_core.config import RepoConfig, load_config, repo_from_json

DEFAULT_SLUG = "local/checkout"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "context",
        help="show which file and lines the model would be shown to fix an issue (no model call)",
        description="Show what the model would be shown to fix the error in ISSUE_FILE: the file a fix "
        "would edit, the lines around each frame, and how each was found. No model, network or "
        "AWS account is used.",
    )
    parser.add_argument(
        "issue",
        type=Path,
        metavar="ISSUE_FILE",
        help="the issue as a markdown file (front matter, then the report)",
    )
    parser.add_argument(
        "--checkout", type=Path, required=True, metavar="DIR", help="a checkout of the extension's repository"
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a repos.yml with the repository's settings (path filters, source roots, path map)",
    )
    parser.add_argument("--repo", metavar="OWNER/NAME", help="which repository of --config this checkout is")
    parser.add_argument(
        "--format", choices=("json", "table"), default="json", help="json (default, for scripts) or table"
    )
    parser.set_defaults(func=context_command)


def context_command(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    # lazy: the fix engine's modules load only for this command
    from homeostat_core.adapters.checkout import CheckoutForge
    from homeostat_core.fixing.model_settings import load_model_settings
    from homeostat_core.intake import UnparseableIssue
    from homeostat_core.sourcing.context import issue_context

    out = stdout or sys.stdout
    markdown = _read_issue(args.issue)
    if not args.checkout.is_dir():
        raise CliError(f"{args.checkout}: not a folder", "pass the repository's checkout with --checkout DIR")
    repo = _repo(args)
    forge = CheckoutForge(args.checkout)
    try:
        found = issue_context(markdown, forge, repo, load_model_settings(), where=str(args.issue))
    except UnparseableIssue as exc:  # (a ValueError too: caught first)
        raise CliError(f"{args.issue}: not an error report: {exc.reason}", "see docs/INTAKE.md") from None
    except ValueError as exc:
        raise CliError(str(exc), "see examples/issues/ for the format") from None
    finally:
        forge.close()
    data = found.to_json()
    if found.prompt is None:
        data["reason"] = "no_frames" if not any(f.path for f in found.report.frames) else "no_source"
    print(json.dumps(data, indent=2) if args.format == "json" else context_table(data), file=out)
    return EXIT_OK if found.prompt is not None else EXIT_PROBLEMS


def _read_issue(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", "check the path") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not an issue file", "pass one .md file") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _repo(args: argparse.Namespace) -> RepoConfig:
    if args.config is None:
        slug = args.repo or DEFAULT_SLUG
        return repo_from_json(
            {
                "slug": slug,
                "branch": "HEAD",
                "max_prs_per_run": 1,
                "labels": [],
                "path_filters": {"include": ["."]},
            },
            "--repo",
        )
    config = load_config(args.config)
    slugs = [r.slug for r in config.repositories]
    if args.repo is None and len(slugs) == 1:
        return config.repositories[0]
    if args.repo is None or args.repo not in slugs:
        what = (
            f"{args.repo} is not in {args.config}"
            if args.repo
            else f"{args.config} lists {len(slugs)} repositories"
        )
        raise CliError(what, f"pass --repo with one of: {', '.join(slugs)}")
    return config.repo(args.repo)


def context_table(data: dict) -> str:
    resolution = data.get("resolution") or {}
    lines = [
        f"file         {data['filePath'] or '(none)'}",
        f"resolved by  {data['resolvedBy']}"
        + (f" (confidence {resolution['confidence']:.0%})" if data["filePath"] else ""),
    ]
    if resolution.get("note"):
        lines.append(f"note         {resolution['note']}")
    if data.get("reason"):
        lines.append(f"reason       {data['reason']}")
        for key, label in (("tried", "tried"), ("rootsSearched", "roots")):
            if resolution.get(key):
                lines.append(f"{label:<13}{', '.join(resolution[key])}")
    if data["windows"]:
        lines.append("windows")
        width = max(len(w["path"]) for w in data["windows"])
        lines += [
            f"  {w['path']:<{width}}  {w['start']:>5}-{w['end']:<5}  {w['why']}" for w in data["windows"]
        ]
    lines.append(f"prompt       ~{data['promptTokens']} tokens")
    if data.get("frames"):
        lines.append("frames")
        lines += [f"  {frame}" for frame in data["frames"]]
    return "\n".join(lines)
