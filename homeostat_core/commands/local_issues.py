"""`homeostat local add-issue`: file a report in the local forge and deliver its `issues` webhook,
which wakes the repository's lane as it would on GitHub (docs/WAKES.md): the wake is due
`wake_debounce_seconds` later on the local clock (the clock moves there, as time would pass), the
waker queues the repository's run in its lane, and the worker runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from homeostat_core.commands._errors import CliError
from homeostat_core.commands._issue_file import read_issue_file
from homeostat_core.config import HomeostatConfig
from homeostat_core.local.payloads import issue_opened_payload
from homeostat_core.local.runner import LocalStack
from homeostat_core.local.wakes import run_due_wakes


@dataclass
class FiledReport:
    number: int
    filed_at: datetime
    webhook: str = ""
    woken_at: datetime | None = None
    finished_at: datetime | None = None
    outcomes: list[dict] = field(default_factory=list)


def local_add_issue(
    state: Path, config: HomeostatConfig, slug: str, path: Path, *, wake: bool = True
) -> FiledReport:
    """File the report; with `wake`, deliver its webhook and run the wake it asks for."""
    repo = next((r for r in config.repositories if r.slug == slug), None)
    if repo is None:
        raise CliError(
            f"{slug} is not among the configured repositories",
            f"use one of: {', '.join(r.slug for r in config.repositories)}",
        )
    issue = read_issue_file(path)
    with LocalStack(state) as stack:
        stack.seed_examples(config)
        number = stack.forge().add_issue(
            repo, issue["title"], issue["body"], issue["labels"], issue["author"]
        )
        filed = FiledReport(number, stack.clock.now())
        if not wake:
            return filed
        payload = issue_opened_payload(repo, number, issue["title"], issue["labels"], issue["author"])
        filed.webhook = stack.deliver_webhook("issues", payload)["body"].get("message", "")
        woken: list[datetime] = []
        run_due_wakes(stack, on_wake=lambda _slug, due: woken.append(due))
        filed.woken_at = woken[0] if woken else None
        for result in stack.drain():
            body = result["message"]
            if body.get("kind") == "repo_run" and body.get("repo") == repo.slug:
                filed.outcomes += _outcomes(body.get("runId", ""), repo.slug)
        filed.finished_at = stack.clock.now()
        return filed


def _outcomes(run_id: str, slug: str) -> list[dict]:
    # lazy: PynamoDB loads only where state is used
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.settings import get_settings

    runs = DynamoState.from_settings(get_settings()).runs.list(slug)
    return [outcome for record in runs if record.run_id == run_id for outcome in record.outcomes]


def describe_filed(filed: FiledReport, slug: str) -> list[str]:
    """What happened to the report, in the local clock's times."""
    # lazy: the console words load with the command
    from homeostat_core.commands.local_words import describe_outcome

    lines = [f"filed issue #{filed.number} in {slug} at {filed.filed_at:%H:%M:%S} (local clock)"]
    if filed.webhook:
        lines.append(f"issues webhook: {filed.webhook}")
    if filed.woken_at is not None:
        lines.append(f"the wake fired at {filed.woken_at:%H:%M:%S}: one run of {slug} queued in its lane")
    mine = [o for o in filed.outcomes if filed.number in o.get("issues", [])]
    for outcome in mine:
        lines.append(describe_outcome(outcome))
    if mine and filed.finished_at is not None:
        minutes = (filed.finished_at - filed.filed_at).total_seconds() / 60
        lines.append(f"{minutes:.1f} minutes from the report to its run's end, on the local clock")
    if filed.woken_at is not None and not mine:
        lines.append(f"the run did not take #{filed.number} in (see homeostat local run)")
    return lines
