"""Delayed wake messages (a standard SQS queue) → one repo run in the repository's FIFO lane.

A wake is due `wake_debounce_seconds` after a report (docs/WAKES.md): releasing its claim and
queuing the run is all this does, in well under a second. A message that cannot be a wake is
logged and dropped (no retry can fix it); a failure to reach DynamoDB or SQS is retried by the
queue, and after its receives the message goes to the wakes' dead-letter queue (alarmed).
"""

from __future__ import annotations

import json
from functools import cache

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from homeostat_core.adapters.wiring import job_queue, waker
from homeostat_core.jobs import InvalidJob
from homeostat_core.observability import logger, tracer
from homeostat_core.settings import get_settings

# Cold start fails fast on a bad environment (e.g. HOMEOSTAT_ENV=staging), naming the variable.
get_settings()

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _waker():
    found = waker(get_settings())
    if found is None:
        raise RuntimeError("HOMEOSTAT_WAKE_QUEUE_URL is not set")
    return found


@cache
def _queue():
    return job_queue(get_settings())


def record_handler(record: SQSRecord) -> str:
    try:
        body = json.loads(record.body)
    except json.JSONDecodeError:
        body = None
    try:
        return _waker().fire(body, _queue())
    except InvalidJob as exc:
        logger.warning("Wake message dropped", extra={"why": str(exc), "messageId": record.message_id})
        return f"dropped: {exc}"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
