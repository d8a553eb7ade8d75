"""`homeostat local run|ci|merge|release|add-issue|demo`: the embedded default, on this machine.

`make demo` = `homeostat local demo`: run → CI → merge the PRs (HOMEOSTAT_ENV=production, so
merged fixes become patterns) → a release → new reports of an already-fixed error → run again:
answered by the version the repository released, a regression attempted again, and the learned
pattern shown to the model as a hint while it is on probation; then people steer from a PR, and a
new report wakes its repository's lane and is answered minutes later (docs/WAKES.md).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.commands import local_comment
from homeostat_core.commands._errors import EXIT_ENVIRONMENT, CliError
from homeostat_core.commands.local_issues import describe_filed, local_add_issue
from homeostat_core.commands.local_words import CI_WORDS, describe_outcome, say, say_reset, say_wrapped
from homeostat_core.config import HomeostatConfig, RepoConfig, default_config_path, load_config
from homeostat_core.local.payloads import check_run_payload, pull_request_closed_payload
from homeostat_core.local.runner import EXAMPLES, LocalStack, require_state, reset_state
from homeostat_core.models import FileChange
from homeostat_core.patterns.matcher import on_probation
from homeostat_core.ports import ForgeError
from homeostat_core.run_report import CONSOLE_LEGEND, console_table, fix_outcomes, outcomes_table
from homeostat_core.settings import ENVIRONMENTS, get_settings

DEFAULT_STATE = Path(".work/local")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "local", help="run Homeostat on this machine: local GitHub, AWS and model; no accounts needed"
    )
    sub = parser.add_subparsers(dest="local_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser, state_help: str) -> None:
        p.add_argument("--state", type=Path, default=DEFAULT_STATE, metavar="DIR", help=state_help)
        p.add_argument(
            "--config",
            type=Path,
            default=None,
            metavar="FILE",
            help="repos.yml (default: .homeostat/repos.yml)",
        )
        p.add_argument(
            "--env",
            choices=ENVIRONMENTS,
            default=None,
            help="the environment to run as (default: $HOMEOSTAT_ENV, else dev); only production learns "
            "patterns from merged fixes",
        )

    existing = f"an existing state folder, made by `local run` (default {DEFAULT_STATE})"

    run = sub.add_parser(
        "run", help="run Homeostat once over the configured repositories and print what it did"
    )
    common(
        run,
        f"the folder that keeps the local repositories and state between commands; created if "
        f"missing or empty (default {DEFAULT_STATE})",
    )
    run.add_argument(
        "--later",
        type=float,
        default=0.0,
        metavar="HOURS",
        help="run as if HOURS more had passed (the local clock only): shows backoffs without waiting",
    )
    run.set_defaults(func=run_command)

    ci = sub.add_parser("ci", help="report a CI result (pass or fail) on a Homeostat PR, as GitHub would")
    common(ci, existing)
    ci.add_argument("result", choices=("pass", "fail"), help="pass or fail")
    ci.add_argument("repo", help="the repository, owner/name")
    ci.add_argument("pr", type=int, help="the PR number")
    ci.add_argument("--summary", default="", help="what the failing check says (for `fail`)")
    ci.set_defaults(func=ci_command)

    merge = sub.add_parser(
        "merge", help="merge Homeostat's open PRs as a maintainer would, and tell Homeostat, as GitHub would"
    )
    common(merge, existing)
    merge.add_argument(
        "--all",
        action="store_true",
        required=True,
        help="merge every open Homeostat PR that is ready for review (CI passed on it)",
    )
    merge.add_argument(
        "--include-drafts",
        action="store_true",
        help="also drafts (marked ready first: GitHub refuses to merge a draft), whose CI has not passed",
    )
    merge.set_defaults(func=merge_command)

    release = sub.add_parser(
        "release", help="release a version of a local repository (bump its version file and tag v<VERSION>)"
    )
    common(release, existing)
    release.add_argument("repo", help="the repository, owner/name")
    release.add_argument("version", help="the version to release, like 1.3.0")
    release.set_defaults(func=release_command)

    add = sub.add_parser("add-issue", help="file an error report (a markdown issue) in a local repository")
    common(add, existing)
    add.add_argument("repo", help="the repository, owner/name")
    add.add_argument(
        "file",
        type=Path,
        help="the issue as a markdown file (front matter with title and labels, then the report)",
    )
    add.add_argument("--no-wake", action="store_true", help="only file it: no issues webhook, no run")
    add.set_defaults(func=add_issue_command)
    local_comment.register(sub, common, existing)

    demo = sub.add_parser(
        "demo", help="the whole story in about a minute, from a clean state (what `make demo` runs)"
    )
    demo.add_argument(
        "--state",
        type=Path,
        default=Path(".work/demo"),
        metavar="DIR",
        help="the state folder, emptied first: a new or empty folder, or one Homeostat made "
        "(default .work/demo)",
    )
    demo.set_defaults(func=demo_command)


def _config(args) -> HomeostatConfig:
    """The --config file (else the bundled repos.yml): it alone says which repositories run."""
    config = load_config(args.config or default_config_path())
    require_buildable_repos(config, args.state)
    return config


def require_buildable_repos(config: HomeostatConfig, state: Path) -> None:
    """Each repository is in the state folder's forge already (`homeostat try` put it there) or is
    built from examples/repos/<name>: name the ones local mode cannot build."""
    missing = [
        repo.slug
        for repo in config.repositories
        if not (EXAMPLES / "repos" / repo.name).is_dir()
        and not (Path(state) / "forge" / repo.owner / repo.name).is_dir()
    ]
    if missing:
        available = ", ".join(sorted(p.name for p in (EXAMPLES / "repos").iterdir() if p.is_dir()))
        raise CliError(
            f"local mode has no source for {', '.join(missing)}: it builds each repository from "
            f"{EXAMPLES / 'repos'}/<name>, or from the state folder's forge",
            f"try your own extension with `homeostat try PATH --issue FILE` (docs/TRY.md), or use "
            f"repositories named like the examples ({available})",
        )


def _env(args, default: str = "dev") -> str:
    env = args.env or os.environ.get("HOMEOSTAT_ENV") or default
    if env not in ENVIRONMENTS:
        raise CliError(
            f"HOMEOSTAT_ENV={env!r} is not allowed (one of: {', '.join(ENVIRONMENTS)})",
            "unset HOMEOSTAT_ENV or pass --env dev|test|production",
            exit_code=EXIT_ENVIRONMENT,
        )
    return env


# --- run ------------------------------------------------------------------------------------


def local_run(
    state: Path, config: HomeostatConfig, env: str, later_hours: float = 0.0, repos_file: Path | None = None
) -> list:
    """One scheduled run through the real handlers, over the repositories of `repos_file` (the
    bundled repos.yml when None); returns the run records it wrote."""
    with LocalStack(state, env=env, repos_file=repos_file) as stack:
        stack.seed_examples(config)
        if later_hours:
            stack.advance_clock(later_hours)
            say(f"  the local clock moves {later_hours:g} hours ahead")
        say_wrapped(f"model: {stack.model_label}")
        say(f"  HOMEOSTAT_ENV={env}; state in {state}")
        scheduled = stack.schedule()
        say(f"  scheduler queued {scheduled['scheduled']} repo runs (run {scheduled['runId'][:8]})")
        stack.drain(on_result=_progress(env))
        return _print_run(scheduled["runId"], config, stack)


def _progress(env: str):
    def report(result: dict) -> None:
        body = result["message"]
        if result["failed"]:
            say(f"  ✗ {body.get('kind')} message failed; it goes back to the queue (DLQ after 3 receives)")
            return
        if body.get("kind") == "repo_run":
            say(f"  ✓ worker ran {body['repo']}")
            return
        job = body.get("job", {})
        done = "took in" if env == "production" else f"logged (HOMEOSTAT_ENV={env}, no learning)"
        say_wrapped(f"✓ worker {done} {job.get('repo')} {job.get('kind')}")

    return report


def _print_run(run_id: str, config: HomeostatConfig, stack) -> list:
    # lazy: PynamoDB loads only where state is used
    from homeostat_core.adapters.dynamo import DynamoState

    runs = DynamoState.from_settings(get_settings()).runs
    records = sorted((r for r in runs.list() if r.run_id == run_id), key=lambda r: r.repo)
    say()
    say(console_table(records))
    say(CONSOLE_LEGEND)
    say()
    forge = stack.forge()
    for record in records:
        for outcome in record.outcomes:
            say_wrapped(f"{record.repo} {describe_outcome(outcome)}")
        repo = _repo(config, record.repo)
        if repo is not None:
            for pr in forge.list_prs(repo, state="open"):
                say(f"    open PR #{pr.number} {pr.branch}")
    return records


def _repo(config: HomeostatConfig, slug: str) -> RepoConfig | None:
    for repo in config.repositories:
        if repo.slug == slug:
            return repo
    return None


def run_command(args) -> int:
    config, env = _config(args), _env(args)
    if args.later < 0:
        raise CliError(f"--later {args.later}: must be 0 or more hours", "pass how many hours to skip ahead")
    say("== homeostat local run")
    local_run(args.state, config, env, later_hours=args.later, repos_file=args.config)
    return 0


# --- merge ----------------------------------------------------------------------------------


def local_ci(
    state: Path,
    config: HomeostatConfig,
    env: str,
    slug: str,
    number: int,
    passed: bool,
    summary: str,
    repos_file: Path | None = None,
):
    """CI reports on the PR's head commit (the forge's checks), GitHub sends the signed check_run
    webhook, and the worker turns it into the lifecycle move. Returns what the worker did."""

    repo = _configured(config, slug)
    with LocalStack(state, env=env, repos_file=repos_file) as stack:
        forge = stack.forge()
        pr = forge.get_pr(repo, number)
        if pr is None or pr.state != "open":
            raise CliError(
                f"{slug} has no open PR #{number}", f"see the open PRs: homeostat local run --state {state}"
            )
        text = summary or ("all checks passed" if passed else "tests failed")
        forge.set_check(repo, pr.head_sha, "ci", "success" if passed else "failure", text)
        response = stack.deliver_webhook(
            "check_run", check_run_payload(repo, pr, passed=passed, summary=text)
        )
        stack.drain()
        row = _attempt_for_pr(repo, number)
    return response["status"], (row.stage if row is not None else None)


def _attempt_for_pr(repo: RepoConfig, number: int):
    # lazy: PynamoDB loads only where state is used
    from homeostat_core.adapters.dynamo import DynamoState

    return DynamoState.from_settings(get_settings()).attempts.find_by_pr(repo.slug, number)


def _configured(config: HomeostatConfig, slug: str) -> RepoConfig:
    repo = _repo(config, slug)
    if repo is None:
        raise CliError(
            f"{slug} is not among the configured repositories",
            f"use one of: {', '.join(r.slug for r in config.repositories)}",
        )
    return repo


def ci_command(args) -> int:
    config, env = _config(args), _env(args)
    require_state(args.state)
    passed = args.result == "pass"
    status, stage = local_ci(
        args.state, config, env, args.repo, args.pr, passed, args.summary, repos_file=args.config
    )
    say(f"  CI {'passed' if passed else 'failed'} on {args.repo} PR #{args.pr}; webhook answered {status}")
    say(f"  worker: {CI_WORDS.get(stage, stage or 'not a Homeostat PR: nothing changed')}")
    return 0


def local_merge(
    state: Path,
    config: HomeostatConfig,
    env: str,
    *,
    include_drafts: bool = False,
    repos_file: Path | None = None,
) -> int:
    """A maintainer merges Homeostat's open PRs that are ready for review (`include_drafts`: the
    drafts too, marked ready first, as GitHub refuses to merge a draft), and GitHub sends the
    signed pull_request webhooks."""
    # lazy: PynamoDB loads only where state is used
    from homeostat_core.adapters.dynamo import DynamoState

    merged_count = 0
    with LocalStack(state, env=env, repos_file=repos_file) as stack:
        forge = stack.forge()
        say(f"  HOMEOSTAT_ENV={env}")
        if env != "production":
            say_wrapped(
                f"note: with HOMEOSTAT_ENV={env} merged fixes are only logged, not learned; "
                "pass --env production to store them as patterns"
            )
        for repo in config.repositories:
            for pr in forge.list_own_open_prs(repo):
                if pr.draft and not include_drafts:
                    say_wrapped(
                        f"left draft PR #{pr.number} of {repo.slug}: CI has not passed on it "
                        "(--include-drafts merges drafts too)"
                    )
                    continue
                if pr.draft:
                    forge.mark_ready(repo, pr.number)
                ci = forge.get_check_results(repo, pr.head_sha).state
                merged = forge.merge_pr(repo, pr.number)
                response = stack.deliver_webhook(
                    "pull_request", pull_request_closed_payload(repo, merged, merged=True)
                )
                merged_count += 1
                tested = "CI passed" if ci == "success" else f"CI {ci}: not learned from"
                say(f"  merged {repo.slug} PR #{pr.number} ({tested}); webhook answered {response['status']}")
        if merged_count == 0:
            say("  no open Homeostat PRs to merge")
        stack.drain(on_result=_progress(env))
        patterns = DynamoState.from_settings(get_settings()).patterns.all()
        say(f"  pattern library: {len(patterns)} pattern(s)")
        for pattern in patterns:
            probation = ", on probation: a hint for the model until verified" if on_probation(pattern) else ""
            say_wrapped(
                f"{pattern.pattern_id}: {pattern.error_type} in {pattern.file_path} "
                f"(successRate {pattern.success_rate:.2f}, {pattern.status}{probation})",
                indent="    ",
            )
    return merged_count


def merge_command(args) -> int:
    config, env = _config(args), _env(args)
    require_state(args.state)
    say(f"== homeostat local merge --all --env {env} --state {args.state}")
    local_merge(args.state, config, env, include_drafts=args.include_drafts, repos_file=args.config)
    return 0


# --- release --------------------------------------------------------------------------------


def local_release(state: Path, config: HomeostatConfig, slug: str, version: str) -> str:
    """A maintainer releases `version` of `slug`: the commit the release tag points at."""
    repo = _configured(config, slug)
    with LocalStack(state) as stack:
        try:
            return stack.forge().release(repo, version)
        except ForgeError as exc:
            raise CliError(f"{slug}: {exc}", "pick a version like 1.3.0 that has no tag yet") from None


def release_command(args) -> int:
    config = _config(args)
    require_state(args.state)
    commit = local_release(args.state, config, args.repo, args.version)
    say(
        f"released {args.repo} {args.version}: tag v{args.version} on its default branch (commit {commit[:7]})"
    )
    return 0


# --- add-issue ------------------------------------------------------------------------------


def add_issue_command(args) -> int:
    config = _config(args)
    require_state(args.state)
    filed = local_add_issue(args.state, config, args.repo, args.file, wake=not args.no_wake)
    for line in describe_filed(filed, args.repo):
        say_wrapped(line, indent="")
    return 0


# --- demo -----------------------------------------------------------------------------------


def peak_memory_mb() -> float:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def demo_command(args) -> int:
    started = time.monotonic()
    state: Path = args.state
    config = load_config(default_config_path())
    say_reset(state, reset_state(state))
    cmf, nb, pk = (
        config.repo(f"littlebearapps/{n}") for n in ("convert-my-file", "notebridge", "palette-kit")
    )
    say("Homeostat demo: three sample extensions, their logger issues, the real handlers, moto,")
    say("a local forge.")
    say()
    say("== 1. First run (HOMEOSTAT_ENV=dev): scheduler → FIFO queue → worker, one repo at a time")
    say("      (new fixes open as draft PRs until the repository's CI has passed on them)")
    local_run(state, config, "dev")
    say()
    say("== 2. CI reports on the commits Homeostat pushed (signed check_run webhooks → worker)")
    storage, session = _open_pr(state, nb, "src/lib/storage.js"), _open_pr(state, nb, "src/auth/session.js")
    converter, toolbar = (
        _open_pr(state, cmf, "src/background/converter.js"),
        _open_pr(state, cmf, "src/content/toolbar.js"),
    )
    for repo, number, passed, summary in (
        (nb, storage, True, ""),
        (cmf, converter, True, ""),
        (cmf, toolbar, False, "toolbar.test.js: page without #cmf-toolbar: TypeError: toolbar.append"),
        (nb, session, False, "session.test.js: expected refresh to be requested"),
    ):
        _, stage = local_ci(state, config, "dev", repo.slug, number, passed, summary)
        say_wrapped(
            f"{repo.name} PR #{number}: CI {'passed' if passed else 'failed'} → {CI_WORDS.get(stage, stage)}"
        )
    say()
    say("== 3. People act")
    hex_issue = 1
    _as_people(state, config, nb, session, hex_issue, pk)
    say_wrapped(f"a maintainer pushes a commit of their own to notebridge PR #{session}'s branch")
    say_wrapped(f"a user labels palette-kit issue #{hex_issue} `Do-Not-Fix`: they do not want it fixed")
    say()
    say("== 4. A day later: second run (the local clock moves 25 hours, past the first backoff)")
    local_run(state, config, "dev", later_hours=25)
    say()
    history = _open_pr(state, cmf, "src/popup/history.js")
    say("== 5. A maintainer merges the PRs that are ready for review (HOMEOSTAT_ENV=production:")
    say(f"      merged fixes become patterns) and closes convert-my-file PR #{history} without merging")
    _, stage = local_ci(state, config, "production", cmf.slug, toolbar, True, "")
    say_wrapped(
        f"convert-my-file PR #{toolbar}: CI passed on Homeostat's new commit → {CI_WORDS.get(stage, stage)}"
    )
    local_merge(state, config, "production")
    _close_as_person(state, config, cmf, history)
    say()
    release = local_release(state, config, nb.slug, "1.3.0")
    numbers = {
        "pk": local_add_issue(
            state, config, pk.slug, EXAMPLES / "later" / "palette-kit-notes-json.md", wake=False
        ).number,
        "old": local_add_issue(
            state, config, nb.slug, EXAMPLES / "later" / "notebridge-notes-json-old.md", wake=False
        ).number,
        "new": local_add_issue(
            state, config, nb.slug, EXAMPLES / "later" / "notebridge-notes-json-new.md", wake=False
        ).number,
    }
    say("== 6. A release, then new reports of the fixed storage bug")
    say_wrapped(
        f"the maintainer releases notebridge 1.3.0 (homeostat local release): the manifest is bumped and "
        f"tagged v1.3.0 on main (commit {release[:7]}), which contains the merged storage fix"
    )
    say_wrapped(f"palette-kit #{numbers['pk']}: the same bug in the same shared file (src/lib/storage.js)")
    say_wrapped(f"notebridge #{numbers['old']}: from v1.1.0, an install older than the release with the fix")
    say_wrapped(
        f"notebridge #{numbers['new']}: from v1.3.0, the release with the fix, filed by the logger "
        "(cloakpipe-bot, the repository's allowed_authors: its reports are trusted)"
    )
    say()
    say("== 7. Third run (HOMEOSTAT_ENV=production)")
    records = local_run(state, config, "production", later_hours=1)
    say_wrapped(second_run_summary(records, pk.slug, numbers["pk"]))
    say()
    say("== 8. What Homeostat's PRs came to (homeostat report)")
    say(_outcomes_report(state))
    say()
    say("== 9. Maintainers steer Homeostat from its PR (homeostat local comment)")
    for line in local_comment.demo_steering(state, config, pk):
        say_wrapped(line)
    say()
    say("== 10. A report wakes its repository's lane (homeostat local add-issue): the signed issues")
    say("       webhook → a wake, due when reports go quiet → one run in the lane; no 6-hour wait")
    no_picker = EXAMPLES / "later" / "palette-kit-no-picker.md"  # a new error: a draft PR
    for line in describe_filed(local_add_issue(state, config, pk.slug, no_picker), pk.slug):
        say_wrapped(line)
    say()
    say(
        f"Demo finished in {time.monotonic() - started:.1f} s ({time.process_time():.1f} s of CPU, "
        f"peak memory {peak_memory_mb():.0f} MB)."
    )
    say(f"State: {state}")
    say(f"(continue with: homeostat local run --state {state})")
    return 0


def _open_pr(state: Path, repo: RepoConfig, path: str) -> int:
    """The number of Homeostat's open PR in `repo` that changes `path` (the demo's bugs)."""
    forge = LocalForge(state / "forge")
    for pr in forge.list_prs(repo, state="open"):
        if f"b/{path}" in forge.pr_diff(repo, pr.number):
            return pr.number
    raise CliError(f"the demo expected an open PR changing {repo.slug}:{path}", "run it again with --debug")


def _as_people(state: Path, config, nb: RepoConfig, session_pr: int, hex_issue: int, pk: RepoConfig) -> None:

    with LocalStack(state, env="dev") as stack:
        forge = stack.forge()
        pr = forge.get_pr(nb, session_pr)
        current = forge.read_file(nb, "src/auth/session.js", ref=pr.head_sha)
        forge.commit_as(
            nb,
            pr.branch,
            "maintainer",
            [
                FileChange(
                    "src/auth/session.js", current + "\n// Reviewed: also covers expired refresh tokens.\n"
                )
            ],
            "Review: note on refresh tokens",
        )
        forge.add_labels(pk, hex_issue, ["Do-Not-Fix"])


def _close_as_person(state: Path, config, repo: RepoConfig, number: int) -> None:

    with LocalStack(state, env="production") as stack:
        closed = stack.forge().close_pr_as(repo, number)
        stack.deliver_webhook("pull_request", pull_request_closed_payload(repo, closed, merged=False))
        stack.drain()


def _outcomes_report(state: Path) -> str:
    """`homeostat report`'s fix-outcome columns for the demo's repositories."""
    # lazy: PynamoDB loads only where state is used
    from homeostat_core.adapters.dynamo import DynamoState

    with LocalStack(state, env="production") as stack:  # noqa: F841 (moto holds the tables)
        store = DynamoState.from_settings(get_settings())
        records = store.runs.list()
        rows = [row for repo in sorted({r.repo for r in records}) for row in store.attempts.list(repo)]
        return outcomes_table(fix_outcomes(rows, records), console=True)


def second_run_summary(records: list, slug: str, issue_number: int) -> str:
    """What run 2 did, computed from its run records (never assumed)."""
    new_issue = next(
        (
            outcome
            for record in records
            if record.repo == slug
            for outcome in record.outcomes
            if issue_number in outcome.get("issues", [])
        ),
        None,
    )
    calls = sum(
        1
        for record in records
        for outcome in record.outcomes
        if outcome.get("source") not in (None, "pattern") and outcome.get("model")
    )
    cost = sum(record.cost_usd for record in records)
    if new_issue is None:
        story = f"{slug} #{issue_number} was not handled in this run"
    elif new_issue.get("source") == "pattern":
        story = f"{slug} #{issue_number}: fixed from the pattern library, no model call, $0"
    elif new_issue.get("patternHint"):
        story = (
            f"{slug} #{issue_number}: PR #{new_issue.get('pr')} from a model shown the learned pattern "
            f"as a hint, not applied at $0 ({new_issue['hintWhy']})"
        )
    else:
        story = f"{slug} #{issue_number}: {describe_outcome(new_issue)}"
    return f"summary: {story}. Whole run: {calls} fingerprint(s) sent to a model, ${cost:.4f} in total."
