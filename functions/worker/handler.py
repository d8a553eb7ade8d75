"""SQS FIFO batch → repo runs and learning jobs, with partial batch failures and idempotency.

Batch size is 1 (infra), so one message is one repo run or one learning job. A redelivered
message (same messageId) does not run twice: Powertools idempotency keys on the messageId.
"""

from __future__ import annotations

import json
from functools import cache

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from homeostat_core.adapters.aws import aws_session
from homeostat_core.adapters.wiring import build_ports, continuations
from homeostat_core.observability import logger, tracer
from homeostat_core.ports import Deadline
from homeostat_core.settings import get_settings
from homeostat_core.worker import run_message

# Cold start fails fast on a bad environment (e.g. HOMEOSTAT_ENV=staging), naming the variable.
get_settings()

processor = SqsFifoPartialProcessor()
# Records outlive the message's redeliveries (infra sets the expiry from the queue's settings).
idempotency_config = IdempotencyConfig(
    event_key_jmespath="messageId",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=get_settings().idempotency_expiry_s,
)


@cache
def _idempotent_runner():
    # Built on first use: the persistence layer creates its boto3 client when constructed.
    store = DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table, boto3_session=aws_session())

    @idempotent_function(data_keyword_argument="message", config=idempotency_config, persistence_store=store)
    def run_once(message: dict, deadline: Deadline) -> dict:
        settings = get_settings()
        return run_message(
            json.loads(message["body"]),
            ports=build_ports(settings),
            env=settings.env,
            deadline=deadline,
            continuations=continuations(settings),
            from_webhook=sent_by(message, settings.webhook_sender_id),
        )

    return run_once


def sent_by(message: dict, role_id: str | None) -> bool:
    """Whether SQS says the role `role_id` sent this message. SQS sets SenderId itself (a role's
    session reads `<role id>:<session name>`), so a sender cannot claim another's."""
    sender = str((message.get("attributes") or {}).get("SenderId") or "")
    return bool(role_id) and sender.split(":", 1)[0] == role_id


def invocation_deadline(context: LambdaContext | None) -> Deadline:
    """This invocation's deadline, from its own context (never an earlier invocation's)."""
    margin = get_settings().safety_margin_s
    if context is None:
        return Deadline(remaining_s=lambda: float("inf"), margin_s=margin)
    return Deadline(remaining_s=lambda: context.get_remaining_time_in_millis() / 1000, margin_s=margin)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> dict:
    # The batch processor passes this invocation's context to a handler that names it.
    return _idempotent_runner()(message=record.raw_event, deadline=invocation_deadline(lambda_context))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    idempotency_config.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
