"""Local mode's wakes (docs/WAKES.md): the webhook and waker handlers on the local clock.

Wake messages are sent undelayed to the local wakes queue: the local clock, not SQS's timer, says
when a wake is due, and `run_due_wakes` moves the clock forward to it as time would pass, then
hands the message to the real waker handler as SQS would."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from homeostat_core.attempts import parse_utc_iso
from homeostat_core.local.local_waker import local_waker
from homeostat_core.local.runner import FakeLambdaContext, LocalStack, sqs_record
from homeostat_core.wakes import parse_wake


def run_due_wakes(
    stack: LocalStack,
    on_wake: Callable[[str, datetime], None] | None = None,
    *,
    until: datetime | None = None,
    then: Callable[[str], None] | None = None,
) -> list[str]:
    """Deliver each queued wake to the waker handler once it is due, earliest first: the local
    clock moves forward to it. `until`: only wakes due by then (the others stay queued); `then(repo)`
    after each, e.g. to drain its run before the next wake. A wake the waker sends again (reports
    still arriving) is delivered again in the same call. Returns the repositories woken."""
    import boto3

    # lazy: the handlers (Powertools) load only when local mode runs them
    from functions.waker.handler import handler

    sqs = boto3.client("sqs")
    url = stack.wake_queue_url
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    woken: list[str] = []
    while True:
        queued: list[tuple[datetime, str, dict]] = []
        while received := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        ):
            queued += [(_deliver_at(m), parse_wake(json.loads(m["Body"]))[0], m) for m in received]
        queued.sort(key=lambda item: item[:2])
        due = [item for item in queued if until is None or item[0] <= until]
        for _, _, message in queued[len(due) :]:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        if not due:
            return woken
        at, slug, message = due[0]
        for _, _, other in due[1:]:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=other["ReceiptHandle"], VisibilityTimeout=0
            )
        wait = (at - stack.clock.now()).total_seconds()
        if wait > 0:
            stack.advance_clock(wait / 3600)
        with local_waker(stack.clock, "functions.waker.handler"):
            handler(
                {"Records": [sqs_record(message, arn)]}, FakeLambdaContext("homeostat-waker", timeout_s=30)
            )
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        queued_runs = _fired(stack)
        if queued_runs:
            if on_wake:
                on_wake(slug, at)
            woken.append(slug)
            if then:
                then(slug)


def _deliver_at(message: dict) -> datetime:
    """When SQS would deliver the message: its `deliverAt` (a wake sent again), else its dueAt."""
    body = json.loads(message["Body"])
    return parse_utc_iso(body["deliverAt"]) if isinstance(body.get("deliverAt"), str) else parse_wake(body)[1]


def _fired(stack: LocalStack) -> bool:
    import boto3

    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) > 0
