"""The embedded default: the whole loop on this machine, through the real Lambda handlers.

moto's ThreadedMotoServer on 127.0.0.1 plays DynamoDB and SQS (the same tables and FIFO queue
as infra/ builds), a LocalForge plays GitHub, and the model is any OpenAI-compatible endpoint
(HOMEOSTAT_LLM_BASE_URL) or the scripted one under examples/. Handlers receive real event shapes:
an EventBridge scheduled event, SQS batches, Function URL requests with signed GitHub payloads.

This module is a driver, like the handlers: it wires adapters and calls functions/, never the
other way round.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from homeostat_core.adapters import aws, dynamo, wiring
from homeostat_core.adapters.local_forge import LocalForge
from homeostat_core.adapters.local_forge_files import clear_seeded
from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.config import default_config_path
from homeostat_core.local.local_waker import local_waker
from homeostat_core.ports import Clock, SystemClock, clock_for
from homeostat_core.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = PROJECT_ROOT / "examples"
QUEUE_NAME = "homeostat-jobs.fifo"
WAKE_QUEUE_NAME = "homeostat-wakes"
DLQ_NAME = "homeostat-jobs-dlq.fifo"
ACCOUNT = "123456789012"


@dataclass
class FakeLambdaContext:
    """What the handlers read from a LambdaContext."""

    function_name: str
    timeout_s: float = 900.0
    memory_limit_in_mb: int = 1024
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout_s - (time.monotonic() - self._started)) * 1000)


class LocalStack:
    """Moto server + tables + FIFO queue + local forge + model endpoint, as environment variables.

    State lives in `state_dir`: the forge's git repositories and a JSON dump of the tables,
    reloaded on the next start, so `homeostat local run --state DIR` continues where it stopped.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        env: str = "dev",
        echo: Callable[[str], None] = print,
        repos_file: Path | None = None,
    ):
        self.state_dir = Path(state_dir).resolve()
        self.env = env
        # The repos.yml the handlers read (HOMEOSTAT_REPOS_FILE): the one the command was given,
        # else the bundled one, never a HOMEOSTAT_REPOS_FILE left in the shell.
        self.repos_file = Path(repos_file or default_config_path()).resolve()
        self.echo = echo
        self._moto = None
        self._scripted = None
        self._saved_env: dict[str, str | None] = {}
        self.queue_url = ""
        self.dlq_url = ""
        self.model_label = ""

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _setenv(self, **values: str) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        init_state(self.state_dir)
        record_written(self.state_dir, "forge", "homeostat.log", "webhook-secret", "tables.json")
        self._quiet_logs()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        # moto keeps its backends per process: start from empty, state comes from tables.json.
        urllib.request.urlopen(urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"))
        self._setenv(
            AWS_ENDPOINT_URL=f"http://{host}:{port}",
            AWS_ACCESS_KEY_ID="local",
            AWS_SECRET_ACCESS_KEY="local",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_REGION="us-east-1",
            HOMEOSTAT_ENV=self.env,
            HOMEOSTAT_FORGE="local",
            HOMEOSTAT_LOCAL_FORGE_DIR=str(self.forge_dir),
            HOMEOSTAT_WEBHOOK_SECRET=self._webhook_secret(),
            POWERTOOLS_METRICS_DISABLED="true",
            POWERTOOLS_TRACE_DISABLED="true",
        )
        self._setenv(HOMEOSTAT_REPOS_FILE=str(self.repos_file))
        self._set_clock_env()
        self._start_model()
        get_settings.cache_clear()
        self._create_resources()
        self._load_tables()

    def stop(self) -> None:

        try:
            if self._moto is not None:
                self._save_tables()
        finally:
            if self._scripted is not None:
                self._scripted.stop()
            if self._moto is not None:
                self._moto.stop()
            self._restore_logs()
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings.cache_clear()
            _reset_handler_caches()

    def _quiet_logs(self) -> None:
        """JSON log lines go to state_dir/homeostat.log; the terminal keeps the story."""
        import logging

        # lazy: Powertools loads only when local mode runs
        from homeostat_core.observability import logger

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._log_file = open(self.state_dir / "homeostat.log", "a", encoding="utf-8")  # noqa: SIM115
        handler = logger.registered_handler
        self._previous_stream = handler.setStream(self._log_file)

    def _restore_logs(self) -> None:
        # lazy: Powertools loads only when local mode runs
        from homeostat_core.observability import logger

        if getattr(self, "_log_file", None) is not None:
            logger.registered_handler.setStream(self._previous_stream)
            self._log_file.close()
            self._log_file = None

    @property
    def forge_dir(self) -> Path:
        return self.state_dir / "forge"

    def _webhook_secret(self) -> str:
        path = self.state_dir / "webhook-secret"
        if not path.exists():
            path.write_text(secrets.token_hex(20))
        return path.read_text().strip()

    def _start_model(self) -> None:
        base_url = os.environ.get("HOMEOSTAT_LLM_BASE_URL")
        if base_url:
            problem = endpoint_problem(base_url)
            self.model_label = f"OpenAI-compatible endpoint {base_url}" + (
                f" (NOT REACHABLE: {problem}; fixes that need a model will be deferred)" if problem else ""
            )
            return

        self._scripted = ScriptedLlmServer(EXAMPLES / "llm-script.yaml")
        url = self._scripted.start()
        self._setenv(HOMEOSTAT_LLM_BASE_URL=url, DEEPSEEK_API_KEY="scripted", OPENAI_API_KEY="scripted")
        self.model_label = f"SCRIPTED model server (answers from examples/llm-script.yaml) at {url}"

    def _create_resources(self) -> None:
        import boto3

        # lazy: PynamoDB loads only where state is used
        from homeostat_core.adapters.dynamo import create_tables

        settings = get_settings()
        create_tables(settings)
        sqs = boto3.client("sqs")
        dlq_url = sqs.create_queue(QueueName=DLQ_NAME, Attributes={"FifoQueue": "true"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.queue_url = sqs.create_queue(
            QueueName=QUEUE_NAME,
            Attributes={
                "FifoQueue": "true",
                "ContentBasedDeduplication": "false",
                "VisibilityTimeout": "0",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
            },
        )["QueueUrl"]
        self.dlq_url = dlq_url
        self.wake_queue_url = sqs.create_queue(QueueName=WAKE_QUEUE_NAME)["QueueUrl"]
        self._setenv(HOMEOSTAT_QUEUE_URL=self.queue_url, HOMEOSTAT_WAKE_QUEUE_URL=self.wake_queue_url)
        get_settings.cache_clear()

    # --- table persistence between runs ----------------------------------------------------

    def _tables(self) -> list[str]:

        s = get_settings()
        return [s.attempts_table, s.patterns_table, s.runs_table]

    def _save_tables(self) -> None:
        import boto3

        client = boto3.client("dynamodb")
        dump: dict[str, list] = {}
        for table in self._tables():
            items: list = []
            for page in client.get_paginator("scan").paginate(TableName=table):
                items.extend(page["Items"])
            dump[table] = items
        (self.state_dir / "tables.json").write_text(json.dumps(dump))

    def _load_tables(self) -> None:
        import boto3

        path = self.state_dir / "tables.json"
        if not path.exists():
            return
        client = boto3.client("dynamodb")
        for table, items in json.loads(path.read_text()).items():
            for item in items:
                client.put_item(TableName=table, Item=item)

    # --- seeding ----------------------------------------------------------------------------

    def forge(self):

        return LocalForge(self.forge_dir, clock=self.clock)

    def seed_examples(self, config) -> None:
        """Build the sample repos and their logger issues, once per state folder."""
        forge = self.forge()
        for repo in config.repositories:
            if (self.forge_dir / repo.owner / repo.name).exists():
                continue
            forge.seed_repo(repo, EXAMPLES / "repos" / repo.name, EXAMPLES / "issues" / repo.name)

    # --- the local clock --------------------------------------------------------------------

    @property
    def clock_offset(self) -> timedelta:
        """How far the local world's clock is ahead of real time (`homeostat local run --later`):
        backoffs of 24 h and more can be shown without waiting. Kept in the state folder."""
        path = self.state_dir / "clock-offset-hours"
        return timedelta(hours=float(path.read_text())) if path.exists() else timedelta()

    @property
    def clock(self) -> Clock:
        """The local world's clock: what the handlers, the forge and the events it sends read."""
        return clock_for(self.clock_offset.total_seconds() / 3600)

    def advance_clock(self, hours: float) -> None:
        hours_now = self.clock_offset.total_seconds() / 3600
        record_written(self.state_dir, "clock-offset-hours")
        (self.state_dir / "clock-offset-hours").write_text(f"{hours_now + hours}\n")
        self._set_clock_env()

    def _set_clock_env(self) -> None:
        # the handlers build their ports (clock, forge) from the settings: one clock for all
        self._setenv(HOMEOSTAT_CLOCK_OFFSET_HOURS=str(self.clock_offset.total_seconds() / 3600))
        get_settings.cache_clear()

    # --- driving the handlers ---------------------------------------------------------------

    def schedule(self) -> dict:
        # lazy: the handlers (Powertools) load only when local mode runs them
        from functions.scheduler.handler import handler

        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/homeostat-every-6-hours"],
            "detail": {},
        }
        return handler(event, FakeLambdaContext("homeostat-scheduler", timeout_s=60))

    def drain(self, on_result: Callable[[dict], None] | None = None, max_messages: int = 200) -> list[dict]:
        """Feed queue messages to the worker handler one batch at a time until the queue is empty."""

        # lazy: the handlers (Powertools) load only when local mode runs them
        from functions.worker.handler import handler

        return self._drain(handler, on_result, max_messages)

    def _drain(self, handler, on_result, max_messages: int) -> list[dict]:
        import boto3
        from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

        sqs = boto3.client("sqs")
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        results: list[dict] = []
        for _ in range(max_messages):
            received = sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not received:
                break
            message = received[0]
            event = {"Records": [sqs_record(message, arn)]}
            try:
                response = handler(event, FakeLambdaContext("homeostat-worker"))
                failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            except BatchProcessingError:
                # Every record of the batch failed: Lambda reports an invocation error and SQS
                # makes the message visible again, exactly like a partial failure of one record.
                failed = {message["MessageId"]}
            body = json.loads(message["Body"])
            result = {"message": body, "failed": message["MessageId"] in failed}
            if not result["failed"]:
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            results.append(result)
            if on_result:
                on_result(result)
        return results

    def deliver_webhook(
        self, event_name: str, payload: dict[str, Any], *, delivery_id: str | None = None
    ) -> dict:
        """POST a signed GitHub delivery to the webhook handler as a Function URL request."""
        # lazy: the handlers (Powertools) load only when local mode runs them
        from functions.webhook.handler import handler

        # lazy: the handlers (Powertools) load only when local mode runs them
        from homeostat_core.webhook import sign

        body = json.dumps(payload)
        headers = {
            "content-type": "application/json",
            "user-agent": "GitHub-Hookshot/local",
            "x-github-event": event_name,
            "x-github-delivery": delivery_id or str(uuid.uuid4()),
            "x-hub-signature-256": sign(self._webhook_secret(), body.encode()),
        }
        event = function_url_event(headers, body, now=self.clock.now())
        with local_waker(self.clock, "functions.webhook.handler"):
            response = handler(event, FakeLambdaContext("homeostat-webhook", timeout_s=10))
        return {"status": response["statusCode"], "body": json.loads(response.get("body") or "{}")}


def endpoint_problem(base_url: str, timeout_s: float = 2.0) -> str | None:
    """Why a model endpoint cannot be connected to, said before the run starts; None when it can."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {base_url!r}"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout_s):
            return None
    except OSError as exc:
        return f"cannot connect to {parts.hostname}:{port}: {exc.strerror or exc}"


def function_url_event(
    headers: dict[str, str],
    body: str,
    *,
    method: str = "POST",
    base64: bool = False,
    now: datetime | None = None,
) -> dict:
    """A Lambda Function URL request event (payload format 2.0), received `now` (the local clock;
    tests that build one by hand get real time)."""
    now = now or SystemClock().now()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "homeostatlocal",
            "domainName": "homeostatlocal.lambda-url.us-east-1.on.aws",
            "domainPrefix": "homeostatlocal",
            "http": {
                "method": method,
                "path": "/",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": body,
        "isBase64Encoded": base64,
    }


def sqs_record(message: dict, queue_arn: str) -> dict:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def _reset_handler_caches() -> None:
    """Handlers cache adapters per container; a new local stack is a new container."""
    import sys

    wiring.state_for.cache_clear()
    wiring.build_forge.cache_clear()
    # PynamoDB model classes hold a botocore session each (~50 MB of endpoint and service data):
    # a stack's endpoint is new, so its models are too, and the old ones must go with it
    dynamo.make_models.cache_clear()
    aws.aws_session.cache_clear()
    aws._secrets_provider.cache_clear()
    for name in ("functions.worker.handler", "functions.webhook.handler", "functions.waker.handler"):
        module = sys.modules.get(name)
        if module is None:
            continue
        for attr in ("_idempotent_runner", "_once", "_waker", "_queue"):
            fn = getattr(module, attr, None)
            if fn is not None and hasattr(fn, "cache_clear"):
                fn.cache_clear()


# A state folder is one Homeostat created: it holds this marker. Homeostat never writes into, or
# deletes, a non-empty folder without it.
STATE_MARKER = ".homeostat-state"
# The top-level entries Homeostat wrote in it, one per line: a reset deletes these and no others.
STATE_MANIFEST = ".homeostat-wrote"
# What a state folder holds (the forge's repositories, the tables, the webhook secret, the log, the
# local clock's offset, `homeostat try`'s repos.yml); also the manifest of a folder from before it.
STATE_FILES = ("forge", "tables.json", "webhook-secret", "homeostat.log", "clock-offset-hours", "repos.yml")


class StateFolderError(Exception):
    """A --state folder Homeostat may not use: it names the folder, the reason and what to do."""

    def __init__(self, message: str, next_step: str):
        super().__init__(message)
        self.next_step = next_step


def is_state_folder(state_dir: Path) -> bool:
    return (Path(state_dir) / STATE_MARKER).is_file()


def init_state(state_dir: Path) -> None:
    """Use `state_dir` as a state folder: create it (and its marker) when it is missing or empty."""
    state_dir = Path(state_dir)
    if is_state_folder(state_dir):
        return
    if state_dir.exists() and not state_dir.is_dir():
        raise StateFolderError(f"{state_dir} is a file, not a state folder", "pick a folder path for --state")
    if state_dir.exists() and any(state_dir.iterdir()):
        raise StateFolderError(
            f"{state_dir} is not empty and is not a Homeostat state folder (no {STATE_MARKER} in it); "
            "Homeostat will not write into it or delete it",
            "pass --state with a new or empty folder; if this is state from a Homeostat older than the "
            "marker, delete the folder yourself",
        )
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / STATE_MARKER).write_text(
        "This folder is Homeostat's local state (homeostat local run/demo --state). Safe to delete.\n"
        f"A fresh start deletes only what Homeostat wrote here, as listed in {STATE_MANIFEST}.\n"
    )
    (state_dir / STATE_MANIFEST).touch()


def require_state(state_dir: Path) -> None:
    """A command that reads existing state: the folder must be one Homeostat created."""
    state_dir = Path(state_dir)
    if is_state_folder(state_dir):
        return
    why = (
        "does not exist" if not state_dir.exists() else f"is not a Homeostat state folder (no {STATE_MARKER})"
    )
    raise StateFolderError(
        f"--state {state_dir} {why}",
        f"check the path; state folders are created only by `homeostat local run --state {state_dir}` "
        f"or `homeostat local demo --state {state_dir}`",
    )


def record_written(state_dir: Path, *names: str) -> None:
    """Note top-level entries of the state folder Homeostat wrote: a reset deletes only these."""
    path = Path(state_dir) / STATE_MANIFEST
    known = set(path.read_text(encoding="utf-8").splitlines()) if path.exists() else set()
    new = [name for name in names if name not in known]
    if new:
        with path.open("a", encoding="utf-8") as manifest:
            manifest.write("".join(f"{name}\n" for name in new))


def written_entries(state_dir: Path) -> set[str]:
    """What Homeostat wrote at the folder's top level (a folder from before the manifest: the
    names Homeostat always writes)."""
    path = Path(state_dir) / STATE_MANIFEST
    if not path.exists():
        return set(STATE_FILES)
    return {name for name in path.read_text(encoding="utf-8").splitlines() if name and "/" not in name}


@dataclass(frozen=True)
class StateReset:
    cleared: list[str]  # what Homeostat wrote and deleted
    kept: list[str]  # what was in the folder that Homeostat did not write: left as it was


def reset_state(state_dir: Path) -> StateReset:
    """Empty a state folder for a fresh start: only what Homeostat wrote in it is deleted (its
    manifest says what); anything else is kept and named. Refuses any folder Homeostat did not
    create."""
    state_dir = Path(state_dir)
    if state_dir.exists() and not is_state_folder(state_dir):
        init_state(state_dir)  # raises for a non-empty folder without the marker
    cleared: list[str] = []
    kept: list[str] = []
    if is_state_folder(state_dir):
        ours = written_entries(state_dir)
        for entry in sorted(state_dir.iterdir()):
            if entry.name in (STATE_MARKER, STATE_MANIFEST):
                continue
            if entry.name not in ours:
                kept.append(entry.name)
            elif entry.name == "forge" and entry.is_dir() and not entry.is_symlink():
                forge_cleared, forge_kept = clear_seeded(entry)  # its repositories, nothing beside them
                cleared += forge_cleared
                kept += forge_kept
            elif entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
                cleared.append(entry.name)
            else:
                entry.unlink()
                cleared.append(entry.name)
        (state_dir / STATE_MANIFEST).unlink(missing_ok=True)
    init_state(state_dir)
    return StateReset(cleared, kept)
