"""The per-repo run summary: the seed's markdown table and JSON lines, from RunRecords."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict

from homeostat_core.models import RunRecord

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
                    "error": data["error"],
                    "outcomes": record.outcomes,
                },
                separators=(",", ":"),
            )
        )
    return "\n".join(out)
