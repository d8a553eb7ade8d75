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

import difflib
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


def is_homeostat_branch(branch: object) -> bool:
    return isinstance(branch, str) and branch.startswith(BRANCH_PREFIX) and len(branch) > len(BRANCH_PREFIX)


def _typed(value: Any, kind: type, what: str) -> Any:
    """`value` when it has the type GitHub documents for it; InvalidJob otherwise.

    A signed payload can still be malformed (a proxy, a replayed test delivery): wrong types are
    refused with a 400 here instead of failing later as a 500 or a poisoned queue message.
    """
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise InvalidJob(f"payload field {what} must be a {kind.__name__}")
    return value


def _repo_name(payload: dict[str, Any]) -> str:
    name = _typed(_typed(payload["repository"], dict, "repository")["full_name"], str, "repository.full_name")
    if name.count("/") != 1 or not all(name.split("/")):
        raise InvalidJob("payload field repository.full_name must be 'owner/name'")
    return name


FAILED_CONCLUSIONS = frozenset({"failure", "timed_out", "cancelled", "action_required", "startup_failure"})


def job_from_webhook(event: str, payload: dict[str, Any]) -> LearningJob | None:
    """The learning job a GitHub delivery asks for, or None when it is not for Homeostat.

    Raises InvalidJob when a relevant event lacks the fields learning needs.
    """
    try:
        if event == "pull_request":
            if payload.get("action") != "closed":
                return None
            pr = _typed(payload["pull_request"], dict, "pull_request")
            branch = _typed(
                _typed(pr["head"], dict, "pull_request.head")["ref"], str, "pull_request.head.ref"
            )
            if not is_homeostat_branch(branch):
                return None
            return LearningJob(
                kind="pull_request_closed",
                repo=_repo_name(payload),
                branch=branch,
                pr_number=_typed(pr["number"], int, "pull_request.number"),
                merged=bool(pr.get("merged")),
            )
        if event in ("check_suite", "check_run"):
            if payload.get("action") != "completed":
                return None
            body = _typed(payload[event], dict, event)
            suite = (
                body if event == "check_suite" else _typed(body["check_suite"], dict, "check_run.check_suite")
            )
            branch = suite.get("head_branch")  # null for a suite on no branch: not Homeostat's
            if branch is not None:
                _typed(branch, str, f"{event}.head_branch")
            if not is_homeostat_branch(branch):
                return None
            prs = body.get("pull_requests") or suite.get("pull_requests") or []
            if not isinstance(prs, list) or not all(isinstance(p, dict) for p in prs):
                raise InvalidJob(f"payload field {event}.pull_requests must be a list of objects")
            summary = ""
            if event == "check_run":
                output = body.get("output") or {}
                summary = f"{body.get('name', 'check')}: {output.get('title') or ''} {output.get('summary') or ''}".strip()
            conclusion = body.get("conclusion")
            if conclusion is not None:
                _typed(conclusion, str, f"{event}.conclusion")
            return LearningJob(
                kind="check_completed",
                repo=_repo_name(payload),
                branch=branch,
                pr_number=_typed(prs[0]["number"], int, "pull_requests[0].number") if prs else None,
                conclusion=conclusion,
                summary=summary[:2000],
            )
    except InvalidJob:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
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
            diff=job.diff or edits_diff(state.edits),
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


def edits_diff(edits) -> str:
    """A unified diff of search/replace edits, for people reading a pattern (not for applying)."""
    chunks = []
    for edit in edits:
        chunks.extend(
            difflib.unified_diff(
                edit.search.splitlines(keepends=True),
                edit.replace.splitlines(keepends=True),
                fromfile=f"a/{edit.path}",
                tofile=f"b/{edit.path}",
                lineterm="\n",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


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
