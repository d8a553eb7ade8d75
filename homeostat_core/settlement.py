"""What Homeostat's PRs came to, from facts: the CI verdict on its own head commit, a merge or a
close, and what is learned from them. The run (polling) and the learning job (webhooks) both call
these, so they agree."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta

from homeostat_core import lifecycle
from homeostat_core.attempts import as_utc
from homeostat_core.config import RepoConfig
from homeostat_core.fixing.scrub import scrub
from homeostat_core.fixing.validation import unified_diff
from homeostat_core.lifecycle import POLICY, Policy, Stage, stage_of
from homeostat_core.models import (
    AttemptState,
    FileEdit,
    PullRequest,
)
from homeostat_core.observability import emit_outcome_metric, logger
from homeostat_core.outcomes import (
    Result,
)
from homeostat_core.patterns.extractor import extract_pattern, pattern_id_for
from homeostat_core.patterns.learner import record_outcome, record_production
from homeostat_core.releases import RepoReleases, version_on
from homeostat_core.report.comments import no_ci_note
from homeostat_core.report.markers import NO_CI_MARKER


def apply_ci_verdict(
    ports, repo: RepoConfig, state: AttemptState, verdict, now: datetime, policy: Policy = POLICY
):
    """A CI verdict on Homeostat's own head commit → ready / CI failed; None when undecided
    (pending never marks ready; only a failure of what decides the verdict spends an attempt).

    Called by the run (polling) and by the learning job (check events), so both agree.
    """
    stage = stage_of(state)
    if verdict.state == "success" and stage in (Stage.DRAFT, Stage.CI_FAILED):
        _mark_ready(ports, repo, state)
        ports.attempts.save(lifecycle.moved(state, Stage.READY, tests_passed=True, ci_summary=None))
        return Result.READY
    if verdict.state == "none" and stage is Stage.DRAFT:
        # No check at all: CI may not have started yet (pending until ci_start_grace_minutes after
        # the push); after that, and ready_after_hours, the repository is taken to have no CI.
        opened = state.last_attempt_at or state.pr_opened_at or now  # the push being waited on
        wait = max(timedelta(hours=repo.ready_after_hours), timedelta(minutes=repo.ci_start_grace_minutes))
        if as_utc(now) - as_utc(opened) >= wait:
            _mark_ready(ports, repo, state, note=no_ci_note())
            ports.attempts.save(lifecycle.moved(state, Stage.READY, tests_passed=None))
            return Result.READY
        return None
    if verdict.state == "failure" and stage in (Stage.DRAFT, Stage.READY):
        summary = scrub(verdict.summary or "CI failed")[: policy.ci_summary_chars]
        ports.attempts.save(
            lifecycle.moved(
                state, Stage.CI_FAILED, tests_passed=False, ci_summary=summary, failure_summary=summary
            )
        )
        return Result.FAILED
    return None


def _mark_ready(ports, repo: RepoConfig, state: AttemptState, note: str | None = None) -> None:
    ports.forge.mark_ready(repo, state.pr_number)
    if repo.reviewers:
        ports.forge.request_reviewers(repo, state.pr_number, list(repo.reviewers))
    if note:
        ports.forge.comment_on_pr(repo, state.pr_number, note, NO_CI_MARKER)


# Stages in which a fingerprint has a PR whose end Homeostat has not recorded yet.
_AWAITING_END = lifecycle.PR_OPEN | {Stage.ATTEMPT_FAILED}


def settle_closed_pr(
    ports,
    repo: RepoConfig,
    state: AttemptState,
    pr: PullRequest,
    *,
    env: str,
    now: datetime,
    releases: RepoReleases | None = None,
) -> Result | None:
    """Homeostat's PR was merged or closed: move the fingerprint on and learn (once).

    A close records the newest version the repository had released: only a report from a later
    release may re-open the work (pipeline.people). None when there is nothing to do (already
    settled, or not the PR this fingerprint recorded).
    """
    if pr.number != state.pr_number or pr.state == "open" or stage_of(state) not in _AWAITING_END:
        return None
    people_committed = bool(pr.head_sha) and pr.head_sha != state.head_sha
    if not pr.merged:
        floor = (releases or RepoReleases(ports.forge, repo)).floor_for_close()
        ports.attempts.save(
            lifecycle.moved(
                state,
                Stage.CLOSED_BY_PERSON,
                closed_at=pr.closed_at or now,
                closed_at_version=floor,
            )
        )
        if not people_committed:
            ports.forge.delete_branch(repo, pr.branch)
        _learn_outcome(ports, state, env=env, success=False, now=now)
        emit_outcome_metric(repo.slug, "PRsClosedByPeople")
        return Result.CLOSED_BY_PERSON
    tests_passed = ports.forge.get_check_results(repo, pr.head_sha).state == "success"
    ports.attempts.save(
        lifecycle.moved(
            state,
            Stage.MERGED,
            closed_at=pr.merged_at or now,
            tests_passed=tests_passed,
            merge_sha=pr.merge_commit_sha,
            version_at_merge=version_on(ports.forge, repo, pr.merge_commit_sha or repo.branch),
        )
    )
    edits = merged_edits(ports.forge, repo, state, pr) if people_committed else state.edits
    if tests_passed and edits:
        extract_pattern(
            ports.patterns,
            env=env,
            merged=True,
            fingerprint_id=state.fingerprint_id,
            error_type=state.error_type,
            file_path=state.file_path,
            edits=edits,
            diff=edits_diff(edits),
            repo=repo.slug,
            now=now,
        )
    else:
        logger.info(
            "pattern not extracted",
            extra={"fingerprint": state.fingerprint_id, "tests_passed": tests_passed, "edits": bool(edits)},
        )
    _learn_outcome(ports, state, env=env, success=tests_passed, now=now)
    ports.forge.delete_branch(repo, pr.branch)
    emit_outcome_metric(repo.slug, "PRsMerged")
    return Result.MERGED


def learn_regression(ports, state: AttemptState, *, env: str, now: datetime) -> None:
    """The merged fix did not stop the error in production: the pattern that produced it (or the
    one learned from it) records a failure, by the same EMA as the learner, and goes back on
    probation (production only)."""
    pattern_id = state.pattern_id or pattern_id_for(state.fingerprint_id)
    if ports.patterns.get(pattern_id) is not None:
        record_outcome(ports.patterns, pattern_id, env=env, merged=False, tests_passed=False, now=now)
        record_production(ports.patterns, pattern_id, env=env, held=False, now=now)


def learn_verified(ports, state: AttemptState, *, env: str, now: datetime) -> None:
    """The merged fix held in production: its pattern (the one that produced it, or the one learned
    from it) is verified and leaves probation (production only)."""
    for pattern_id in dict.fromkeys(filter(None, (state.pattern_id, pattern_id_for(state.fingerprint_id)))):
        if ports.patterns.get(pattern_id) is not None:
            record_production(ports.patterns, pattern_id, env=env, held=True, now=now)


def _learn_outcome(ports, state: AttemptState, *, env: str, success: bool, now: datetime) -> None:
    if state.pattern_id:
        record_outcome(
            ports.patterns, state.pattern_id, env=env, merged=success, tests_passed=success, now=now
        )


def merged_edits(forge, repo: RepoConfig, state: AttemptState, pr: PullRequest) -> tuple[FileEdit, ...]:
    """People changed Homeostat's edits before merging: the merged version, as search/replace edits
    against the file Homeostat started from; () when it cannot be expressed that way."""
    edits = []
    for path in dict.fromkeys(edit.path for edit in state.edits):
        if not repo.path_filters.allows(path):
            continue
        ours = forge.read_file(repo, path, ref=state.head_sha)
        merged = forge.read_file(repo, path, ref=pr.head_sha)
        if ours is None or merged is None:
            return ()
        original = ours
        for edit in (e for e in state.edits if e.path == path):
            if original.count(edit.replace) != 1:
                return ()
            original = original.replace(edit.replace, edit.search, 1)
        edit = _edit_between(path, original, merged)
        if edit is not None:
            edits.append(edit)
    return tuple(edits)


def _edit_between(path: str, before: str, after: str) -> FileEdit | None:
    """One search/replace edit turning `before` into `after`: the changed lines, widened by context
    lines until the search text occurs exactly once."""
    if before == after:
        return None
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    blocks = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    changed = [b for b in blocks if b[0] != "equal"]
    start_old, end_old = changed[0][1], changed[-1][2]
    start_new, end_new = changed[0][3], changed[-1][4]
    while True:
        search = "".join(old[start_old:end_old])
        if search and before.count(search) == 1:
            return FileEdit(path=path, search=search, replace="".join(new[start_new:end_new]))
        if start_old == 0 and end_old == len(old):
            return None
        if start_old > 0:
            start_old, start_new = start_old - 1, start_new - 1
        if end_old < len(old):
            end_old, end_new = end_old + 1, end_new + 1


def edits_diff(edits) -> str:
    """A unified diff of search/replace edits, for people reading a pattern (not for applying)."""
    return "".join(unified_diff(edit.path, edit.search, edit.replace)[0] for edit in edits)
