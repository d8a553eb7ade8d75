"""GitHub webhook on a Lambda Function URL: verify HMAC, dedupe by the signed body, enqueue, 202."""

from __future__ import annotations

import base64
import binascii
from functools import cache

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from homeostat_core.adapters.aws import aws_session
from homeostat_core.adapters.wiring import job_queue, waker, webhook_secret
from homeostat_core.observability import logger, tracer
from homeostat_core.settings import get_settings
from homeostat_core.webhook import MAX_BODY_BYTES, receive_delivery

# Cold start fails fast on a bad environment (e.g. HOMEOSTAT_ENV=staging), naming the variable.
get_settings()

app = LambdaFunctionUrlResolver()
# The longest request body that can decode to MAX_BODY_BYTES (base64: 4 characters per 3 bytes).
MAX_ENCODED_BODY_CHARS = (MAX_BODY_BYTES + 2) // 3 * 4
idempotency_config = IdempotencyConfig(event_key_jmespath="delivery")


@cache
def _once():
    # Built on the first delivery that asks for a learning job: the ones Homeostat ignores (most
    # of what a GitHub App receives) are answered without a DynamoDB client or call.
    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table, boto3_session=aws_session())

    @idempotent_function(data_keyword_argument="key", config=idempotency_config, persistence_store=store)
    def enqueue_once(key: dict, action=None) -> dict:
        return action()

    # the key is the hash of the signed body (receive_delivery): a replay under a new delivery id is
    # the same delivery
    return lambda delivery_key, action: enqueue_once(key={"delivery": delivery_key}, action=action)


@cache
def _waker():
    # Built on the first `issues` delivery's call; None when no wake queue is configured.
    return waker(get_settings())


def _raw_body(event) -> bytes | None:
    """The request body as bytes (the signature is over bytes; a binary body is not UTF-8 text,
    so Powertools' `decoded_body`, which decodes to str, would fail on it). None: not base64."""
    body = event.body or ""
    if not event.is_base64_encoded:
        return body.encode()
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


@app.post("/")
def receive() -> Response:
    event = app.current_event
    if len(event.body or "") > MAX_ENCODED_BODY_CHARS:
        # refused before any decoding or parsing (receive_delivery checks the decoded bytes too)
        return Response(
            status_code=413,
            content_type=content_types.APPLICATION_JSON,
            body={"message": "payload too large"},
        )
    raw = _raw_body(event)
    if raw is None:
        return Response(
            status_code=400,
            content_type=content_types.APPLICATION_JSON,
            body={"message": "body is not valid base64"},
        )
    settings = get_settings()
    result = receive_delivery(
        event.headers or {},
        raw,
        secret=webhook_secret(settings),
        queue=job_queue(settings),  # its SQS client is made on the first send
        once=lambda key, action: _once()(key, action),
        wakes=_waker(),
    )
    return Response(
        status_code=result.status, content_type=content_types.APPLICATION_JSON, body=result.to_json()
    )


@app.not_found
def not_found(exc: NotFoundError) -> Response:
    # Registered explicitly: otherwise the catch-all handler below turns a GET into a 500.
    wrong_method = app.current_event.http_method != "POST"
    return Response(
        status_code=405 if wrong_method else 404,
        content_type=content_types.APPLICATION_JSON,
        body={"message": "only POST / is served" if wrong_method else "not found"},
        headers={"Allow": "POST"} if wrong_method else None,
    )


@app.exception_handler(Exception)
def unexpected(exc: Exception) -> Response:
    # Raised, not answered: the invocation fails, so Lambda's Errors metric and the WebhookErrors
    # alarm see it, and the Function URL answers GitHub 502 with no stack trace (the log has it).
    logger.exception("Webhook failed")
    raise exc


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    idempotency_config.register_lambda_context(context)
    return app.resolve(event, context)
