"""`homeostat local run|merge|add-issue|demo`: the embedded default, on this machine.

`make demo` = `homeostat local demo`: run → merge the PRs (HOMEOSTAT_ENV=production, so merged
fixes become patterns) → a new occurrence of an already-fixed error → run again, fixed from the
pattern library at $0.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import yaml

from homeostat_core.config import HomeostatConfig, RepoConfig, default_config_path, load_config

DEFAULT_STATE = Path(".work/local")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("local", help="run the whole loop locally (moto + local forge + model)")
    sub = parser.add_subparsers(dest="local_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--state", type=Path, default=DEFAULT_STATE, help="state folder kept between runs")
        p.add_argument("--config", type=Path, default=None, help="repos.yml (default: the bundled one)")
        p.add_argument("--env", choices=("dev", "test", "production"), default=None, help="HOMEOSTAT_ENV")

    run = sub.add_parser("run", help="scheduler → queue → worker until the queue is empty")
    common(run)
    run.set_defaults(func=run_command)

    merge = sub.add_parser("merge", help="merge open Homeostat PRs and deliver signed webhooks")
    common(merge)
    merge.add_argument("--all", action="store_true", required=True, help="merge every open Homeostat PR")
    merge.set_defaults(func=merge_command)

    add = sub.add_parser(
        "add-issue", help="file a logger issue (markdown with front matter) in the local forge"
    )
    common(add)
    add.add_argument("repo", help="owner/name")
    add.add_argument("file", type=Path)
    add.set_defaults(func=add_issue_command)

    demo = sub.add_parser("demo", help="the whole story from a clean state (what `make demo` runs)")
    demo.add_argument("--state", type=Path, default=Path(".work/demo"))
    demo.set_defaults(func=demo_command)


def _config(args) -> HomeostatConfig:
    return load_config(args.config or default_config_path())


def _env(args, default: str = "dev") -> str:
    import os

    return args.env or os.environ.get("HOMEOSTAT_ENV") or default


def say(text: str = "") -> None:
    print(text, flush=True)


# --- run ------------------------------------------------------------------------------------


def local_run(state: Path, config: HomeostatConfig, env: str) -> list[dict]:
    from homeostat_core.local.runner import LocalStack

    with LocalStack(state, env=env) as stack:
        stack.seed_examples(config)
        say(f"  model: {stack.model_label}")
        say(f"  HOMEOSTAT_ENV={env}; state in {state}")
        scheduled = stack.schedule()
        say(f"  scheduler queued {scheduled['scheduled']} repo runs (run {scheduled['runId'][:8]})")
        results = stack.drain(on_result=_progress)
        _print_run_table([r for r in results if r["message"].get("kind") == "repo_run"], stack)
        return results


def _progress(result: dict) -> None:
    body = result["message"]
    if result["failed"]:
        say(f"  ✗ {body.get('kind')} message failed; it goes back to the queue (DLQ after 3 receives)")
        return
    if body.get("kind") == "repo_run":
        say(f"  ✓ worker ran {body['repo']['slug']}")
    else:
        job = body.get("job", {})
        say(f"  ✓ worker learned from {job.get('repo')} {job.get('kind')} ({job.get('branch')})")


def _print_run_table(results: list[dict], stack) -> None:
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.run_report import latest_per_repo, markdown_table
    from homeostat_core.settings import get_settings

    runs = DynamoState.from_settings(get_settings()).runs
    slugs = {r["message"]["repo"]["slug"] for r in results}
    records = [r for r in latest_per_repo(runs.list()) if r.repo in slugs]
    say()
    say(markdown_table(records))
    say()
    forge = stack.forge()
    config = load_config(default_config_path())
    for record in records:
        for outcome in record.outcomes:
            say(f"  {record.repo} {_describe(outcome)}")
        repo = _repo(config, record.repo)
        if repo is not None:
            for pr in forge.list_prs(repo, state="open"):
                say(f"    open PR #{pr.number} {pr.branch}")


def _describe(outcome: dict) -> str:
    issues = ", ".join(f"#{n}" for n in outcome.get("issues", []))
    result = outcome.get("result")
    if result in ("pr_created", "pr_updated"):
        source = (
            f"pattern {outcome.get('patternId')} at $0"
            if outcome.get("source") == "pattern"
            else f"tier {outcome.get('tier')} ({outcome.get('model')}) ${outcome.get('costUsd', 0):.4f}"
        )
        verb = "opened" if result == "pr_created" else "updated"
        return f"issues {issues}: {verb} PR #{outcome.get('pr')} from {source}"
    reason = outcome.get("reason", "")
    detail = outcome.get("detail")
    return (
        f"issues {issues}: {result} ({reason}: {detail})"
        if detail
        else f"issues {issues}: {result} ({reason})"
    )


def _repo(config: HomeostatConfig, slug: str) -> RepoConfig | None:
    for repo in config.repositories:
        if repo.slug == slug:
            return repo
    return None


def run_command(args) -> int:
    say("== homeostat local run")
    local_run(args.state, _config(args), _env(args))
    return 0


# --- merge ----------------------------------------------------------------------------------


def pull_request_closed_payload(repo: RepoConfig, pr, *, merged: bool) -> dict:
    """A `pull_request` closed delivery in GitHub's shape (fields learning and GitHub both use)."""
    owner = {"login": repo.owner, "type": "Organization"}
    repository = {"name": repo.name, "full_name": repo.slug, "owner": owner, "default_branch": repo.branch}
    return {
        "action": "closed",
        "number": pr.number,
        "pull_request": {
            "url": f"https://api.github.com/repos/{repo.slug}/pulls/{pr.number}",
            "html_url": pr.url,
            "number": pr.number,
            "state": "closed",
            "title": "",
            "body": pr.body,
            "merged": merged,
            "merged_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if merged else None,
            "head": {"ref": pr.branch, "sha": pr.head_sha, "repo": repository},
            "base": {"ref": repo.branch, "repo": repository},
            "user": {"login": "homeostat[bot]", "type": "Bot"},
        },
        "repository": repository,
        "sender": {"login": "maintainer", "type": "User"},
    }


def local_merge(state: Path, config: HomeostatConfig, env: str) -> int:
    from homeostat_core.local.runner import LocalStack

    merged_count = 0
    with LocalStack(state, env=env) as stack:
        forge = stack.forge()
        say(f"  HOMEOSTAT_ENV={env}")
        for repo in config.repositories:
            for pr in forge.list_prs(repo, state="open"):
                merged = forge.merge_pr(repo, pr.number)
                response = stack.deliver_webhook(
                    "pull_request", pull_request_closed_payload(repo, merged, merged=True)
                )
                merged_count += 1
                say(f"  merged {repo.slug} PR #{pr.number}; webhook answered {response['status']}")
        stack.drain(on_result=_progress)
        from homeostat_core.adapters.dynamo import DynamoState
        from homeostat_core.settings import get_settings

        patterns = DynamoState.from_settings(get_settings()).patterns.all()
        say(f"  pattern library: {len(patterns)} pattern(s)")
        for pattern in patterns:
            say(
                f"    {pattern.pattern_id}: {pattern.error_type} in {pattern.file_path} "
                f"(successRate {pattern.success_rate:.2f}, {pattern.status})"
            )
    return merged_count


def merge_command(args) -> int:
    say("== homeostat local merge --all")
    local_merge(args.state, _config(args), _env(args))
    return 0


# --- add-issue ------------------------------------------------------------------------------


def read_issue_file(path: Path) -> dict:
    """A markdown issue with YAML front matter (title, labels, author) and the body after it."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise ValueError(f"{path}: front matter (---) expected on the first line")
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front) or {}
    return {
        "title": meta["title"],
        "labels": list(meta.get("labels", [])),
        "author": meta.get("author", "local"),
        "body": body.lstrip("\n"),
    }


def local_add_issue(state: Path, config: HomeostatConfig, slug: str, path: Path) -> int:
    from homeostat_core.local.runner import LocalStack

    repo = _repo(config, slug)
    if repo is None:
        raise SystemExit(f"{slug} is not in the config")
    issue = read_issue_file(path)
    with LocalStack(state) as stack:
        stack.seed_examples(config)
        return stack.forge().add_issue(repo, issue["title"], issue["body"], issue["labels"], issue["author"])


def add_issue_command(args) -> int:
    number = local_add_issue(args.state, _config(args), args.repo, args.file)
    say(f"filed issue #{number} in {args.repo}")
    return 0


# --- demo -----------------------------------------------------------------------------------


def demo_command(args) -> int:
    from homeostat_core.local.runner import EXAMPLES, reset_state

    started = time.monotonic()
    state: Path = args.state
    reset_state(state)
    config = load_config(default_config_path())
    say(
        "Homeostat demo: three sample extensions, their logger issues, the real handlers, moto, a local forge."
    )
    say()
    say("== 1. First run (HOMEOSTAT_ENV=dev): scheduler → FIFO queue → worker, one repo at a time")
    local_run(state, config, "dev")
    say()
    say(
        "== 2. A maintainer merges every Homeostat PR (HOMEOSTAT_ENV=production: merged fixes become patterns)"
    )
    local_merge(state, config, "production")
    say()
    later = EXAMPLES / "later" / "palette-kit-notes-json.md"
    number = local_add_issue(state, config, "littlebearapps/palette-kit", later)
    say(
        f"== 3. A new occurrence of an already-fixed error: palette-kit issue #{number} (same bug as notebridge's)"
    )
    say()
    say("== 4. Second run: the fix comes from the pattern library, no model call, $0")
    local_run(state, config, "production")
    say()
    say(
        f"Demo finished in {time.monotonic() - started:.1f} s. State: {state} (homeostat local run --state {state})"
    )
    return 0
