"""EventBridge rate(6 hours) → one FIFO message per repository in the bundled repos.yml."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from homeostat_core.adapters.wiring import job_queue
from homeostat_core.config import default_config_path, load_config
from homeostat_core.jobs import schedule_runs
from homeostat_core.observability import logger, tracer
from homeostat_core.settings import get_settings

# Cold start fails fast on a bad environment (e.g. HOMEOSTAT_ENV=staging), naming the variable.
get_settings()


class NotAScheduledEvent(ValueError):
    """The event is not EventBridge's scheduled event (no id, or another source's shape)."""


# A data class, not the pydantic parser: the scheduler's cold start does not load pydantic.
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    run_id = event.get("id")
    if not isinstance(run_id, str) or not run_id or "detail-type" not in event:
        raise NotAScheduledEvent(f"not an EventBridge event (keys: {sorted(event.raw_event)[:8]})")
    settings = get_settings()
    config = load_config(settings.repos_file or default_config_path())
    count = schedule_runs(config, run_id=run_id, queue=job_queue(settings))
    logger.info("Scheduled repo runs", extra={"count": count, "run_id": run_id})
    return {"scheduled": count, "runId": run_id}
