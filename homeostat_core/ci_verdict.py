"""The CI verdict on one commit, decided the way GitHub decides whether a pull request may merge.

- Required checks decide alone when the base branch has any (branch protection's required status
  checks, or a ruleset's `required_status_checks` rule): each must have reported and passed; a
  required check that has not reported yet is pending. Other checks are optional: a failing
  optional check is named in the summary and changes nothing.
- Without required checks: every check run and commit status on the commit (except the
  repository's `ci_ignore` names or globs), and every check suite that has runs; a suite with no
  run yet counts as CI that has not started for `ci_start_grace_minutes` after it was created,
  and is ignored after that (some apps' suites stay queued for ever).
- Conclusions keep GitHub's meaning: success, neutral and skipped pass (as for required checks);
  failure, timed_out, cancelled and startup_failure (and a commit status's failure or error)
  fail; action_required waits for a person to approve or act, and stale means GitHub gave up on a
  run that never completed (a person must re-run it): both pending. Anything not completed is
  pending; a conclusion GitHub adds later is pending until it is known. None is ever a pass.

States: failure when any deciding check failed (a failure is final whatever else runs), pending
while any deciding check runs, waits or has not started, none when nothing reported at all, else
success. Both forges answer through `ci_verdict`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from homeostat_core.models import CheckResult
from homeostat_core.ports import check_verdict

PASSING = frozenset({"success", "neutral", "skipped"})
FAILING = frozenset({"failure", "timed_out", "cancelled", "startup_failure", "error"})
WAITING_FOR_PEOPLE = frozenset({"action_required", "stale"})
CONCLUSIONS = PASSING | (FAILING - {"error"}) | WAITING_FOR_PEOPLE

Outcome = Literal["passed", "failed", "running", "waiting"]


def outcome_of(status: str | None, conclusion: str | None) -> Outcome:
    """A check run's or suite's outcome from GitHub's `status` and `conclusion`."""
    if status != "completed":
        return "running"
    if conclusion in PASSING:
        return "passed"
    if conclusion in FAILING:
        return "failed"
    return "waiting"  # action_required, stale, or one GitHub has added since


def status_outcome(state: str) -> Outcome:
    """A commit status's outcome (`state`: success, failure, error, pending)."""
    return {"success": "passed", "failure": "failed", "error": "failed"}.get(state, "running")


@dataclass(frozen=True, slots=True)
class Check:
    """One check run or commit status on the commit."""

    name: str  # check run name / status context
    outcome: Outcome
    detail: str = ""  # why it failed (output summary, annotations); when waiting, its conclusion
    app_id: int | None = None  # the GitHub App that reported a check run
    suite_id: int | None = None


@dataclass(frozen=True, slots=True)
class Suite:
    """A check suite: one app's checks on the commit."""

    id: int
    app: str  # the app's slug (ci_ignore matches it, or its name)
    app_name: str
    outcome: Outcome
    has_runs: bool
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class RequiredCheck:
    context: str
    app_id: int | None = None  # None: any app (or a commit status) may report it


def ignored(name: str, patterns: Sequence[str]) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


def ci_verdict(
    checks: Sequence[Check],
    *,
    suites: Sequence[Suite] = (),
    required: Sequence[RequiredCheck] = (),
    ignore: Sequence[str] = (),
    grace: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
) -> CheckResult:
    if required:
        return _required_verdict(checks, required)
    deciding = [c for c in checks if not ignored(c.name, ignore)]
    failing = [_described(c) for c in deciding if c.outcome == "failed"]
    pending = [_described(c) for c in deciding if c.outcome in ("running", "waiting")]
    # A suite whose every run is ignored is ignored with them.
    ignored_suites = {c.suite_id for c in checks} - {c.suite_id for c in deciding}
    unfinished = {c.suite_id for c in deciding if c.outcome in ("running", "waiting")}
    suites_pending = []
    for suite in suites:
        if suite.id in ignored_suites or ignored(suite.app, ignore) or ignored(suite.app_name, ignore):
            continue
        if suite.has_runs and suite.outcome == "running" and suite.id not in unfinished:
            # every run so far is done, yet the suite is not: later jobs of a workflow are to come
            suites_pending.append(f"{suite.app_name} (more checks to come)")
        elif not suite.has_runs and _within(suite.created_at, grace, now):
            suites_pending.append(f"{suite.app_name} (has not started yet)")
    pending += suites_pending
    result = check_verdict(failing, pending, len(deciding) + len(suites_pending))
    if result.state != "success":
        return result
    names = ", ".join(c.name for c in deciding)
    return CheckResult("success", _short(f"{len(deciding)} checks passed: {names}"), len(deciding))


def _within(created_at: datetime | None, grace: timedelta, now: datetime | None) -> bool:
    return created_at is not None and now is not None and now - created_at < grace


def _required_verdict(checks: Sequence[Check], required: Sequence[RequiredCheck]) -> CheckResult:
    failing, pending, passed = [], [], []
    deciding: set[int] = set()
    for want in required:
        matching = [
            (i, c)
            for i, c in enumerate(checks)
            if c.name == want.context and (want.app_id is None or c.app_id in (None, want.app_id))
        ]
        deciding.update(i for i, _ in matching)
        if not matching:
            pending.append(f"{want.context} (required, not reported yet)")
        elif any(c.outcome == "failed" for _, c in matching):
            failing += [_described(c) for _, c in matching if c.outcome == "failed"]
        elif any(c.outcome != "passed" for _, c in matching):
            pending += [_described(c) for _, c in matching if c.outcome != "passed"]
        else:
            passed.append(want.context)
    result = check_verdict(failing, pending, len(deciding) or len(required))
    if result.state != "success":
        return result
    optional = [c.name for i, c in enumerate(checks) if i not in deciding and c.outcome == "failed"]
    summary = f"{len(passed)} required checks passed: {', '.join(passed)}"
    if optional:
        summary += f"; optional checks failing (not required): {', '.join(optional)}"
    return CheckResult("success", _short(summary), len(deciding))


WAITING_TEXT = {
    "action_required": "action required: a person must approve or act",
    "stale": "stale: it never completed; re-run it",
}


def _described(check: Check) -> str:
    if check.outcome == "waiting":  # detail: the conclusion
        why = WAITING_TEXT.get(check.detail) or f"{check.detail or 'unknown state'}: waiting"
        return f"{check.name} ({why})"
    if check.outcome == "running":
        return check.name
    return f"{check.name}: {check.detail}" if check.detail else check.name


def _short(text: str, limit: int = 2000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
