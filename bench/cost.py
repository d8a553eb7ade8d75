"""The monthly AWS bill for 10, 100, 1,000 and 10,000 repositories, from counted usage.

One local run of the real handlers over moto (DynamoDB, SQS, Secrets Manager in-process), the fake
GitHub (real REST shapes, --github-ms per request) and the scripted model server:
- the scheduler's tick; an idle repository run (no new report); an active run (one new report →
  a fix PR from the model); the webhook deliveries of that PR's life (CI's check runs and suite,
  ready for review, the merge) and the learning jobs they queue; a delivery Homeostat ignores;
- every AWS call is counted where it leaves botocore (boto3 and PynamoDB alike), DynamoDB's
  on-demand read and write units are computed from the items read and written (DynamoDB's size
  rules; moto does not report them), log bytes are what the handlers write (JSON lines and EMF),
  metric series are read from the EMF records, Lambda time is measured per invocation;
- the stack is synthesized (CDK, offline) and its alarms, alarm metrics, dashboards, log widgets,
  Contributor Insights rules, secrets, KMS keys, memory sizes and log retention are counted.
A month is then: 4 runs a day per repository, the stated share of them active (one fix PR each),
people's own pull requests sending deliveries Homeostat ignores, and the fixed costs of the stack,
priced with one table of public us-east-1 list prices (PRICES_AS_OF). Free tiers are left out.
Beside each size: the model spend per merged fix, from the run records the bench wrote.

    .venv/bin/python bench/cost.py [--active-share 0.1] [--github-ms 100] [--model-s 10]

Target: <= $0.05 per repository per month at 1,000 repositories, models excluded.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Public us-east-1 list prices (aws.amazon.com/<service>/pricing), as of this date; DynamoDB
# on-demand after its November 2024 halving; Lambda's INIT phase billed as duration since August
# 2025. Re-check them, and this date, before quoting a bill.
PRICES_AS_OF = "2025-08-01"
PRICES = {
    "lambda_request": 0.20 / 1e6,
    "lambda_gb_second_arm": 0.0000133334,
    "sqs_fifo_request": 0.50 / 1e6,  # per 64 KB chunk
    "dynamodb_write_unit": 0.625 / 1e6,
    "dynamodb_read_unit": 0.125 / 1e6,
    "dynamodb_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    "secret_month": 0.40,
    "secrets_api_call": 0.05 / 1e4,
    "kms_key_month": 1.00,
    "cloudwatch_metric_month": 0.30,  # prorated by the hours a series receives data
    "cloudwatch_alarm_metric_month": 0.10,
    "cloudwatch_dashboard_month": 3.00,
    "logs_ingested_gb": 0.50,
    "logs_stored_gb_month": 0.03,
    "logs_insights_gb_scanned": 0.005,
    "contributor_insights_rule_month": 0.50,
    "contributor_insights_event": 0.02 / 1e6,
    "xray_trace": 5.00 / 1e6,
    "scheduler_invocation": 1.00 / 1e6,  # EventBridge Scheduler (continuations); rules are free
}
HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 30.42
RUNS_PER_DAY = 4  # the scheduler's rate(6 hours)
SIZES = (10, 100, 1000, 10000)
TARGET_AT_1000 = 0.05
# Lambda writes START, END and REPORT lines per invocation (about this many bytes together).
PLATFORM_LOG_BYTES = 330
# Lambda's SQS event source long-polls the queue while it is idle: about 5 pollers, a 20 s poll
# each (AWS docs, "Using Lambda with Amazon SQS"); billed as SQS requests.
IDLE_POLLS_PER_MONTH = 5 * 3 * 60 * HOURS_PER_MONTH
SLUG_PREFIX = "bench/extension-"
SOURCE = "src/background/sync.js"


# --- counting ---------------------------------------------------------------------------------


def item_size(item: dict) -> int:
    """DynamoDB's size of an item in its wire format (attribute names plus values)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        return (len(data.lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


@dataclass
class Usage:
    """What one unit of work (an invocation) cost, as counted."""

    seconds: float = 0.0
    calls: Counter = field(default_factory=Counter)  # (service, operation)
    read_units: float = 0.0
    write_units: float = 0.0
    log_bytes: int = 0
    series: set = field(default_factory=set)  # (namespace, metric, dimensions)
    github_calls: int = 0
    model_calls: int = 0

    def add(self, other: Usage) -> None:
        self.seconds += other.seconds
        self.calls.update(other.calls)
        self.read_units += other.read_units
        self.write_units += other.write_units
        self.log_bytes += other.log_bytes
        self.series |= other.series
        self.github_calls += other.github_calls
        self.model_calls += other.model_calls

    def scaled(self, factor: float) -> Usage:
        return Usage(
            self.seconds * factor,
            Counter({k: v * factor for k, v in self.calls.items()}),
            self.read_units * factor,
            self.write_units * factor,
            int(self.log_bytes * factor),
            set(self.series),
            int(self.github_calls * factor),
            int(self.model_calls * factor),
        )


class Meter:
    """Counts every AWS call (botocore's `_make_api_call`, which boto3 and PynamoDB both use),
    DynamoDB units from item sizes, and the bytes the handlers log, while `measure` is open."""

    def __init__(self, fake_github, model_server):
        from botocore.client import BaseClient

        self._fake, self._model = fake_github, model_server
        self._original = BaseClient._make_api_call
        self._keys: dict[str, list[str]] = {}
        self._usage: Usage | None = None
        meter = self

        def counted(client, operation, params):
            usage = meter._usage
            if usage is None:
                return meter._original(client, operation, params)
            service = client.meta.service_model.service_name
            usage.calls[(service, operation)] += 1
            before = meter._stored_size(client, operation, params) if service == "dynamodb" else 0
            try:
                response = meter._original(client, operation, params)
            except Exception as error:
                if service == "dynamodb" and "ConditionalCheckFailed" in str(error):
                    usage.write_units += meter._write_units(client, operation, params, before)
                raise
            if service == "dynamodb":
                meter._count_units(client, operation, params, response, before)
            return response

        BaseClient._make_api_call = counted

    def close(self) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original

    # DynamoDB: read units per 4 KB (half when eventually consistent), write units per 1 KB of the
    # larger of the item before and after, doubled in transactions; a refused condition still pays.
    def _key_of(self, client, table: str, item: dict) -> dict:
        if table not in self._keys:
            schema = self._original(client, "DescribeTable", {"TableName": table})["Table"]["KeySchema"]
            self._keys[table] = [k["AttributeName"] for k in schema]
        return {name: item[name] for name in self._keys[table] if name in item}

    def _current(self, client, table: str, key: dict) -> int:
        found = self._original(client, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        return item_size(found["Item"]) if "Item" in found else 0

    def _stored_size(self, client, operation: str, params: dict) -> int:
        if operation == "PutItem":
            return self._current(
                client, params["TableName"], self._key_of(client, params["TableName"], params["Item"])
            )
        if operation in ("UpdateItem", "DeleteItem"):
            return self._current(client, params["TableName"], params["Key"])
        return 0

    def _write_units(self, client, operation: str, params: dict, before: int) -> float:
        if operation == "PutItem":
            return max(1, math.ceil(max(before, item_size(params["Item"])) / 1024))
        if operation == "UpdateItem":
            after = self._current(client, params["TableName"], params["Key"])
            return max(1, math.ceil(max(before, after) / 1024))
        if operation == "DeleteItem":
            return max(1, math.ceil(before / 1024))
        raise ValueError(f"the bench does not count DynamoDB {operation} yet: add its rule")

    def _count_units(self, client, operation: str, params: dict, response: dict, before: int) -> None:
        usage = self._usage
        half = 1.0 if params.get("ConsistentRead") else 0.5
        if operation == "GetItem":
            usage.read_units += half * max(1, math.ceil(item_size(response.get("Item", {})) / 4096))
        elif operation in ("Query", "Scan"):
            items = response.get("Items", [])
            size = sum(item_size(i) for i in items)
            scanned, returned = response.get("ScannedCount", len(items)), max(1, len(items))
            usage.read_units += half * max(1, math.ceil(size * max(1, scanned / returned) / 4096))
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            usage.write_units += self._write_units(client, operation, params, before)
        elif operation not in ("DescribeTable", "DescribeTimeToLive"):  # control plane: free
            raise ValueError(f"the bench does not count DynamoDB {operation} yet: add its rule")

    @contextlib.contextmanager
    def measure(self):
        """(usage) of the block: AWS calls, DynamoDB units, log bytes, metric series, time."""
        from homeostat_core.observability import logger

        usage = Usage()
        logs = io.StringIO()
        handler = logger.registered_handler
        previous = handler.setStream(logs)
        github_before, model_before = len(self._fake.calls), len(self._model.prompts())
        self._usage = usage
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(logs):  # EMF records are printed
                yield usage
        finally:
            usage.seconds = time.perf_counter() - started
            self._usage = None
            handler.setStream(previous)
            text = logs.getvalue()
            usage.log_bytes = len(text.encode()) + PLATFORM_LOG_BYTES
            usage.series = _emf_series(text)
            usage.github_calls = len(self._fake.calls) - github_before
            usage.model_calls = len(self._model.prompts()) - model_before


def _emf_series(text: str) -> set:
    series = set()
    for line in text.splitlines():
        if not line.startswith('{"_aws"'):
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                dims = tuple((d, blob[d]) for d in dimensions)
                series |= {(directive["Namespace"], m["Name"], dims) for m in directive["Metrics"]}
    return series


# --- the stack, counted from its template ----------------------------------------------------------


@dataclass
class Stack:
    alarm_metrics: int
    alarms: int
    dashboards: int
    log_widgets: int
    insight_rules: int
    secrets: int
    kms_keys: int
    memory_mb: dict[str, int]
    log_retention_days: int
    pitr_tables: int


def synthesize_stack(top_n: int) -> Stack:
    from tests.infra.conftest import synthesize

    with tempfile.TemporaryDirectory() as folder:
        synth = synthesize(Path(folder), repoMetricsTopN=str(top_n))
    resources = synth.resources.values()

    def of(kind):
        return [r["Properties"] for r in resources if r["Type"] == kind]

    alarm_metrics = sum(
        1 if "MetricName" in a else sum(1 for m in a["Metrics"] if "MetricStat" in m)
        for a in of("AWS::CloudWatch::Alarm")
    )
    dashboards = of("AWS::CloudWatch::Dashboard")
    body = "".join(
        part for d in dashboards for part in d["DashboardBody"]["Fn::Join"][1] if isinstance(part, str)
    )
    memory = {}
    for function in of("AWS::Lambda::Function"):
        handler = function["Handler"]
        if handler.startswith("functions."):
            memory[handler.split(".")[1]] = function["MemorySize"]
    retention = {g.get("RetentionInDays", 0) for g in of("AWS::Logs::LogGroup")}
    return Stack(
        alarm_metrics=alarm_metrics,
        alarms=len(of("AWS::CloudWatch::Alarm")),
        dashboards=len(dashboards),
        log_widgets=body.count('"type":"log"'),
        insight_rules=len(of("AWS::CloudWatch::InsightRule")),
        secrets=len(of("AWS::SecretsManager::Secret")),
        kms_keys=len(of("AWS::KMS::Key")),
        memory_mb=memory,
        log_retention_days=max(retention),
        pitr_tables=sum(
            1
            for t in of("AWS::DynamoDB::Table")
            if t.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        ),
    )


def init_seconds(module: str) -> float:
    """A cold start's import time of one handler (a fresh interpreter, as Lambda's INIT phase)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    probe = f"import time; s = time.perf_counter(); import {module}; print(time.perf_counter() - s)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else 1.0


# --- the local world ------------------------------------------------------------------------------


def issue_text(i: int) -> tuple[str, str]:
    title = "[Extension] TypeError: Cannot read properties of undefined (reading 'url')"
    body = f"""## Error Details
- Extension: Extension v1.0.{i}
- Error Type: TypeError
- Message: Cannot read properties of undefined (reading 'url')

## Stack Trace
```
TypeError: Cannot read properties of undefined (reading 'url')
    at sync{i} (chrome-extension://abcdefghijklmnopabcdefghijklmnop/{SOURCE}:3:14)
```

## Breadcrumbs
1. Tab activated
"""
    return title, body


def model_script(repos: int) -> dict:
    from homeostat_core.fingerprint import fingerprint
    from homeostat_core.intake import parse_issue

    rules = []
    for i in range(repos):
        fp = fingerprint(parse_issue(*issue_text(i), ["robot"]))
        edit = {"path": SOURCE, "search": "  return tab.url;", "replace": "  return tab?.url;"}
        rules.append({"fingerprint": fp.id, "content": json.dumps({"summary": "guard", "edits": [edit]})})
    return {"rules": rules}


def source_file(i: int) -> str:
    return f"// Tab sync.\nexport function sync{i}(tab) {{\n  return tab.url;\n}}\n"


class World:
    """Moto (in-process), queues, tables, secrets; the fake GitHub; the real handlers."""

    def __init__(self, tmp: Path, fake, model, repos: int):
        import boto3
        import yaml

        from homeostat_core.adapters.dynamo import create_tables
        from homeostat_core.settings import get_settings

        self.fake, self.model, self.repos = fake, model, repos
        self.slugs = [f"{SLUG_PREFIX}{i}" for i in range(repos)]
        for i, slug in enumerate(self.slugs):
            fake.add_repo(slug, "main", {SOURCE: source_file(i)})
        config = [
            {
                "slug": slug,
                "branch": "main",
                "max_prs_per_run": 2,
                "labels": ["homeostat-fix"],
                "path_filters": {"include": ["src/"]},
            }
            for slug in self.slugs
        ]
        (tmp / "repos.yml").write_text(yaml.safe_dump({"version": 1, "repositories": config}))
        secrets = boto3.client("secretsmanager")
        self.webhook_secret = "bench-webhook-secret"
        names = {
            "HOMEOSTAT_GITHUB_TOKEN_SECRET": ("github-token", "bench-token"),
            "HOMEOSTAT_WEBHOOK_SECRET_NAME": ("webhook", self.webhook_secret),
            "HOMEOSTAT_LLM_KEYS_SECRET": (
                "llm-keys",
                json.dumps({"DEEPSEEK_API_KEY": "scripted", "OPENAI_API_KEY": "scripted"}),
            ),
        }
        for variable, (name, value) in names.items():
            secrets.create_secret(Name=f"homeostat/bench/{name}", SecretString=value)
            os.environ[variable] = f"homeostat/bench/{name}"
        os.environ["HOMEOSTAT_REPOS_FILE"] = str(tmp / "repos.yml")
        get_settings.cache_clear()
        create_tables(get_settings())
        sqs = boto3.client("sqs")
        self.queue_url = sqs.create_queue(
            QueueName="homeostat-jobs.fifo",
            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"},
        )["QueueUrl"]
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        os.environ["HOMEOSTAT_QUEUE_URL"] = self.queue_url
        get_settings.cache_clear()

    def new_containers(self) -> None:
        """Lambda's containers do not outlive the 6 hours between cycles: every cache starts cold."""
        from homeostat_core.local.runner import _reset_handler_caches

        _reset_handler_caches()

    def schedule(self) -> dict:
        from functions.scheduler.handler import handler
        from homeostat_core.local.runner import FakeLambdaContext

        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/homeostat-every-6-hours"],
            "detail": {},
        }
        return handler(event, FakeLambdaContext("homeostat-scheduler", timeout_s=60))

    def messages(self):
        """Each queued message, as Lambda's event source hands it over (its receive and delete are
        the event source's, counted in the model, not here)."""
        import boto3

        from homeostat_core.local.runner import _sqs_record

        sqs = boto3.client("sqs")
        while True:
            received = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=1, AttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not received:
                return
            yield {"Records": [_sqs_record(received[0], self.queue_arn)]}
            sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=received[0]["ReceiptHandle"])

    def work(self, event: dict) -> dict:
        from functions.worker.handler import handler
        from homeostat_core.local.runner import FakeLambdaContext

        response = handler(event, FakeLambdaContext("homeostat-worker"))
        assert not response.get("batchItemFailures"), response
        return json.loads(event["Records"][0]["body"])

    def deliver(self, event_name: str, payload: dict) -> dict:
        from functions.webhook.handler import handler
        from homeostat_core.local.runner import FakeLambdaContext, function_url_event
        from homeostat_core.webhook import sign

        body = json.dumps(payload)
        headers = {
            "content-type": "application/json",
            "x-github-event": event_name,
            "x-github-delivery": str(uuid.uuid4()),
            "x-hub-signature-256": sign(self.webhook_secret, body.encode()),
        }
        response = handler(
            function_url_event(headers, body), FakeLambdaContext("homeostat-webhook", timeout_s=10)
        )
        answer = json.loads(response["body"])
        assert response["statusCode"] in (200, 202), answer
        return answer


def pr_life(world: World, slug: str, number: int, ci_jobs: int) -> list[tuple[str, dict]]:
    """The deliveries GitHub sends an App subscribed to pull_request, check_suite, check_run and
    status for one fix PR: opened; CI's check runs created and completed; the suite completed;
    ready for review; merged (the merge happens in the fake GitHub before the delivery)."""
    sha = world.fake.pr_head_sha(slug, number)
    branch = world.fake.pull(slug, number)["head"]["ref"]
    repository = {"full_name": slug, "name": slug.split("/")[1], "owner": {"login": slug.split("/")[0]}}

    def pull_request(action: str) -> dict:
        # GitHub's payload carries the PR as GET /pulls/<n> shows it at that moment
        return {
            "action": action,
            "number": number,
            "repository": repository,
            "pull_request": world.fake.pull(slug, number),
        }

    def check_run(action: str, job: int) -> dict:
        return {
            "action": action,
            "repository": repository,
            "check_run": {
                "id": job,
                "name": f"ci-{job}",
                "head_sha": sha,
                "status": "completed" if action == "completed" else "queued",
                "check_suite": {"head_branch": branch, "head_sha": sha},
            },
        }

    deliveries = [("pull_request", pull_request("opened"))]
    deliveries += [("check_run", check_run("created", job)) for job in range(ci_jobs)]
    for job in range(ci_jobs):
        world.fake.add_check_run(slug, sha, f"ci-{job}", "completed", "success")
    deliveries += [("check_run", check_run("completed", job)) for job in range(ci_jobs)]
    suite = {
        "action": "completed",
        "repository": repository,
        "check_suite": {"head_branch": branch, "head_sha": sha},
    }
    deliveries += [("check_suite", suite), ("pull_request", pull_request("ready_for_review"))]
    return deliveries


def people_pr_deliveries(ci_jobs: int) -> int:
    """Deliveries from one of people's own PRs (all ignored): opened, two pushes, closed, and per
    push a check suite completed with its check runs created and completed."""
    return 1 + 2 + 1 + 3 * (1 + 2 * ci_jobs)


# --- the month ------------------------------------------------------------------------------------


@dataclass
class Measured:
    scheduler_per_repo: Usage
    idle_run: Usage
    active_run: Usage
    cold_worker_extra: Usage
    ignored_delivery: Usage
    queued_delivery: Usage
    learning_job: Usage
    deliveries_per_fix: float  # webhook deliveries in one fix PR's life
    queued_per_fix: float  # of which queue a learning job
    jobs_per_fix: float  # learning jobs the worker ran for them
    init_s: dict[str, float]
    run_record_bytes: float
    other_bytes_per_fix: float


def month(m: Measured, stack: Stack, repos: int, active_share: float, args) -> dict[str, float]:
    """Dollars per line of the bill for `repos` repositories."""
    gb = {name: mb / 1024 for name, mb in stack.memory_mb.items()}
    runs = repos * RUNS_PER_DAY * DAYS_PER_MONTH
    active, idle = runs * active_share, runs * (1 - active_share)
    cycles = RUNS_PER_DAY * DAYS_PER_MONTH
    people = repos * args.people_prs * people_pr_deliveries(args.ci_jobs)
    ignored = people + active * (m.deliveries_per_fix - m.queued_per_fix)
    job_deliveries, jobs = active * m.queued_per_fix, active * m.jobs_per_fix
    # a worker container per lane of the cycle: min(repos, concurrency) cold starts per cycle
    cold_workers = cycles * min(repos, args.concurrency)
    work = Usage()
    for usage, times in (
        (m.idle_run, idle),
        (m.active_run, active),
        (m.learning_job, jobs),
        (m.cold_worker_extra, cold_workers),
    ):
        work.add(usage.scaled(times))
    model_wait = (active * m.active_run.model_calls + jobs * m.learning_job.model_calls) * args.model_s
    hooks = Usage()
    hooks.add(m.ignored_delivery.scaled(ignored))
    hooks.add(m.queued_delivery.scaled(job_deliveries))
    tick = m.scheduler_per_repo.scaled(runs)

    messages = runs + jobs  # each taken by the event source: one receive and one delete
    webhook_invocations = ignored + job_deliveries
    invocations = cycles + messages + webhook_invocations
    gb_seconds = (
        tick.seconds * gb["scheduler"]
        + (work.seconds + model_wait + cold_workers * m.init_s["worker"]) * gb["worker"]
        + (hooks.seconds + args.webhook_containers_per_day * DAYS_PER_MONTH * m.init_s["webhook"])
        * gb["webhook"]
        + cycles * m.init_s["scheduler"] * gb["scheduler"]
    )
    calls = work.calls + hooks.calls + tick.calls
    sqs_requests = sum(v for (s, _), v in calls.items() if s == "sqs") + 2 * messages + IDLE_POLLS_PER_MONTH
    secrets_calls = sum(v for (s, _), v in calls.items() if s == "secretsmanager")
    log_bytes = work.log_bytes + hooks.log_bytes + tick.log_bytes
    log_gb = log_bytes / 1e9
    # Metric series receive data in the hours a cycle runs (each cycle's length, whole hours) and,
    # for fix outcomes, in the hours merges happen: at most every hour of the month.
    cycle_hours = math.ceil(
        max(1.0, (work.seconds + model_wait) / max(1, cycles) / min(repos, args.concurrency) / 3600)
    )
    run_series = m.idle_run.series | m.active_run.series
    outcome_series = m.learning_job.series - run_series
    metric_months = (
        len(run_series) * min(HOURS_PER_MONTH, cycles * cycle_hours)
        + len(outcome_series) * min(HOURS_PER_MONTH, active)
    ) / HOURS_PER_MONTH
    # Storage: run records live 90 days (RUN_TTL); attempts and patterns grow with fixes.
    stored_gb = (runs * 3 * m.run_record_bytes + active * m.other_bytes_per_fix) / 1e9
    worker_logs_week_gb = (work.log_bytes / 4.345) / 1e9
    matched_lines = runs * stack.insight_rules
    bill = {
        "Lambda requests": invocations * PRICES["lambda_request"],
        "Lambda GB-seconds": gb_seconds * PRICES["lambda_gb_second_arm"],
        "SQS requests": sqs_requests * PRICES["sqs_fifo_request"],
        "DynamoDB reads": (work.read_units + hooks.read_units + tick.read_units)
        * PRICES["dynamodb_read_unit"],
        "DynamoDB writes": (work.write_units + hooks.write_units + tick.write_units)
        * PRICES["dynamodb_write_unit"],
        "DynamoDB storage + PITR": stored_gb
        * (PRICES["dynamodb_gb_month"] + PRICES["dynamodb_pitr_gb_month"]),
        "Secrets Manager": stack.secrets * PRICES["secret_month"]
        + secrets_calls * PRICES["secrets_api_call"],
        "KMS keys": stack.kms_keys * PRICES["kms_key_month"],
        "CloudWatch metrics": metric_months * PRICES["cloudwatch_metric_month"],
        "CloudWatch alarms": stack.alarm_metrics * PRICES["cloudwatch_alarm_metric_month"],
        "CloudWatch dashboards": stack.dashboards * PRICES["cloudwatch_dashboard_month"],
        "Logs ingestion + storage": log_gb * PRICES["logs_ingested_gb"]
        + log_gb * PRICES["logs_stored_gb_month"] * stack.log_retention_days / 30,
        "Logs Insights (dashboard views)": args.dashboard_views
        * DAYS_PER_MONTH
        * stack.log_widgets
        * worker_logs_week_gb
        * PRICES["logs_insights_gb_scanned"],
        "Contributor Insights": stack.insight_rules * PRICES["contributor_insights_rule_month"]
        + matched_lines * PRICES["contributor_insights_event"],
        "X-Ray traces": invocations * PRICES["xray_trace"],
        "Scheduler (continuations)": calls[("scheduler", "CreateSchedule")] * PRICES["scheduler_invocation"],
    }
    return bill


def measure(args) -> tuple[Measured, list, list]:
    from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
    from tests.fakes.fake_github import FakeGitHub

    sample = args.sample
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeGitHub(tokens=["bench-token"], latency_s=args.github_ms / 1000) as fake,
        ScriptedLlmServer(model_script(sample)) as model,
    ):
        os.environ["HOMEOSTAT_LLM_BASE_URL"] = model.base_url
        os.environ["HOMEOSTAT_GITHUB_API_URL"] = fake.base_url
        world = World(Path(folder), fake, model, sample)
        meter = Meter(fake, model)
        from homeostat_core.observability import logger

        logger.registered_handler.setStream(io.StringIO())  # what is not measured is not printed
        try:
            # Cycle one: no repository has a report yet. New containers: the first message is cold.
            world.new_containers()
            with meter.measure() as tick:
                assert world.schedule()["scheduled"] == sample
            runs = []
            for event in world.messages():
                with meter.measure() as usage:
                    world.work(event)
                runs.append(usage)
            cold, idle = runs[0], runs[1:]
            # Cycle two: half the repositories have a new report each (the first message is cold
            # again and left out: cycle one measured the cold start).
            active_slugs = world.slugs[: sample // 2]
            for i, slug in enumerate(active_slugs):
                fake.add_issue(slug, *issue_text(i), ["robot"], "logger-bot")
            world.new_containers()
            world.schedule()
            active = []
            for index, event in enumerate(world.messages()):
                with meter.measure() as usage:
                    body = world.work(event)
                if index:
                    (active if body["repo"] in active_slugs else idle).append(usage)
            # Each fix PR's life through the webhook, and the learning jobs it queues.
            ignored, queued, learning = [], [], []
            for slug in active_slugs:
                (pull,) = fake.prs(slug)
                life = pr_life(world, slug, pull["number"], args.ci_jobs)
                fake.merge_pr(slug, pull["number"])
                merge = {**life[0][1], "action": "closed", "pull_request": fake.pull(slug, pull["number"])}
                for event_name, payload in [*life, ("pull_request", merge)]:
                    with meter.measure() as usage:
                        answer = world.deliver(event_name, payload)
                    (queued if answer["message"] == "queued" else ignored).append(usage)
                for event in world.messages():
                    with meter.measure() as usage:
                        world.work(event)
                    learning.append(usage)
            fixes = len(active_slugs)
            records, rows = run_records()
        finally:
            meter.close()
    init = {name: init_seconds(f"functions.{name}.handler") for name in ("scheduler", "worker", "webhook")}
    measured = Measured(
        scheduler_per_repo=tick.scaled(1 / sample),
        idle_run=_mean(idle),
        active_run=_mean(active),
        cold_worker_extra=_excess(cold, _mean(idle)),
        ignored_delivery=_mean(ignored),
        queued_delivery=_mean(queued),
        learning_job=_mean(learning),
        deliveries_per_fix=(len(ignored) + len(queued)) / fixes,
        queued_per_fix=len(queued) / fixes,
        jobs_per_fix=len(learning) / fixes,
        init_s=init,
        run_record_bytes=_run_record_bytes(records),
        other_bytes_per_fix=_fix_bytes(rows, fixes),
    )
    return measured, records, rows


def run_records():
    from homeostat_core.adapters.dynamo import DynamoState
    from homeostat_core.settings import get_settings

    state = DynamoState.from_settings(get_settings())
    records = state.runs.list()
    rows = [row for repo in sorted({r.repo for r in records}) for row in state.attempts.list(repo)]
    return records, rows


def _run_record_bytes(records) -> float:
    from homeostat_core.run_report import jsonl

    return len(jsonl(records).encode()) / max(1, len(records))


def _fix_bytes(rows, merged: int) -> float:
    import dataclasses

    return sum(len(json.dumps(dataclasses.asdict(r), default=str)) for r in rows) / max(1, merged) * 2


def _mean(samples: list[Usage]) -> Usage:
    total = Usage()
    for usage in samples:
        total.add(usage)
    return total.scaled(1 / max(1, len(samples)))


def _excess(cold: Usage, warm: Usage) -> Usage:
    """What a cold container's first message costs beyond a warm one (secrets, clients, tables)."""
    calls = Counter({k: max(0, v - warm.calls.get(k, 0)) for k, v in cold.calls.items()})
    return Usage(
        max(0.0, cold.seconds - warm.seconds),
        calls,
        max(0.0, cold.read_units - warm.read_units),
        max(0.0, cold.write_units - warm.write_units),
        max(0, cold.log_bytes - warm.log_bytes),
        set(),
    )


def model_spend_per_merged_fix(records, rows) -> tuple[float | None, int, int]:
    from homeostat_core.run_report import fix_outcomes

    outcomes = fix_outcomes(rows, records)
    merged = sum(o.merged for o in outcomes)
    cost = sum(o.cost_usd for o in outcomes)
    return (cost / merged if merged else None), merged, len(records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--active-share", type=float, default=0.1, help="share of runs that open a fix PR")
    parser.add_argument("--sample", type=int, default=8, help="repositories in the local run (even)")
    parser.add_argument("--github-ms", type=float, default=100.0, help="GitHub API latency per request")
    parser.add_argument("--model-s", type=float, default=10.0, help="Lambda time waiting per model call")
    parser.add_argument("--ci-jobs", type=int, default=3, help="check runs per CI push")
    parser.add_argument("--people-prs", type=float, default=4.0, help="people's own PRs per repo per month")
    parser.add_argument("--concurrency", type=int, default=10, help="maxWorkerConcurrency")
    parser.add_argument("--dashboard-views", type=float, default=2.0, help="dashboard views per day")
    parser.add_argument("--webhook-containers-per-day", type=float, default=24.0)
    parser.add_argument("--top-n", type=int, default=0, help="-c repoMetricsTopN (Contributor Insights)")
    args = parser.parse_args()

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "HOMEOSTAT_ENV": "production",
            "HOMEOSTAT_FORGE": "github",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "INFO",  # what infra sets outside dev
            "POWERTOOLS_METRICS_NAMESPACE": "Homeostat",
            "POWERTOOLS_SERVICE_NAME": "homeostat",
        }
    )
    for variable in ("AWS_ENDPOINT_URL", "POWERTOOLS_METRICS_DISABLED", "GITHUB_TOKEN"):
        os.environ.pop(variable, None)
    started = time.monotonic()
    stack = synthesize_stack(args.top_n)
    from moto import mock_aws

    with mock_aws():
        measured, records, rows = measure(args)
    per_fix, merged, record_count = model_spend_per_merged_fix(records, rows)
    report(measured, stack, args, per_fix, merged, record_count, time.monotonic() - started)
    return 0


def report(m: Measured, stack: Stack, args, per_fix, merged: int, record_count: int, wall_s: float) -> None:
    print(f"Prices: public us-east-1 list prices as of {PRICES_AS_OF}; free tiers left out.")
    print(
        f"Counted per unit (local run, GitHub {args.github_ms:g} ms per request, model wait "
        f"{args.model_s:g} s per call):"
    )
    rows = [
        ("idle repo run", m.idle_run),
        ("active repo run (new PR)", m.active_run),
        ("learning job", m.learning_job),
        ("webhook delivery, ignored", m.ignored_delivery),
        ("webhook delivery, queued", m.queued_delivery),
        ("scheduler, per repository", m.scheduler_per_repo),
        ("cold worker container (extra)", m.cold_worker_extra),
    ]
    print(
        f"  {'':34} {'seconds':>8} {'AWS calls':>9} {'RRU':>6} {'WRU':>6} {'log B':>7} {'GitHub':>6} {'model':>5}"
    )
    for label, usage in rows:
        print(
            f"  {label:34} {usage.seconds:8.3f} {sum(usage.calls.values()):9.1f} {usage.read_units:6.1f} "
            f"{usage.write_units:6.1f} {usage.log_bytes:7d} {usage.github_calls:6d} {usage.model_calls:5d}"
        )
    for label, usage in rows[:3]:
        calls = ", ".join(f"{s}.{op} {n:g}" for (s, op), n in sorted(usage.calls.items()))
        print(f"  {label} calls: {calls}")
    series = sorted(
        {name for _ns, name, _dims in m.idle_run.series | m.active_run.series | m.learning_job.series}
    )
    dims = {d for _ns, _name, d in m.idle_run.series | m.active_run.series | m.learning_job.series}
    print(f"  metric series emitted: {len(series)} ({', '.join(series)}), dimensions {sorted(dims)}")
    print(
        f"  per fix PR: {m.deliveries_per_fix:g} deliveries, {m.queued_per_fix:g} queue a learning job, "
        f"{m.jobs_per_fix:g} jobs run; people's own PR: {people_pr_deliveries(args.ci_jobs)} deliveries "
        f"(ignored), {args.people_prs:g} such PRs a month per repository"
    )
    print("  cold start (import) s: " + ", ".join(f"{k} {v:.2f}" for k, v in m.init_s.items()))
    print(
        f"Stack (synthesized): {stack.alarms} alarms ({stack.alarm_metrics} alarm metrics), {stack.dashboards} "
        f"dashboard ({stack.log_widgets} Logs Insights widgets), {stack.insight_rules} Contributor Insights "
        f"rules, {stack.secrets} secrets, {stack.kms_keys} KMS key, memory MB {stack.memory_mb}, "
        f"logs kept {stack.log_retention_days} days, {stack.pitr_tables} tables with PITR"
    )
    spend = "no merged fix in the records" if per_fix is None else f"${per_fix:.4f}"
    print(
        f"Model spend per merged fix (run records: {record_count} runs, {merged} merged fixes; the "
        f"scripted model's tokens at the tiers' prices): {spend}"
    )
    print()
    active_label = f"{args.active_share:.0%} of repos active"
    print(f"{'repos':>7}  {'all idle':>28}  {active_label:>28}  {'model spend per merged fix':>26}")
    for repos in SIZES:
        cells = []
        for share in (0.0, args.active_share):
            total = sum(month(m, stack, repos, share, args).values())
            cells.append(f"${total / repos:.4f} per repo per month")
        print(f"{repos:>7}  {cells[0]:>28}  {cells[1]:>28}  {spend:>26}")
    bill = month(m, stack, 1000, args.active_share, args)
    total = sum(bill.values())
    print()
    print(f"At 1,000 repositories, {args.active_share:.0%} active: ${total:.2f} a month")
    for line, dollars in sorted(bill.items(), key=lambda item: -item[1]):
        print(f"  {line:34} ${dollars:9.3f}  {dollars / total:6.1%}")
    verdict = "ok" if total / 1000 <= TARGET_AT_1000 else "OVER"
    print(f"target <= ${TARGET_AT_1000} per repo per month at 1,000: ${total / 1000:.4f}  [{verdict}]")
    print(f"(bench wall time {wall_s:.0f} s)")


if __name__ == "__main__":
    raise SystemExit(main())
