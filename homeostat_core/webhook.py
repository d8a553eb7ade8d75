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

from homeostat_core.jobs import enqueue_learning
from homeostat_core.learning import InvalidJob, job_from_webhook
from homeostat_core.observability import logger
from homeostat_core.ports import JobQueue

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
) -> WebhookResponse:
    """Handle one delivery. `once(delivery_id, fn)` runs fn at most once per delivery id."""
    if len(body) > MAX_BODY_BYTES:
        return WebhookResponse(413, "payload too large")
    if not signature_valid(secret, body, _header(headers, "X-Hub-Signature-256")):
        return WebhookResponse(401, "missing or invalid X-Hub-Signature-256")
    content_type = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return WebhookResponse(415, "content type must be application/json")
    event = _header(headers, "X-GitHub-Event") or ""
    delivery_id = _header(headers, "X-GitHub-Delivery") or ""
    if not event or not delivery_id:
        return WebhookResponse(400, "missing X-GitHub-Event or X-GitHub-Delivery header")
    if event not in GITHUB_EVENTS:
        return WebhookResponse(400, "unknown X-GitHub-Event")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return WebhookResponse(400, "body is not valid JSON")
    if not isinstance(payload, dict):
        return WebhookResponse(400, "body must be a JSON object")
    if event == "ping":
        return WebhookResponse(200, "pong")
    try:
        job = job_from_webhook(event, payload)
    except InvalidJob as exc:
        return WebhookResponse(400, str(exc))
    if job is None:
        return WebhookResponse(202, f"ignored {event}")

    def enqueue() -> dict:
        enqueue_learning(job, delivery_id, queue)
        logger.info("Learning job queued", extra={"delivery": delivery_id, "job": job.to_json()})
        return job.to_json()

    queued = once(delivery_id, enqueue) if once else enqueue()
    return WebhookResponse(202, "queued", queued)
