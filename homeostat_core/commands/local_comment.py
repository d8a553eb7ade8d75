"""`homeostat local comment OWNER/NAME N TEXT [--as LOGIN] [--review changes|comment]`: a person
comments on an issue or a PR of the local forge, or reviews a PR, and GitHub's signed delivery
goes through the real webhook and worker handlers (docs/STEERING.md). The local writer is
`maintainer` (the local forge's collaborators); any other login is a stranger.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from homeostat_core.commands._errors import CliError
from homeostat_core.config import HomeostatConfig, RepoConfig, default_config_path, load_config
from homeostat_core.local.payloads import issue_comment_payload, review_comment_payload, review_payload
from homeostat_core.local.runner import LocalStack, require_state

WRITER = "maintainer"  # local_steering.DEFAULT_COLLABORATORS: the seed's maintainer is admin
REVIEWS = ("changes", "comment")  # a review requesting changes, a comment on the diff


def register(
    sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser, str], None], state_help: str
):
    comment = sub.add_parser(
        "comment",
        help="comment on an issue or PR, or review a PR, as a maintainer or a stranger; GitHub tells Homeostat",
    )
    common(comment, state_help)
    comment.add_argument("repo", help="the repository, owner/name")
    comment.add_argument("number", type=int, help="the issue or PR number")
    comment.add_argument("text", help="what the comment says, e.g. '/homeostat retry'")
    comment.add_argument(
        "--as",
        dest="login",
        default=WRITER,
        metavar="LOGIN",
        help=f"who writes it (default {WRITER}, who has write access; anyone else is a stranger)",
    )
    comment.add_argument(
        "--review",
        choices=REVIEWS,
        default=None,
        help="a review of the PR instead: `changes` requests changes, `comment` comments on its diff",
    )
    comment.set_defaults(func=comment_command)


@dataclass(frozen=True)
class _Seen:
    """What a maintainer sees of the issue or PR: Homeostat's comments, the PR's head and state."""

    replies: dict[int, str]
    pr_state: str | None = None
    head: str | None = None
    commits: int = 0
    draft: bool = False


def local_comment(
    state: Path,
    config: HomeostatConfig,
    slug: str,
    number: int,
    text: str,
    *,
    login: str = WRITER,
    review: str | None = None,
    env: str = "dev",
    repos_file: Path | None = None,
) -> list[str]:
    """Post it, deliver GitHub's webhook, run the worker; returns what happened, in words."""
    repo = next((r for r in config.repositories if r.slug == slug), None)
    if repo is None:
        raise CliError(
            f"{slug} is not among the configured repositories",
            f"use one of: {', '.join(r.slug for r in config.repositories)}",
        )
    with LocalStack(state, env=env, repos_file=repos_file) as stack:
        forge = stack.forge()
        pr = forge.get_pr(repo, number)
        if review and pr is None:
            raise CliError(f"{slug} #{number} is not a PR", "reviews are of PRs: drop --review")
        before = _seen(forge, repo, number)
        if review == "changes":
            review_id = forge.review_as(repo, number, text, login, "changes_requested")
            event, payload = "pull_request_review", review_payload(repo, pr, review_id, text, login)
        elif review == "comment":
            comment_id = forge.review_comment_as(repo, number, text, login)
            event, payload = (
                "pull_request_review_comment",
                review_comment_payload(repo, pr, comment_id, text, login),
            )
        else:
            comment_id = forge.comment_as(repo, number, text, login)
            event, payload = (
                "issue_comment",
                issue_comment_payload(repo, number, comment_id, text, login, pr=pr),
            )
        response = stack.deliver_webhook(event, payload)
        stack.drain()
        after = _seen(forge, repo, number)
    what = f"a review requesting changes on #{number}" if review == "changes" else f"{text!r} on #{number}"
    role = "with write access" if login == WRITER else "a stranger"
    lines = [
        f"{login} ({role}) posts {what}; the webhook answered {response['status']} {response['body'].get('message', '')}"
    ]
    return lines + _changes(number, before, after)


def _seen(forge, repo: RepoConfig, number: int) -> _Seen:
    me = forge.whoami(repo)
    replies = {c["id"]: c["body"] for c in forge.issue_comments(repo, number) if c.get("author") == me}
    pr = forge.get_pr(repo, number)
    if pr is None:
        return _Seen(replies)
    commits = forge.commit_count(repo, pr.branch) if pr.state == "open" else 0
    return _Seen(replies, pr.state, pr.head_sha, commits, pr.draft)


def _changes(number: int, before: _Seen, after: _Seen) -> list[str]:
    lines = []
    if after.head != before.head and after.pr_state == "open":
        back = ", back to draft until CI passes on it" if after.draft else ""
        lines.append(
            f"Homeostat pushed a new commit on top of PR #{number} ({after.commits} commits now, "
            f"the earlier ones kept){back}"
        )
    if before.pr_state == "open" and after.pr_state == "closed":
        lines.append(f"Homeostat closed PR #{number} and deleted its branch")
    for comment_id, body in after.replies.items():
        if before.replies.get(comment_id) != body:
            first = next((line for line in body.splitlines() if line.strip()), "").strip("*")
            lines.append(f"Homeostat replied: {first}")
    return lines or ["nothing changed, and Homeostat did not reply"]


def demo_steering(state: Path, config: HomeostatConfig, repo: RepoConfig) -> list[str]:
    """The demo's step: a stranger's command ignored, a maintainer's review answered on the PR."""
    with LocalStack(state) as stack:
        forge = stack.forge()
        # the newest PR whose head Homeostat pushed (one people committed on is theirs)
        prs = [
            p
            for p in forge.list_own_open_prs(repo)
            if forge.commit_author(repo, p.head_sha)[0] == forge.login
        ]
    if not prs:
        return [f"{repo.slug} has no open Homeostat PR to steer"]
    number = max(p.number for p in prs)
    ask = "Please also keep the notes the user already had when the stored value is unreadable."
    return [
        *local_comment(state, config, repo.slug, number, "/homeostat stop", login="drive-by"),
        *local_comment(state, config, repo.slug, number, ask, review="changes"),
        *local_comment(state, config, repo.slug, number, "/homeostat explain"),
    ]


def comment_command(args) -> int:
    config = load_config(args.config or default_config_path())
    require_state(args.state)
    lines = local_comment(
        args.state,
        config,
        args.repo,
        args.number,
        args.text,
        login=args.login,
        review=args.review,
        env=args.env or "dev",
        repos_file=args.config,
    )
    for line in lines:
        print(textwrap.fill(line, width=100, initial_indent="  ", subsequent_indent="      "))
    return 0
