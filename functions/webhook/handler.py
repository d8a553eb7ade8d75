"""GitHub webhook on a Lambda Function URL: verify HMAC, dedupe by delivery id, enqueue, 202."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response, content_types
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from homeostat_core.adapters.wiring import job_queue, webhook_secret
from homeostat_core.observability import logger, tracer
from homeostat_core.settings import get_settings
from homeostat_core.webhook import receive_delivery

# Cold start fails fast on a bad environment (e.g. HOMEOSTAT_ENV=staging), naming the variable.
get_settings()

app = LambdaFunctionUrlResolver()
idempotency_config = IdempotencyConfig(event_key_jmespath="delivery")


@cache
def _once():
    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)

    @idempotent_function(data_keyword_argument="key", config=idempotency_config, persistence_store=store)
    def enqueue_once(key: dict, action=None) -> dict:
        return action()

    return lambda delivery_id, action: enqueue_once(key={"delivery": delivery_id}, action=action)


@app.post("/")
def receive() -> Response:
    event = app.current_event
    body = event.decoded_body or ""
    raw = body.encode() if isinstance(body, str) else body
    settings = get_settings()
    result = receive_delivery(
        event.headers or {}, raw, secret=webhook_secret(settings), queue=job_queue(settings), once=_once()
    )
    return Response(
        status_code=result.status, content_type=content_types.APPLICATION_JSON, body=result.to_json()
    )


@app.exception_handler(Exception)
def unexpected(exc: Exception) -> Response:
    # Never a stack trace in the response; the log has it.
    logger.exception("Webhook failed")
    return Response(
        status_code=500, content_type=content_types.APPLICATION_JSON, body={"message": "internal error"}
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    idempotency_config.register_lambda_context(context)
    return app.resolve(event, context)
