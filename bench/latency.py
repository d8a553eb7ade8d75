"""Minutes from a report to its run: a day of reports through the real handlers on the local clock.

A seeded day (RNG seed 24) of reports for the three sample repositories: single reports at random
times, and bursts (many reports of one error within a few minutes, as a broken release makes).
Each report is filed in the local forge and its signed `issues` webhook goes to the real webhook
handler; due wakes go to the real waker handler, their runs to the real worker (moto, the local
forge, the scripted model), and the 6-hour sweep runs at 00:00, 06:00, 12:00 and 18:00 through
the real scheduler handler. The local clock moves from one event to the next.

It prints, from the handlers' own records:
- minutes from each report to the end of the first run of its repository that read it (that run
  opens a new error's draft PR; for a known error it updates or answers its PR), median and p95;
- minutes from a report of a new error to its draft PR;
- runs per repository per day, against the target 4 (the sweeps) + one per burst (single reports
  count as bursts of one);
- for comparison, the same arrivals with the 6-hour sweep alone (computed: the next sweep).
Targets: median ≤ 10 minutes, p95 ≤ 30 minutes.

    python bench/latency.py [--seed N] [--singles N] [--bursts N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from homeostat_core.commands._issue_file import read_issue_file  # noqa: E402
from homeostat_core.config import default_config_path, load_config  # noqa: E402
from homeostat_core.local.payloads import issue_opened_payload  # noqa: E402
from homeostat_core.local.runner import EXAMPLES, LocalStack  # noqa: E402
from homeostat_core.local.wakes import run_due_wakes  # noqa: E402

SWEEP_HOURS = (0, 6, 12, 18)
BURST_SIZE = (10, 40)
BURST_MINUTES = 5


@dataclass
class Report:
    repo: str
    at: timedelta  # after the day's start
    issue_file: Path
    burst: int  # which burst (a single report is a burst of one)
    number: int = 0
    filed_at: datetime | None = None


@dataclass
class Run:
    repo: str
    run_id: str
    started: datetime
    ended: datetime
    new_prs: dict[int, int]  # issue number → the draft PR the run opened for it


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def arrivals(rng: random.Random, repos: list[str], singles: int, bursts: int) -> list[Report]:
    day = timedelta(days=1).total_seconds()
    reports: list[Report] = []
    burst = 0
    for _ in range(singles):
        repo = rng.choice(repos)
        reports.append(Report(repo, timedelta(seconds=rng.uniform(60, day - 3600)), _issue(rng, repo), burst))
        burst += 1
    for _ in range(bursts):
        repo, start = rng.choice(repos), rng.uniform(60, day - 3600)
        issue = _issue(rng, repo)
        for _ in range(rng.randint(*BURST_SIZE)):
            at = timedelta(seconds=start + rng.uniform(0, BURST_MINUTES * 60))
            reports.append(Report(repo, at, issue, burst))
        burst += 1
    return sorted(reports, key=lambda r: r.at)


def _issue(rng: random.Random, slug: str) -> Path:
    name = slug.split("/")[1]
    files = sorted((EXAMPLES / "issues" / name).glob("*.md")) + sorted(
        (EXAMPLES / "later").glob(f"{name}-*.md")
    )
    return rng.choice(files)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--singles", type=int, default=18, help="single reports over the day")
    parser.add_argument("--bursts", type=int, default=3, help="bursts of 10-40 reports within 5 minutes")
    args = parser.parse_args()

    config = load_config(default_config_path())
    slugs = [repo.slug for repo in config.repositories]
    reports = arrivals(random.Random(args.seed), slugs, args.singles, args.bursts)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp, LocalStack(Path(tmp) / "state", echo=lambda _: None) as stack:
        forge = stack.forge()
        for repo in config.repositories:  # the sample code, no issues yet: every report is heard
            forge.seed_repo(repo, EXAMPLES / "repos" / repo.name)
        # the day starts at the next whole hour of the local clock (the sweep's first tick)
        now = stack.clock.now()
        start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        stack.advance_clock((start - now).total_seconds() / 3600)

        def drain() -> None:
            began = stack.clock.now()
            for result in stack.drain():
                body = result["message"]
                if body.get("kind") != "repo_run" or result["failed"]:
                    continue
                ended = stack.clock.now()
                runs.append(
                    Run(body["repo"], body["runId"], began, ended, _new_prs(body["repo"], body["runId"]))
                )
                began = ended

        def until(moment: datetime) -> None:
            """Fire the wakes due by `moment`, each run drained before the next wake."""
            run_due_wakes(stack, until=moment, then=lambda _repo: drain())
            wait = (moment - stack.clock.now()).total_seconds()
            if wait > 0:
                stack.advance_clock(wait / 3600)

        events = [(start + r.at, "report", r) for r in reports]
        events += [(start + timedelta(hours=h), "sweep", None) for h in (*SWEEP_HOURS, 24)]
        for moment, kind, report in sorted(events, key=lambda e: (e[0], e[1] == "report")):
            until(moment)
            if kind == "sweep":
                stack.schedule()
                drain()
                continue
            repo = config.repo(report.repo)
            issue = read_issue_file(report.issue_file)
            report.number = forge.add_issue(
                repo, issue["title"], issue["body"], issue["labels"], issue["author"]
            )
            report.filed_at = stack.clock.now()
            payload = issue_opened_payload(
                repo, report.number, issue["title"], issue["labels"], issue["author"]
            )
            stack.deliver_webhook("issues", payload)
        until(start + timedelta(days=1, hours=1))

    # --- figures ---------------------------------------------------------------------------
    to_run: list[float] = []
    to_pr: list[float] = []
    unread = 0
    for report in reports:
        first = next((r for r in runs if r.repo == report.repo and r.started >= report.filed_at), None)
        if first is None:
            unread += 1
            continue
        to_run.append((first.ended - report.filed_at).total_seconds() / 60)
        opened = next((r for r in runs if r.repo == report.repo and report.number in r.new_prs), None)
        if opened is not None:
            to_pr.append((opened.ended - report.filed_at).total_seconds() / 60)
    sweep_only = [
        (
            min(h for h in (*SWEEP_HOURS, 24) if h * 60 >= r.at.total_seconds() / 60) * 60
            - r.at.total_seconds() / 60
        )
        for r in reports
    ]
    bursts = {(r.repo, r.burst) for r in reports}
    print(f"== latency: one day, seed {args.seed}: {len(reports)} reports in {len(bursts)} bursts")
    print(
        f"   ({args.singles} single reports, each a burst of one, and {args.bursts} bursts of 10-40 "
        f"within {BURST_MINUTES} minutes)"
    )
    print(
        f"report → first run that read it: median {statistics.median(to_run):.1f} min, "
        f"p95 {percentile(to_run, 0.95):.1f} min, max {max(to_run):.1f} min "
        f"(targets: median ≤ 10, p95 ≤ 30); {unread} report(s) never read"
    )
    if to_pr:
        print(
            f"report of a new error → its draft PR: {len(to_pr)} report(s), median "
            f"{statistics.median(to_pr):.1f} min, p95 {percentile(to_pr, 0.95):.1f} min"
        )
    print(
        f"the 6-hour sweep alone (same arrivals, computed): median {statistics.median(sweep_only) / 60:.1f} h, "
        f"p95 {percentile(sweep_only, 0.95) / 60:.1f} h"
    )
    print(
        "runs per repository in the day (target: 4 sweeps + one per burst; the 24:00 sweep is the next day's):"
    )
    for slug in slugs:
        mine = [r for r in runs if r.repo == slug and r.started < start + timedelta(days=1)]
        woken = sum(1 for r in mine if r.run_id.startswith("wake-"))
        repo_bursts = sum(1 for repo, _ in bursts if repo == slug)
        swept = len(mine) - woken
        verdict = "within" if len(mine) <= 4 + repo_bursts else "OVER"
        print(
            f"  {slug}: {len(mine)} runs ({swept} sweeps + {woken} woken) for {repo_bursts} bursts: "
            f"{verdict} the target of {4 + repo_bursts}"
        )
    return 0


def _new_prs(slug: str, run_id: str) -> dict[int, int]:
    # lazy: PynamoDB loads only where state is used
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.settings import get_settings

    opened: dict[int, int] = {}
    for record in DynamoState.from_settings(get_settings()).runs.list(slug):
        if record.run_id != run_id:
            continue
        for outcome in record.outcomes:
            if outcome.get("result") == "pr_created":
                for number in outcome.get("issues", []):
                    opened[number] = outcome.get("pr")
    return opened


if __name__ == "__main__":
    sys.exit(main())
