"""GitHub's CI verdict on one commit (`homeostat_core.ci_verdict`), read through the transport.

Per commit: every check run (GET commits/<sha>/check-runs, GitHub's default `filter=latest`: a
re-run replaces the earlier run), every commit status (GET commits/<sha>/status) and every check
suite (GET commits/<sha>/check-suites), all pages, each read conditionally (unchanged: a free 304).
Per base branch: its required checks, from its protection (GET branches/<b>, which any reader of
the repository sees, unlike the admin-only protection endpoint) and from every active ruleset's
`required_status_checks` rule (GET rules/branches/<b>).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from homeostat_core.adapters.github_shapes import as_datetime
from homeostat_core.adapters.github_transport import Transport
from homeostat_core.ci_verdict import (
    Check,
    RequiredCheck,
    Suite,
    ci_verdict,
    outcome_of,
    status_outcome,
)
from homeostat_core.config import RepoConfig
from homeostat_core.models import CheckResult

MAX_ANNOTATIONS = 5


def read_check_results(
    t: Transport, repo: RepoConfig, head_sha: str, required: Sequence[RequiredCheck], per_page: int
) -> CheckResult:
    commit = f"/repos/{repo.slug}/commits/{head_sha}"
    params = {"per_page": per_page}
    runs = t.pages("read check runs", f"{commit}/check-runs", params, key="check_runs", item=_run)
    statuses = t.pages("read statuses", f"{commit}/status", params, key="statuses", item=_status)
    suites = t.pages("read check suites", f"{commit}/check-suites", params, key="check_suites", item=_suite)
    wanted = {r.context for r in required}
    checks = [
        Check(
            name=run["name"],
            outcome=outcome_of(run["status"], run["conclusion"]),
            # only a check that decides is described (its annotations may cost a request)
            detail=_run_detail(t, repo, run) if not wanted or run["name"] in wanted else "",
            app_id=run["app_id"],
            suite_id=run["suite_id"],
        )
        for run in runs
    ]
    checks += [
        Check(s["context"], status_outcome(s["state"]), s["description"] or s["state"]) for s in statuses
    ]
    return ci_verdict(
        checks,
        suites=[
            Suite(
                id=s["id"],
                app=s["app"],
                app_name=s["app_name"],
                outcome=outcome_of(s["status"], s["conclusion"]),
                has_runs=s["runs"] > 0,
                created_at=as_datetime(s["created_at"]),
            )
            for s in suites
        ],
        required=required,
        ignore=repo.ci_ignore,
        grace=timedelta(minutes=repo.ci_start_grace_minutes),
        now=datetime.now(UTC),
    )


def read_required_checks(
    t: Transport, repo: RepoConfig, protection: Sequence[dict[str, Any]], per_page: int
) -> tuple[RequiredCheck, ...]:
    """The base branch's required checks: `protection` (from `branch_for_cache`) and the active
    rulesets' rules."""
    rules = t.pages(
        "read branch rules", f"/repos/{repo.slug}/rules/branches/{quote(repo.branch)}", {"per_page": per_page}
    )
    return required_checks(protection, rules)


def required_checks(
    protection: Sequence[dict[str, Any]], rules: Sequence[dict[str, Any]]
) -> tuple[RequiredCheck, ...]:
    """Required checks from the branch's protection (`[{context, app_id}]`) and its active rules
    (`[{type, parameters}]`, type `required_status_checks`), each (context, app) once."""
    listed = [(c.get("context"), c.get("app_id")) for c in protection]
    for rule in rules:
        if rule.get("type") == "required_status_checks":
            parameters = rule.get("parameters") or {}
            listed += [
                (c.get("context"), c.get("integration_id"))
                for c in parameters.get("required_status_checks") or []
            ]
    found: dict[tuple[str, int | None], RequiredCheck] = {}
    for context, app_id in listed:
        if isinstance(context, str) and context:
            app = app_id if isinstance(app_id, int) else None
            found.setdefault((context, app), RequiredCheck(context, app))
    return tuple(found.values())


def branch_for_cache(data: dict[str, Any]) -> dict[str, Any]:
    """GET branches/<b>: head, tree and the protection's required checks (none when off)."""
    protection = data.get("protection") or {}
    checks = protection.get("required_status_checks") or {}
    required: list[dict[str, Any]] = []
    if protection.get("enabled", data.get("protected")) and checks.get("enforcement_level") != "off":
        required = checks.get("checks") or [
            {"context": c, "app_id": None} for c in checks.get("contexts") or []
        ]
    commit = data["commit"]
    return {"sha": commit["sha"], "tree_sha": commit["commit"]["tree"]["sha"], "required": required}


def _run_detail(t: Transport, repo: RepoConfig, run: dict[str, Any]) -> str:
    """What a check run says: its output summary; without one (GitHub sends null), its conclusion
    and annotation count and the titles of its first annotations. Not failed: its conclusion."""
    if outcome_of(run["status"], run["conclusion"]) != "failed":
        return run["conclusion"] or run["status"] or ""
    if run["summary"]:
        return run["summary"]
    count = run["annotations"]
    detail = f"{run['conclusion']}, {count} annotation{'' if count == 1 else 's'}"
    if count:
        titles = t.get(
            "read annotations",
            f"/repos/{repo.slug}/check-runs/{run['id']}/annotations",
            {"per_page": MAX_ANNOTATIONS},
            item=_annotation_titles,
        )
        if titles:
            detail += ": " + "; ".join(titles)
    return detail


# --- what is kept of GitHub's answers (the conditional-read cache holds these) -----------------


def _run(data: dict[str, Any]) -> dict[str, Any]:
    output = data.get("output") or {}
    return {
        "id": data["id"],
        "name": data["name"],
        "status": data.get("status"),
        "conclusion": data.get("conclusion"),
        "summary": (output.get("summary") or "").strip(),
        "annotations": output.get("annotations_count") or 0,
        "app_id": (data.get("app") or {}).get("id"),
        "suite_id": (data.get("check_suite") or {}).get("id"),
    }


def _status(data: dict[str, Any]) -> dict[str, Any]:
    return {"context": data["context"], "state": data["state"], "description": data.get("description") or ""}


def _suite(data: dict[str, Any]) -> dict[str, Any]:
    app = data.get("app") or {}
    return {
        "id": data["id"],
        "status": data.get("status"),
        "conclusion": data.get("conclusion"),
        "runs": data.get("latest_check_runs_count") or 0,
        "app": app.get("slug") or "",
        "app_name": app.get("name") or app.get("slug") or "an app",
        "created_at": data.get("created_at"),
    }


def _annotation_titles(data: list[dict[str, Any]]) -> list[str]:
    titles = [
        (a.get("title") or (a.get("message") or "").split("\n", 1)[0] or a.get("path") or "").strip()
        for a in (data or [])[:MAX_ANNOTATIONS]
    ]
    return [t for t in titles if t]
