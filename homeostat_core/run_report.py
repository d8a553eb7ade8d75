"""The per-repo run summary from RunRecords: console tables (what `homeostat report` and the demo
print, within 100 columns), the seed's markdown table, and JSON lines."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from typing import Any

from homeostat_core.attempts import to_utc_seconds
from homeostat_core.lifecycle import stage_of
from homeostat_core.models import AttemptState, PrRecord, RunRecord

# One row per column: the markdown table's header, the console's short header (so the console
# table fits 100 columns), and the value.
COLUMNS = (
    ("Repo", "repo", lambda r: r.repo),
    ("Issues", "issues", lambda r: r.issues_processed),
    ("Fingerprints", "fps", lambda r: r.fingerprints_processed),
    ("PRs created", "PRs", lambda r: r.prs_created),
    ("PRs updated", "upd", lambda r: r.prs_updated),
    ("Cooldowns", "cool", lambda r: r.cooldowns),
    ("Pattern hits", "pattern", lambda r: r.pattern_hits),
    ("Unparseable", "unparsed", lambda r: r.unparseable),
    ("Rejected", "rejected", lambda r: r.validation_rejected),
    ("Deferred", "deferred", lambda r: len(r.deferred_issues)),
    ("Cost ($)", "cost $", lambda r: f"{r.cost_usd:.4f}"),
    ("Tokens", "tokens", lambda r: r.tokens),
    ("Latency (ms)", "ms", lambda r: r.latency_ms),
)
SUMMED = (
    "issues_processed",
    "fingerprints_processed",
    "prs_created",
    "prs_updated",
    "cooldowns",
    "pattern_hits",
    "unparseable",
    "validation_rejected",
    "cost_usd",
    "tokens",
    "latency_ms",
)
CONSOLE_LEGEND = (
    "  (fps: fingerprints, PRs: opened, upd: updated, cool: in cooldown, pattern: fixed from a pattern)"
)


def console_table(records: list[RunRecord]) -> str:
    """The run table as the demo prints it, with a total row under several repositories."""
    rows = [(r.repo.split("/", 1)[-1], *(str(get(r)) for _, _, get in COLUMNS[1:])) for r in records]
    if len(records) > 1:
        rows.append(("total", *(str(get(total_of(records))) for _, _, get in COLUMNS[1:])))
    return aligned(tuple(short for _, short, _ in COLUMNS), rows)


def total_of(records: list[RunRecord]) -> RunRecord:
    """A record whose counts are the sum of `records`' (for the tables' total rows)."""
    total = RunRecord(run_id="", repo="total", timestamp=records[0].timestamp)
    for record in records:
        for attr in SUMMED:
            setattr(total, attr, getattr(total, attr) + getattr(record, attr))
        total.deferred_issues.extend(record.deferred_issues)
    return total


def latest_per_repo(records: Iterable[RunRecord]) -> list[RunRecord]:
    latest: dict[str, RunRecord] = {}
    for record in records:
        current = latest.get(record.repo)
        if current is None or record.timestamp > current.timestamp:
            latest[record.repo] = record
    return [latest[repo] for repo in sorted(latest)]


def markdown_table(records: Iterable[RunRecord]) -> str:
    records = list(records)
    lines = [
        "| " + " | ".join(name for name, _, _ in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    rows = records + ([replace(total_of(records), repo="**total**")] if len(records) > 1 else [])
    for record in rows:
        lines.append("| " + " | ".join(str(get(record)) for _, _, get in COLUMNS) + " |")
    return "\n".join(lines)


# Each RunRecord field's JSONL name: the seed's artifact names (cost, latency), camelCase for ours.
JSONL_NAMES = {
    "run_id": "runId",
    "repo": "repo",
    "timestamp": "timestamp",
    "issues_seen": "issuesSeen",
    "issues_processed": "issuesProcessed",
    "fingerprints_processed": "fingerprintsProcessed",
    "prs_created": "prsCreated",
    "prs_updated": "prsUpdated",
    "cooldowns": "cooldowns",
    "pattern_hits": "patternHits",
    "unparseable": "unparseable",
    "validation_rejected": "validationRejected",
    "cost_usd": "cost",
    "tokens": "tokens",
    "latency_ms": "latency",
    "api_calls": "apiCalls",
    "stopped_early": "stoppedEarly",
    "frames_symbolicated": "framesSymbolicated",
    "frames_minified": "framesMinified",
    "frames_unusable": "framesUnusable",
    "maps_skipped": "mapsSkipped",
    "reports_without_version": "reportsWithoutVersion",
    "resolved_by": "resolvedBy",
    "deferred_issues": "deferredIssues",
    "deferrals": "deferrals",
    "unparseable_by_code": "unparseableByCode",
    "outcomes": "outcomes",
    "error": "error",
}


def jsonl(records: Iterable[RunRecord]) -> str:
    """Every field of each run record as one JSON line (`kind: run`), timestamps to the second:
    the seed's JSONL artifact fields (timestamp, repo, fingerprintsProcessed, ...) plus ours."""
    out = []
    for record in records:
        line: dict[str, Any] = {"kind": "run"}
        for spec in fields(RunRecord):
            value = getattr(record, spec.name)
            if spec.name == "timestamp":
                value = to_utc_seconds(value)
            elif spec.name == "cost_usd":
                value = round(value, 6)
            line[JSONL_NAMES[spec.name]] = value  # a new field needs its name here
        out.append(json.dumps(line, separators=(",", ":"), default=str))
    return "\n".join(out)


# --- fix outcomes per repository (issue 16) --------------------------------------------------------


@dataclass(frozen=True)
class FixOutcomes:
    """What Homeostat's PRs came to in one repository, from the attempt store and the run records."""

    repo: str
    prs_opened: int
    merged: int
    closed_by_people: int
    median_hours_to_merge: float | None
    verified: int
    regressions: int
    cost_usd: float

    @property
    def merge_rate(self) -> float | None:
        decided = self.merged + self.closed_by_people
        return self.merged / decided if decided else None

    @property
    def cost_per_merged_fix(self) -> float | None:
        return self.cost_usd / self.merged if self.merged else None

    @property
    def cost_per_verified_fix(self) -> float | None:
        return self.cost_usd / self.verified if self.verified else None


_MERGED_STAGES = frozenset({"merged", "verified", "regressed"})


def pr_outcomes(row: AttemptState) -> list[PrRecord]:
    """Every PR of a fingerprint that came to something: its history, then its current PR."""
    stage = stage_of(row).value
    # a row from before the history, re-opened by a regression, still counts its merge
    merged_before = not row.pr_history and bool(row.merge_sha or row.version_at_merge or row.regressed_at)
    current = []
    if row.pr_number is not None or stage in _MERGED_STAGES or merged_before:
        current = [
            PrRecord(
                number=row.pr_number or 0,
                outcome=stage,
                opened_at=row.pr_opened_at,
                closed_at=row.closed_at,
                merged=stage in _MERGED_STAGES or merged_before,
            )
        ]
    return [*row.pr_history, *current]


def fix_outcomes(attempts: Iterable[AttemptState], records: Iterable[RunRecord]) -> list[FixOutcomes]:
    """Per repository: PRs opened, merged, closed by people, merge rate, median time to merge,
    fixes verified in production, regressions, and cost per merged and per verified fix."""
    rows: dict[str, list[AttemptState]] = {}
    for row in attempts:
        rows.setdefault(row.repo, []).append(row)
    opened: dict[str, int] = {}
    cost: dict[str, float] = {}
    for record in records:
        opened[record.repo] = opened.get(record.repo, 0) + record.prs_created
        cost[record.repo] = cost.get(record.repo, 0.0) + record.cost_usd
    out = []
    for repo in sorted(set(rows) | set(opened)):
        repo_rows = rows.get(repo, [])
        prs = [pr for row in repo_rows for pr in pr_outcomes(row)]
        merged = [pr for pr in prs if pr.merged]
        hours = sorted(
            (pr.closed_at - pr.opened_at).total_seconds() / 3600
            for pr in merged
            if pr.closed_at is not None and pr.opened_at is not None and pr.closed_at >= pr.opened_at
        )
        out.append(
            FixOutcomes(
                repo=repo,
                prs_opened=opened.get(repo, 0),
                merged=len(merged),
                closed_by_people=sum(1 for pr in prs if pr.outcome == "closed_by_person"),
                median_hours_to_merge=statistics.median(hours) if hours else None,
                verified=sum(1 for r in repo_rows if r.verified_at is not None),
                regressions=sum(1 for r in repo_rows if r.regressed_at is not None),
                cost_usd=cost.get(repo, 0.0),
            )
        )
    return out


def outcomes_jsonl(outcomes: Iterable[FixOutcomes]) -> str:
    """One JSON line per repository (`kind: fixOutcomes`): the fix-outcome table's figures."""
    return "\n".join(
        json.dumps(
            {
                "kind": "fixOutcomes",
                "repo": o.repo,
                "prsOpened": o.prs_opened,
                "merged": o.merged,
                "closedByPeople": o.closed_by_people,
                "mergeRate": o.merge_rate,
                "medianHoursToMerge": o.median_hours_to_merge,
                "verified": o.verified,
                "regressions": o.regressions,
                "cost": round(o.cost_usd, 6),
                "costPerMergedFix": o.cost_per_merged_fix,
                "costPerVerifiedFix": o.cost_per_verified_fix,
            },
            separators=(",", ":"),
        )
        for o in outcomes
    )


def _fmt(value: float | None, pattern: str) -> str:
    return "–" if value is None else pattern.format(value)


# (markdown header, console header, value)
OUTCOME_COLUMNS = (
    ("Repo", "repo", lambda o: o.repo),
    ("PRs opened", "opened", lambda o: o.prs_opened),
    ("Merged", "merged", lambda o: o.merged),
    ("Closed by people", "closed", lambda o: o.closed_by_people),
    ("Merge rate", "rate", lambda o: _fmt(o.merge_rate, "{:.0%}")),
    ("Median h to merge", "h→merge", lambda o: _fmt(o.median_hours_to_merge, "{:.1f}")),
    ("Verified", "verified", lambda o: o.verified),
    ("Regressions", "regressed", lambda o: o.regressions),
    ("$/merged fix", "$/merged", lambda o: _fmt(o.cost_per_merged_fix, "{:.4f}")),
    ("$/verified fix", "$/verified", lambda o: _fmt(o.cost_per_verified_fix, "{:.4f}")),
)


def outcomes_table(outcomes: Iterable[FixOutcomes], *, console: bool = False) -> str:
    """The fix-outcome columns as markdown, or (`console`) aligned within 100 columns."""
    outcomes = list(outcomes)
    if not console:
        lines = [
            "| " + " | ".join(name for name, _, _ in OUTCOME_COLUMNS) + " |",
            "|" + "|".join("---" for _ in OUTCOME_COLUMNS) + "|",
        ]
        lines += ["| " + " | ".join(str(get(o)) for _, _, get in OUTCOME_COLUMNS) + " |" for o in outcomes]
        return "\n".join(lines)
    header = [short for _, short, _ in OUTCOME_COLUMNS]
    rows = [[o.repo.split("/", 1)[-1], *(str(get(o)) for _, _, get in OUTCOME_COLUMNS[1:])] for o in outcomes]
    return aligned(header, rows)


def aligned(header, rows) -> str:
    """A console table: the first column left-aligned, the numbers right-aligned, indented."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    return "\n".join(
        "  "
        + " ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))])
        for row in (header, *rows)
    )
