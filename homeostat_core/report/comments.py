"""Every comment Homeostat posts on an issue or a PR, and the notes it adds to its own PRs."""

from __future__ import annotations

from homeostat_core.fixing.scrub import scrub as scrub_secrets
from homeostat_core.models import (
    COOLDOWN_HOURS,
    MAX_ATTEMPTS,
    ErrorFingerprint,
    ProposedFix,
    PullRequest,
)
from homeostat_core.outcomes import REJECTED_LABEL, UNPARSEABLE_LABEL
from homeostat_core.report.inert import DETAIL_CHARS, Scrub, capped, code_span, fit_github_limit
from homeostat_core.report.markers import REJECTED_MARKER, UNPARSEABLE_MARKER, issue_comment_marker
from homeostat_core.report.pr import changed_paths, fix_source


def render_issue_comment(
    pr: PullRequest, fingerprint: ErrorFingerprint, fix: ProposedFix, *, opt_out_label: str = "do-not-fix"
) -> str:
    """The one comment on each linked issue (edited on later attempts, never repeated)."""
    link = f"[#{pr.number}]({pr.url})" if pr.url else f"#{pr.number}"
    return fit_github_limit(
        f"🤖 Homeostat proposed a fix for this error in {link} "
        f"(branch {code_span(pr.branch)}, fingerprint {code_span(fingerprint.id)}).\n\n"
        f"Source: {fix_source(fix)}. {fix.lines_changed} lines changed in "
        f"{len(changed_paths(fix))} file(s).\n\n"
        f"Add the {code_span(opt_out_label)} label to this issue to stop further attempts.",
        f"{issue_comment_marker(fingerprint.id)}\n",
    )


def render_unparseable_comment(reason: str, *, scrub: Scrub = scrub_secrets) -> str:
    return fit_github_limit(
        "🤖 Homeostat could not read this issue as an error report, so it will not try to fix it.\n\n"
        f"Reason: {code_span(capped(reason, DETAIL_CHARS, scrub), DETAIL_CHARS)}\n\n"
        "Homeostat expects the error logger's issue format (error type, message and stack trace). "
        f"Edit the issue and remove the {code_span(UNPARSEABLE_LABEL)} label to have it read again.",
        f"{UNPARSEABLE_MARKER}\n",
    )


def render_rejected_comment(reason_code: str, detail: str, *, scrub: Scrub = scrub_secrets) -> str:
    """Why no PR was opened, and what the `homeostat-rejected` label does: Homeostat skips the
    issue until a person removes the label (pipeline.py); only then do the cooldown and the
    attempt limit decide when it tries again."""
    code = code_span(reason_code)
    if reason_code == "no_source":
        what = (
            "🤖 Homeostat did not try to fix this error: it could not find the source files the "
            f"error points at in this repository ({code}). The detail lists the paths it tried and "
            "the extension roots it searched. If the extension lives in a folder or a build copies "
            f"or bundles its files, set {code_span('source_roots')} or {code_span('path_map')} in "
            f"repos.yml; {code_span('homeostat context ISSUE --checkout DIR')} shows each step."
        )
    elif reason_code == "no_frames":
        what = (
            "🤖 Homeostat did not try to fix this error: the report names no file and line "
            f"({code}), so there is no code to look at, and it does not guess."
        )
    else:
        what = (
            "🤖 Homeostat found a candidate fix for this error but did not open a PR: it failed "
            f"validation ({code})."
        )
    cooldowns = ", ".join(f"{COOLDOWN_HOURS * 2**n} h after attempt {n + 1}" for n in range(MAX_ATTEMPTS - 1))
    return fit_github_limit(
        f"{what}\n\n"
        f"Detail: {code_span(capped(detail, DETAIL_CHARS, scrub), DETAIL_CHARS)}\n\n"
        f"Homeostat will not look at this issue again while it carries the "
        f"{code_span(REJECTED_LABEL)} label. Remove the label to let it try again: the next "
        f"attempt still waits for this error's cooldown ({cooldowns}), and an error gets at most "
        f"{MAX_ATTEMPTS} attempts.",
        f"{REJECTED_MARKER}\n",
    )


# --- notes on Homeostat's own PRs and answers on issues (Homeostat's own words; no untrusted text) ---


def no_drafts_note() -> str:
    return (
        "This repository cannot have draft pull requests, so Homeostat opened this one ready "
        "for review before its CI has run. Please wait for the checks before merging.\n"
    )


def handed_over_note() -> str:
    return (
        "Someone else has pushed commits to this branch, so Homeostat will not push to it again "
        "and makes no further attempts on this error while this PR is open.\n"
    )


def gave_up_note(attempts: int) -> str:
    return (
        f"Homeostat made {attempts} attempts at this error and none passed; closing "
        "this PR. The linked issues are labelled `homeostat-gave-up`.\n"
    )


def closed_note() -> str:
    return (
        "Every issue that reported this error is closed or opted out, so Homeostat is "
        "closing this PR and deleting its branch.\n"
    )


def no_ci_note() -> str:
    return "No CI checks ran on this PR; it is ready for review.\n"


def pending_release_comment(pr_number: int, version_seen: str, ships_in: str | None, *, closing: bool) -> str:
    """A report from a version without the merged fix, while no release contains it."""
    where = (
        f"It ships in version {code_span(ships_in)}, the default branch's version since the merge; "
        "no release tag contains it yet."
        if ships_in
        else "No release of this repository contains it yet: no tag or published release includes "
        "the merge commit."
    )
    return (
        f"This error was fixed by #{pr_number}. {where} This report comes from version "
        f"{code_span(version_seen)}, which does not have the fix, so Homeostat makes no new attempt."
        + (
            " Closing it; reopen it if the error appears in a version released after the fix."
            if closing
            else ""
        )
        + "\n"
    )


def fixed_in_release_comment(pr_number: int, version_seen: str, released_in: str, *, closing: bool) -> str:
    """A report from a version older than the first release that contains the merged fix."""
    return (
        f"This error was fixed by #{pr_number}, first released in version {code_span(released_in)} "
        "(the first release whose commit contains the merge commit). This report comes from version "
        f"{code_span(version_seen)}, which is older and does not have the fix: updating the extension "
        "stops it, so Homeostat makes no new attempt."
        + (" Closing it; reopen it if the error appears in a newer version." if closing else "")
        + "\n"
    )


def regressed_comment(version_seen: str, pr_number: int, fixed_in: str, rule: str) -> str:
    """Reports from a version with the fix (`fixed_in` says where the fix is), believed by `rule`."""
    return (
        f"This error was reported from version {code_span(version_seen)}, which contains the fix "
        f"merged in #{pr_number} ({fixed_in}), {rule}: the fix did not stop it. Homeostat will try "
        "again.\n"
    )


def opted_out_comment(opt_out_label: str, issue_number: int | None) -> str:
    """A new report of an error a person opted out of automatic fixes (posted once per issue)."""
    where = f" on #{issue_number}" if issue_number is not None else ""
    return (
        f"A person opted this error out of automatic fixes (the {code_span(opt_out_label)} label{where}), "
        "so Homeostat opens no pull request for it, whichever issue reports it. To lift that, "
        f"remove the label{where} while that issue is open.\n"
    )


def opted_out_note(opt_out_label: str, issue_number: int) -> str:
    """On Homeostat's PR, closed because a person opted its error out."""
    return (
        f"A person opted this error out of automatic fixes (the {code_span(opt_out_label)} label on "
        f"#{issue_number}), so Homeostat is closing this PR and deleting its branch, and will open "
        "none for this error again.\n"
    )
