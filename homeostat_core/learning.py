"""Webhook-driven learning: what a merged, closed or CI-checked Homeostat PR teaches.

The webhook handler turns a GitHub delivery into a small `LearningJob` (so the queue carries only
what learning needs, not GitHub's whole payload); the worker calls `handle_job`.

- pull_request closed on `homeostat/fix-<id>`: the attempt's lastResult becomes success (merged)
  or failure (closed); a merged fix becomes a pattern (extractor; production only); a PR that came
  from a pattern updates that pattern's success rate (learner; production only).
- check_suite / check_run completed: testsPassed and lastResult on the attempt; a failure's
  summary is kept and fed into the next attempt's prompt. Bookkeeping, so in every environment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from homeostat_core.observability import logger
from homeostat_core.patterns.extractor import extract_pattern
from homeostat_core.patterns.learner import record_outcome
from homeostat_core.ports import BRANCH_PREFIX, AttemptStore, Clock, ConflictError, PatternStore

JobKind = Literal["pull_request_closed", "check_completed"]


class InvalidJob(ValueError):
    """A learning job that lacks what learning needs."""


@dataclass(frozen=True, slots=True)
class LearningJob:
    kind: JobKind
    repo: str
    branch: str
    pr_number: int | None = None
    merged: bool = False
    conclusion: str | None = None  # success | failure | neutral | cancelled | timed_out | ...
    summary: str = ""
    diff: str = ""

    @property
    def fingerprint_id(self) -> str:
        return self.branch.removeprefix(BRANCH_PREFIX)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> LearningJob:
        try:
            job = LearningJob(**data)
        except TypeError as exc:
            raise InvalidJob(f"learning job has unexpected fields: {exc}") from None
        if job.kind not in ("pull_request_closed", "check_completed"):
            raise InvalidJob(f"unknown learning job kind {job.kind!r}")
        if not is_homeostat_branch(job.branch):
            raise InvalidJob(f"branch {job.branch!r} is not a Homeostat branch")
        return job


def is_homeostat_branch(branch: str | None) -> bool:
    return bool(branch) and branch.startswith(BRANCH_PREFIX) and len(branch) > len(BRANCH_PREFIX)


FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})


def job_from_webhook(event: str, payload: dict[str, Any]) -> LearningJob | None:
    """The learning job a GitHub delivery asks for, or None when it is not for Homeostat.

    Raises InvalidJob when a relevant event lacks the fields learning needs.
    """
    try:
        if event == "pull_request":
            if payload.get("action") != "closed":
                return None
            pr = payload["pull_request"]
            branch = pr["head"]["ref"]
            if not is_homeostat_branch(branch):
                return None
            return LearningJob(
                kind="pull_request_closed",
                repo=payload["repository"]["full_name"],
                branch=branch,
                pr_number=int(pr["number"]),
                merged=bool(pr.get("merged")),
            )
        if event in ("check_suite", "check_run"):
            if payload.get("action") != "completed":
                return None
            body = payload[event]
            suite = body if event == "check_suite" else body.get("check_suite") or {}
            branch = suite.get("head_branch")
            if not is_homeostat_branch(branch):
                return None
            prs = body.get("pull_requests") or suite.get("pull_requests") or []
            summary = ""
            if event == "check_run":
                output = body.get("output") or {}
                summary = f"{body.get('name', 'check')}: {output.get('title') or ''} {output.get('summary') or ''}".strip()
            return LearningJob(
                kind="check_completed",
                repo=payload["repository"]["full_name"],
                branch=branch,
                pr_number=int(prs[0]["number"]) if prs else None,
                conclusion=body.get("conclusion"),
                summary=summary[:2000],
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidJob(f"{event} payload is missing {exc}") from None
    return None


def handle_job(
    job: LearningJob, *, attempts: AttemptStore, patterns: PatternStore, clock: Clock, env: str
) -> dict[str, Any]:
    """Apply one learning job; returns what happened (for logs and the local demo)."""
    now = clock.now()
    state = attempts.get(job.repo, job.fingerprint_id)
    if state is None:
        logger.warning("No attempt for this Homeostat branch", extra={"repo": job.repo, "branch": job.branch})
        return {"result": "unknown_fingerprint", "fingerprint": job.fingerprint_id}

    if job.kind == "check_completed":
        if job.conclusion in (None, "neutral", "skipped", "stale"):
            return {"result": "ignored", "conclusion": job.conclusion}
        passed = job.conclusion == "success"
        updated = replace(
            state,
            tests_passed=passed,
            last_result=state.last_result if passed else "failure",
            failure_summary=None if passed else (job.summary or f"CI concluded {job.conclusion}"),
        )
        _save(attempts, updated)
        return {"result": "tests_passed" if passed else "tests_failed", "fingerprint": state.fingerprint_id}

    outcome: dict[str, Any] = {"fingerprint": state.fingerprint_id, "merged": job.merged}
    _save(attempts, replace(state, last_result="success" if job.merged else "failure"))
    if job.merged:
        pattern = extract_pattern(
            patterns,
            env=env,
            merged=True,
            fingerprint_id=state.fingerprint_id,
            error_type=state.error_type,
            file_path=state.file_path,
            edits=state.edits,
            diff=job.diff,
            repo=job.repo,
            now=now,
        )
        outcome["extracted"] = pattern.pattern_id if pattern else None
    if state.pattern_id:
        # No CI report means no test failed: the repo may have no checks configured.
        tests_passed = state.tests_passed is not False
        learned = record_outcome(
            patterns, state.pattern_id, env=env, merged=job.merged, tests_passed=tests_passed, now=now
        )
        outcome["learned"] = {
            "pattern": state.pattern_id,
            "successRate": learned.success_rate if learned else None,
        }
    outcome["result"] = "merged" if job.merged else "closed"
    logger.info("Learning job applied", extra=outcome)
    return outcome


def _save(attempts: AttemptStore, state) -> None:
    try:
        attempts.save(state)
    except ConflictError:
        # A repo run touched the attempt meanwhile; re-read and apply on top (once).
        fresh = attempts.get(state.repo, state.fingerprint_id)
        if fresh is not None:
            attempts.save(
                replace(
                    fresh,
                    last_result=state.last_result,
                    tests_passed=state.tests_passed,
                    failure_summary=state.failure_summary,
                )
            )
