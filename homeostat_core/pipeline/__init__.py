"""One repo run: eligible issues in, at most one PR per fingerprint out, a RunRecord back.

Pure orchestration over the ports. A run first reconciles Homeostat's open PRs with what people
did (closed issues, opt-outs, merges, closes), then takes each fingerprint through one handler
chosen by its lifecycle stage (homeostat_core/lifecycle.py):

- attempt (new, attempt failed, CI failed, re-opened): gate → limits → fix → record → publish;
- recover (claimed, fix recorded): finish what a crashed worker started;
- review (draft, ready, handed over): the PR waits for CI or people; no new attempt;
- release (merged, verified, reported again): awaiting release or a regression;
- done (given up): nothing to do.

Each handler returns one FingerprintOutcome; the run record is derived from them (outcomes.tally).
Any exception while handling one fingerprint becomes that fingerprint's recorded failure (the
money settled at what was really spent, the attempt finished), and the run goes on.

Crash recovery (exactly-once effects). An attempt is claimed with a conditional write before
anything else; the validated fix is recorded (stage fix_recorded) before any forge write; the PR
number and the pushed head commit are recorded last. A worker that dies in between leaves the row
at claimed or fix_recorded. The next run that meets one:
- claimed less than the claim lease ago: it may still be running; the issues are deferred;
- Homeostat's own open PR whose state block names this attempt: the PR was written; record it and
  post the issue comments (edited in place by marker, never repeated). No model call, no second PR;
- fix recorded, no PR from this attempt: publish the recorded edits (no model call);
- claimed, no fix recorded: run the same attempt number again (renewed claim).

The modules, in the order a run meets them: run (the loop), context (what a run carries),
intake (issues → groups), reconcile, dispatch (stage → handler), attempt, publish, recover,
review, release. The CI verdict and the settling of a closed PR live in homeostat_core.settlement,
shared with the learning job.
"""

from homeostat_core.pipeline.run import run_repo

__all__ = ["run_repo"]
