"""What local mode prints: each outcome in a maintainer's words (the run table: run_report)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from homeostat_core.local.runner import StateReset

WIDTH = 100  # console output fits 100 columns


def is_rejection(outcome: dict) -> bool:
    return outcome.get("result") == "rejected"


def describe_outcome(outcome: dict) -> str:
    return (
        f"issues {_issues(outcome)}: {_what_happened(outcome)}"
        if outcome.get("issues")
        else _what_happened(outcome)
    )


def _issues(outcome: dict) -> str:
    return ", ".join(f"#{n}" for n in outcome.get("issues", []))


def _what_happened(outcome: dict) -> str:
    result = outcome.get("result")
    if result in ("pr_created", "pr_updated"):
        source = (
            f"pattern {outcome.get('patternId')} at $0, no model call"
            if outcome.get("source") == "pattern"
            else f"tier {outcome.get('tier')} ({outcome.get('model')}) ${outcome.get('costUsd', 0):.4f}"
        )
        if result == "pr_created":
            verb = "opened draft PR" if outcome.get("draft") else "opened PR"
        else:
            verb = "pushed a new commit to its PR"
        regressed = f" (regression of #{outcome['regressedFrom']})" if outcome.get("regressedFrom") else ""
        for key, result_words in (
            ("awaitingRelease", "awaiting_release"),
            ("fixedInRelease", "fixed_in_release"),
        ):
            answered = ", ".join(f"#{n}" for n in outcome.get(key, []))
            if answered:
                regressed += f"; {answered}: {LIFECYCLE_WORDS[result_words]}"
        if outcome.get("patternHint"):
            regressed += (
                f"; pattern {outcome['patternHint']} shown to the model as a hint ({outcome['hintWhy']})"
            )
        return f"{verb} #{outcome.get('pr')} from {source}{regressed}"
    if result in LIFECYCLE_WORDS:
        reason = outcome.get("reason")
        pr = f"PR #{outcome['pr']}: " if outcome.get("pr") else ""
        return f"{pr}{LIFECYCLE_WORDS[result]}" + (f" ({reason})" if reason else "")
    # The table counts these as "rejected": the console uses the same word.
    shown = "rejected" if is_rejection(outcome) else result
    reason = outcome.get("reason", "")
    detail = outcome.get("detail")
    cost = outcome.get("costUsd")
    spent = f"; model cost ${cost:.4f}" if cost else ""
    return f"{shown} ({reason}: {detail}{spent})" if detail else f"{shown} ({reason}{spent})"


# What each lifecycle outcome means, in a maintainer's words.
LIFECYCLE_WORDS = {
    "ready": "marked ready for review",
    "waiting": "open, waiting",
    "handed_over": "someone else committed on the branch: Homeostat will not push to it again",
    "closed": "closed by Homeostat, branch deleted",
    "merged": "merged",
    "closed_by_person": "closed by a person without merging: not recreated",
    "done": "nothing to do",
    "gave_up": "gave up: PR closed, issues labelled homeostat-gave-up",
    "awaiting_release": "fixed, awaiting release: no attempt, $0",
    "fixed_in_release": "fixed in a newer release: no attempt, $0",
    "opted_out": "opted out by a person: no PR, answered once",
    "verified": "fix verified in production",
    "cooldown": "in cooldown",
}


# The fingerprint's stage after the worker handled the CI webhook, in a maintainer's words.
CI_WORDS = {
    "ready": "the PR is ready for review",
    "ci_failed": "recorded the failure; after the backoff Homeostat pushes a new commit to this PR",
    "draft": "still a draft, waiting for the other checks",
    "handed_over": "people committed on this branch: it is theirs",
}


def say(text: str = "") -> None:
    print(text, flush=True)


def say_reset(state: Path, reset: StateReset) -> None:
    """What a fresh start deleted (only what Homeostat wrote) and what it left alone."""
    if reset.cleared:
        say_wrapped(f"cleared what Homeostat wrote in {state}: {', '.join(reset.cleared)}", indent="")
    if reset.kept:
        say_wrapped(
            f"left alone in {state} (Homeostat did not write them): {', '.join(reset.kept)}", indent=""
        )


def say_wrapped(text: str, indent: str = "  ") -> None:
    say(
        textwrap.fill(
            text,
            WIDTH,
            initial_indent=indent,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    )
