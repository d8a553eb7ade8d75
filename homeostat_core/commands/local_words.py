"""What local mode prints: the run table and each outcome in a maintainer's words."""

from __future__ import annotations

from homeostat_core.run_report import aligned

# Short headers so the table fits 100 columns; the same counts as `homeostat report`'s table
# (PRs = PRs created, upd = PRs updated).
CONSOLE_COLUMNS = (
    ("repo", lambda r: r.repo.split("/", 1)[-1]),
    ("issues", lambda r: r.issues_processed),
    ("fps", lambda r: r.fingerprints_processed),
    ("PRs", lambda r: r.prs_created),
    ("upd", lambda r: r.prs_updated),
    ("cool", lambda r: r.cooldowns),
    ("pattern", lambda r: r.pattern_hits),
    ("unparsed", lambda r: r.unparseable),
    ("rejected", lambda r: r.validation_rejected),
    ("deferred", lambda r: len(r.deferred_issues)),
    ("cost $", lambda r: f"{r.cost_usd:.4f}"),
    ("tokens", lambda r: r.tokens),
    ("ms", lambda r: r.latency_ms),
)


def console_table(records: list) -> str:
    rows = [tuple(str(get(r)) for _, get in CONSOLE_COLUMNS) for r in records]
    if len(records) > 1:
        totals = ["total"]
        for _, get in CONSOLE_COLUMNS[1:]:
            values = [get(r) for r in records]
            total = sum(float(v) for v in values)
            totals.append(f"{total:.4f}" if isinstance(values[0], str) else str(int(total)))
        rows.append(tuple(totals))

    return aligned(tuple(name for name, _ in CONSOLE_COLUMNS), rows)


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
