"""Learning from verified facts: what happened to Homeostat's own PRs turns into transitions.

A webhook delivery is only a hint that something changed (homeostat_core/webhook.py turns it into
a small `LearningJob`); the facts come from the attempt store and from the forge, read with
Homeostat's own credentials:
- a PR counts only when its number is the one the attempt store recorded for a fingerprint, its
  head repository is the base repository and its author is Homeostat (`forge.whoami()`);
- a CI verdict counts only for the head commit Homeostat pushed (recorded as `head_sha`), and it is
  the aggregate of every check and status on that commit, read from the forge, never one event's;
- each fact is applied at most once: the lifecycle moves a fingerprint forward, and a replayed or
  re-signed delivery finds it already there;
- a pattern is extracted from what was actually merged, and only when the tests passed on the
  merged head (the seed's success: merged ∧ testsPassed); production only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeostat_core.config import RepoConfig
from homeostat_core.jobs import LearningJob
from homeostat_core.lifecycle import stage_of
from homeostat_core.observability import logger
from homeostat_core.outcomes import Result
from homeostat_core.ports import own_pull_request
from homeostat_core.settlement import apply_ci_verdict, settle_closed_pr


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What one learning job did: a lifecycle result, or IGNORED (why) / UNDECIDED (CI running)."""

    result: Result
    why: str | None = None
    fingerprint: str | None = None
    pr: int | None = None
    ci: str | None = None  # the CI verdict read from the forge, for CI jobs

    def to_json(self) -> dict[str, Any]:
        data = {"result": self.result.value, "why": self.why, "fingerprint": self.fingerprint}
        data |= {"pr": self.pr, "ci": self.ci}
        return {key: value for key, value in data.items() if value is not None}


def handle_job(job: LearningJob, *, ports, repo: RepoConfig, env: str) -> JobOutcome:
    """Apply one learning job; returns what happened (for logs and the local demo)."""
    if job.head_repo and job.head_repo.lower() != repo.slug.lower():
        return _ignored(job, "the head repository is not the base repository")
    if job.kind == "ci_completed":
        return _ci_completed(job, ports, repo)
    state = ports.attempts.find_by_pr(repo.slug, job.pr_number)
    if state is None:
        return _ignored(job, "no fingerprint recorded this PR number")
    pr = ports.forge.get_pr(repo, job.pr_number)
    if pr is None or not own_pull_request(pr, repo.slug, ports.forge.whoami(repo)):
        return _ignored(job, "the PR is not Homeostat's own")
    result = settle_closed_pr(ports, repo, state, pr, env=env, now=ports.clock.now())
    if result is None:
        return _ignored(job, f"already settled ({stage_of(state).value})")
    return JobOutcome(result, fingerprint=state.fingerprint_id, pr=pr.number)


def _ignored(job: LearningJob, why: str) -> JobOutcome:
    logger.info("Learning job ignored", extra={"why": why, "job": job.to_json()})
    return JobOutcome(Result.IGNORED, why=why)


def _ci_completed(job: LearningJob, ports, repo: RepoConfig) -> JobOutcome:
    states = [s for s in ports.attempts.list(repo.slug) if s.head_sha == job.head_sha]
    if not states:
        return _ignored(job, "not a head commit Homeostat pushed")
    state = states[0]
    verdict = ports.forge.get_check_results(repo, job.head_sha)
    decided = apply_ci_verdict(ports, repo, state, verdict, ports.clock.now())
    return JobOutcome(decided or Result.UNDECIDED, fingerprint=state.fingerprint_id, ci=verdict.state)
