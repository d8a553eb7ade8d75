"""The per-repo run summary: the seed's markdown table and JSON lines, from RunRecords."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from homeostat_core.lifecycle import stage_of
from homeostat_core.models import AttemptState, RunRecord

COLUMNS = (
    ("Repo", lambda r: r.repo),
    ("Issues", lambda r: r.issues_processed),
    ("Fingerprints", lambda r: r.fingerprints_processed),
    ("PRs created", lambda r: r.prs_created),
    ("PRs updated", lambda r: r.prs_updated),
    ("Cooldowns", lambda r: r.cooldowns),
    ("Pattern hits", lambda r: r.pattern_hits),
    ("Unparseable", lambda r: r.unparseable),
    ("Rejected", lambda r: r.validation_rejected),
    ("Deferred", lambda r: len(r.deferred_issues)),
    ("Cost ($)", lambda r: f"{r.cost_usd:.4f}"),
    ("Tokens", lambda r: r.tokens),
    ("Latency (ms)", lambda r: r.latency_ms),
)


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
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    for record in records:
        lines.append("| " + " | ".join(str(get(record)) for _, get in COLUMNS) + " |")
    if len(records) > 1:
        total = RunRecord(run_id="", repo="**total**", timestamp=records[0].timestamp)
        for record in records:
            for attr in (
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
            ):
                setattr(total, attr, getattr(total, attr) + getattr(record, attr))
            total.deferred_issues.extend(record.deferred_issues)
        lines.append("| " + " | ".join(str(get(total)) for _, get in COLUMNS) + " |")
    return "\n".join(lines)


def jsonl(records: Iterable[RunRecord]) -> str:
    """The seed's JSONL artifact fields (timestamp, repo, fingerprintsProcessed, ...) plus ours."""
    out = []
    for record in records:
        data = asdict(record)
        out.append(
            json.dumps(
                {
                    "timestamp": record.timestamp.isoformat(),
                    "repo": record.repo,
                    "runId": record.run_id,
                    "fingerprintsProcessed": record.fingerprints_processed,
                    "issuesProcessed": record.issues_processed,
                    "prsCreated": record.prs_created,
                    "prsUpdated": record.prs_updated,
                    "cooldowns": record.cooldowns,
                    "patternHits": record.pattern_hits,
                    "unparseable": record.unparseable,
                    "validationRejected": record.validation_rejected,
                    "deferredIssues": record.deferred_issues,
                    "cost": round(record.cost_usd, 6),
                    "tokens": record.tokens,
                    "latency": record.latency_ms,
                    "apiCalls": record.api_calls,
                    "stoppedEarly": record.stopped_early,
                    "framesSymbolicated": record.frames_symbolicated,
                    "framesMinified": record.frames_minified,
                    "mapsSkipped": record.maps_skipped,
                    "reportsWithoutVersion": record.reports_without_version,
                    "resolvedBy": record.resolved_by,
                    "error": data["error"],
                    "outcomes": record.outcomes,
                },
                separators=(",", ":"),
            )
        )
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
        stages = [stage_of(r).value for r in repo_rows]
        # a row merged once (a regression attempted again included) keeps what the merge recorded
        merged = [
            r
            for r, s in zip(repo_rows, stages, strict=True)
            if s in _MERGED_STAGES or r.merge_sha or r.version_at_merge or r.regressed_at
        ]
        hours = sorted(
            (r.closed_at - r.pr_opened_at).total_seconds() / 3600
            for r in merged
            if r.closed_at is not None and r.pr_opened_at is not None
        )
        out.append(
            FixOutcomes(
                repo=repo,
                prs_opened=opened.get(repo, 0),
                merged=len(merged),
                closed_by_people=stages.count("closed_by_person"),
                median_hours_to_merge=statistics.median(hours) if hours else None,
                verified=sum(1 for r in repo_rows if r.verified_at is not None),
                regressions=sum(1 for r in repo_rows if r.regressed_at is not None),
                cost_usd=cost.get(repo, 0.0),
            )
        )
    return out


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
