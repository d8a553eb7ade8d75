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
    return hmac.compare_digest(sign(secret, body), header)


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
