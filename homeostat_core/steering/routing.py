"""Which deliveries can be a person steering Homeostat: a `/homeostat` command in a new comment,
a review that requests changes or a review comment on a Homeostat branch's PR. A cheap filter
only: the worker reads the comment back and checks its author's permission before anything.
"""

from __future__ import annotations

from typing import Any

from homeostat_core.jobs import InvalidJob, SteeringJob
from homeostat_core.steering.commands import COMMAND_PREFIX

STEERING_EVENTS = frozenset({"issue_comment", "pull_request_review", "pull_request_review_comment"})


def steering_job(event: str, payload: dict[str, Any], repo: str, homeostat_branch) -> SteeringJob | None:
    """The job for a steering delivery, or None when it cannot steer Homeostat. `repo` is the
    payload's validated full name; `homeostat_branch(ref)` the webhook's branch pre-filter."""
    if event == "issue_comment":
        if payload.get("action") != "created":
            return None
        comment, number = _object(payload, "comment"), _number(_object(payload, "issue"), "issue")
        if not str(comment.get("body") or "").lstrip().lower().startswith(COMMAND_PREFIX):
            return None
        kind = "issue_comment"
    else:
        pr = _object(payload, "pull_request")
        if not homeostat_branch(_object(pr, "head").get("ref")):
            return None
        number = _number(pr, "pull_request")
        if event == "pull_request_review":
            comment = _object(payload, "review")
            if (
                payload.get("action") != "submitted"
                or str(comment.get("state")).lower() != "changes_requested"
            ):
                return None
            kind = "review"
        else:
            if payload.get("action") != "created":
                return None
            comment, kind = _object(payload, "comment"), "review_comment"
    installation = payload.get("installation")
    installation_id = installation.get("id") if isinstance(installation, dict) else None
    return SteeringJob.from_json(
        {
            "kind": kind,
            "repo": repo,
            "number": number,
            "comment_id": _integer(comment.get("id"), "comment id"),
            "installation_id": installation_id if isinstance(installation_id, int) else None,
        }
    )


def _object(payload: dict[str, Any], field: str) -> dict[str, Any]:
    value = payload.get(field)
    if not isinstance(value, dict):
        raise InvalidJob(f"payload field {field} must be an object")
    return value


def _number(item: dict[str, Any], what: str) -> int:
    return _integer(item.get("number"), f"{what}.number")


def _integer(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidJob(f"payload field {what} must be an int")
    return value
