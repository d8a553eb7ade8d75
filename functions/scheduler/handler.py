"""EventBridge rate(6 hours) → one FIFO message per repository in the bundled repos.yml."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from homeostat_core.adapters.wiring import job_queue
from homeostat_core.config import default_config_path, load_config
from homeostat_core.jobs import schedule_runs
from homeostat_core.observability import logger, tracer
from homeostat_core.settings import get_settings

# Cold start fails fast on a bad environment (e.g. HOMEOSTAT_ENV=staging), naming the variable.
get_settings()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=EventBridgeModel)
def handler(event: EventBridgeModel, context: LambdaContext) -> dict:
    settings = get_settings()
    config = load_config(settings.repos_file or default_config_path())
    count = schedule_runs(config, run_id=event.id, queue=job_queue(settings))
    logger.info("Scheduled repo runs", extra={"count": count, "run_id": event.id})
    return {"scheduled": count, "runId": event.id}
