"""GitHub webhook deliveries: verify, decide, enqueue. No learning happens here.

GitHub waits at most 10 s and does not redeliver on its own, so a delivery is answered as soon as
its learning job is on the queue. The signature is checked over the raw bytes before anything
is parsed; every refusal is a 4xx with a short reason and never a stack trace.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from homeostat_core.jobs import InvalidJob, LearningJob, SteeringJob, enqueue_job
from homeostat_core.observability import logger
from homeostat_core.ports import BRANCH_PREFIX, JobQueue
from homeostat_core.steering.routing import STEERING_EVENTS, steering_job

if TYPE_CHECKING:
    from homeostat_core.wakes import Waker

MAX_BODY_BYTES = 5 * 1024 * 1024
SIGNATURE_PREFIX = "sha256="
# GitHub's webhook event names (docs.github.com, "Webhook events and payloads"). Events Homeostat
# does not use but GitHub may send (an App always gets installation events) are answered 202
# "ignored"; a name GitHub never sends is a malformed request: 400.
GITHUB_EVENTS = frozenset(
    [
        "branch_protection_configuration",
        "branch_protection_rule",
        "check_run",
        "check_suite",
        "code_scanning_alert",
        "commit_comment",
        "create",
        "custom_property",
        "custom_property_values",
        "delete",
        "dependabot_alert",
        "deploy_key",
        "deployment",
        "deployment_protection_rule",
        "deployment_review",
        "deployment_status",
        "discussion",
        "discussion_comment",
        "fork",
        "github_app_authorization",
        "gollum",
        "installation",
        "installation_repositories",
        "installation_target",
        "issue_comment",
        "issue_dependencies",
        "issues",
        "label",
        "marketplace_purchase",
        "member",
        "membership",
        "merge_group",
        "meta",
        "milestone",
        "org_block",
        "organization",
        "package",
        "page_build",
        "personal_access_token_request",
        "ping",
        "project",
        "project_card",
        "project_column",
        "projects_v2",
        "projects_v2_item",
        "projects_v2_status_update",
        "public",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_review_thread",
        "push",
        "registry_package",
        "release",
        "repository",
        "repository_advisory",
        "repository_dispatch",
        "repository_import",
        "repository_ruleset",
        "repository_vulnerability_alert",
        "secret_scanning_alert",
        "secret_scanning_alert_location",
        "secret_scanning_scan",
        "security_advisory",
        "security_and_analysis",
        "sponsorship",
        "star",
        "status",
        "sub_issues",
        "team",
        "team_add",
        "watch",
        "workflow_dispatch",
        "workflow_job",
        "workflow_run",
    ]
)


@dataclass(frozen=True, slots=True)
class WebhookResponse:
    status: int
    message: str
    job: dict | None = None

    def to_json(self) -> dict:
        body = {"message": self.message}
        if self.job is not None:
            body["job"] = self.job
        return body


def sign(secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not secret or not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    # Compare bytes: compare_digest refuses str with non-ASCII characters (a TypeError → 500).
    return hmac.compare_digest(sign(secret, body).encode(), header.encode("utf-8", errors="replace"))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Function URLs lower-case header names; tests and other front doors may not.
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def receive_delivery(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str,
    queue: JobQueue,
    once: Callable[[str, Callable[[], dict]], dict] | None = None,
    wakes: Waker | None = None,
) -> WebhookResponse:
    """Handle one delivery. `once(key, fn)` runs fn at most once per key; `wakes` answers
    `issues` deliveries (a report wakes its repository's run: homeostat_core/wakes.py).

    The key is the hash of the signed body, not the `X-GitHub-Delivery` id: that header is not
    covered by the signature, so a replayed delivery under a new id is still the same delivery.
    """
    if len(body) > MAX_BODY_BYTES:
        return WebhookResponse(413, "payload too large")
    if not signature_valid(secret, body, _header(headers, "X-Hub-Signature-256")):
        return WebhookResponse(401, "missing or invalid X-Hub-Signature-256")
    event = _header(headers, "X-GitHub-Event") or ""
    delivery_id = _header(headers, "X-GitHub-Delivery") or ""
    if not event or not delivery_id:
        return WebhookResponse(400, "missing X-GitHub-Event or X-GitHub-Delivery header")
    if event not in GITHUB_EVENTS:
        return WebhookResponse(400, "unknown X-GitHub-Event")
    content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    try:
        payload = _payload(content_type, body)
    except _Refused as refused:
        return refused.response
    if event == "ping":
        return WebhookResponse(200, "pong")
    if event == "issues" and wakes is not None:
        try:
            return WebhookResponse(202, wakes.on_issue_event(payload))
        except InvalidJob as exc:
            return WebhookResponse(400, str(exc))
    try:
        job = job_from_webhook(event, payload)
    except InvalidJob as exc:
        return WebhookResponse(400, str(exc))
    if job is None:
        return WebhookResponse(202, f"ignored {event}")

    def enqueue() -> dict:
        enqueue_job(job, key, queue)
        logger.info("Job queued", extra={"delivery": delivery_id, "job": job.to_json()})
        return job.to_json()

    key = hashlib.sha256(event.encode() + b"\x00" + body).hexdigest()
    queued = once(key, enqueue) if once else enqueue()
    return WebhookResponse(202, "queued", queued)


class _Refused(Exception):
    def __init__(self, status: int, message: str):
        self.response = WebhookResponse(status, message)


# GitHub payloads nest about 6 levels deep; anything far deeper is not GitHub's.
MAX_JSON_DEPTH = 64


def _payload(content_type: str, body: bytes) -> dict[str, Any]:
    """The delivery's JSON object, from either content type GitHub can send."""
    if content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8"), strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise _Refused(400, "form body is not valid") from None
        if list(fields) != ["payload"] or len(fields["payload"]) != 1:
            raise _Refused(400, "form body must carry exactly one 'payload' field")
        text = fields["payload"][0]
    elif content_type == "application/json":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused(400, "body is not valid JSON") from None
    else:
        raise _Refused(415, "content type must be application/json or application/x-www-form-urlencoded")
    if _nesting(text) > MAX_JSON_DEPTH:
        raise _Refused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise _Refused(400, "body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise _Refused(400, "body must be a JSON object")
    return payload


def _nesting(text: str) -> int:
    """The deepest bracket nesting outside strings (a linear scan; json.loads would recurse)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


# --- GitHub payloads → learning jobs -------------------------------------------------------------


def _typed(value: Any, kind: type, what: str) -> Any:
    """`value` when it has the type GitHub documents for it; InvalidJob otherwise (a 400)."""
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise InvalidJob(f"payload field {what} must be a {kind.__name__}")
    return value


def _repo_name(payload: dict[str, Any]) -> str:
    name = _typed(_typed(payload["repository"], dict, "repository")["full_name"], str, "repository.full_name")
    if name.count("/") != 1 or not all(name.split("/")):
        raise InvalidJob("payload field repository.full_name must be 'owner/name'")
    return name


def _homeostat_branch(branch: Any) -> bool:
    # A cheap pre-filter only: a branch name proves nothing (learning checks the recorded facts).
    return isinstance(branch, str) and branch.startswith(BRANCH_PREFIX)


def job_from_webhook(event: str, payload: dict[str, Any]) -> LearningJob | SteeringJob | None:
    """The job a delivery asks for, or None when it cannot concern Homeostat's PRs.

    Raises InvalidJob when a relevant event lacks the fields learning needs.
    """
    try:
        if event == "pull_request":
            return _pull_request_job(payload)
        if event in ("check_suite", "check_run"):
            return _check_job(event, payload)
        if event == "status":
            return _status_job(payload)
        if event in STEERING_EVENTS:
            return steering_job(event, payload, _repo_name(payload), _homeostat_branch)
    except InvalidJob:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidJob(f"{event} payload is missing {exc}") from None
    return None


def _pull_request_job(payload: dict[str, Any]) -> LearningJob | None:
    if payload.get("action") != "closed":
        return None
    pr = _typed(payload["pull_request"], dict, "pull_request")
    head = _typed(pr["head"], dict, "pull_request.head")
    if not _homeostat_branch(_typed(head["ref"], str, "pull_request.head.ref")):
        return None
    head_repo = head.get("repo")  # null when the fork was deleted
    repo = _repo_name(payload)
    head_name = _typed(head_repo, dict, "pull_request.head.repo")["full_name"] if head_repo else ""
    if not head_name or head_name.lower() != repo.lower():
        return None  # a fork's PR is never Homeostat's
    return LearningJob(
        kind="pull_request_closed",
        repo=repo,
        head_sha=_typed(head["sha"], str, "pull_request.head.sha"),
        pr_number=_typed(pr["number"], int, "pull_request.number"),
        head_repo=head_name,
        author=_typed(_typed(pr["user"], dict, "pull_request.user")["login"], str, "pull_request.user.login"),
    )


def _check_job(event: str, payload: dict[str, Any]) -> LearningJob | None:
    if payload.get("action") != "completed":
        return None
    body = _typed(payload[event], dict, event)
    suite = body if event == "check_suite" else _typed(body["check_suite"], dict, "check_run.check_suite")
    branch = suite.get("head_branch")  # null for a suite on no branch: not Homeostat's
    if branch is not None:
        _typed(branch, str, f"{event}.head_branch")
    if not _homeostat_branch(branch):
        return None
    return LearningJob(
        kind="ci_completed",
        repo=_repo_name(payload),
        head_sha=_typed(body["head_sha"], str, f"{event}.head_sha"),
    )


def _status_job(payload: dict[str, Any]) -> LearningJob | None:
    if payload.get("state") == "pending":
        return None
    branches = payload.get("branches") or []
    if not isinstance(branches, list):
        raise InvalidJob("payload field branches must be a list")
    if not any(isinstance(b, dict) and _homeostat_branch(b.get("name")) for b in branches):
        return None
    return LearningJob(
        kind="ci_completed", repo=_repo_name(payload), head_sha=_typed(payload["sha"], str, "sha")
    )
