"""One scheduled cycle over 1,000 repositories in 50 GitHub App installations, through the real
scheduler and worker handlers over moto's SQS FIFO queue, against the fake GitHub (20 ms per call,
a per-installation rate limit in GitHub's real shape).

Worker processes stand in for Lambda's SQS event source: each polls one message at a time (moto
keeps a FIFO message group, a lane, out of reach while one of its messages is in flight), invokes
the worker handler with the event Lambda would send, and deletes the message on success. At most
`--concurrency` run at once, as the event source's maximum concurrency does.

Prints the cycle's makespan, the ideal makespan for that concurrency (the larger of the busiest
lane's work and the total work divided by the concurrency) and their ratio (target <= 1.2), the
GitHub calls per idle repository (target <= 2, token minting included), and the rate-limit errors
GitHub answered (target 0). First, the scheduler alone at `--scheduler-repos` (10,000): the real
handler in a fresh process reads a repos.yml of that size and queues every repository on moto's
SQS FIFO; its time as a share of its Lambda timeout (target <= 0.5), its cold start apart. A message's work is the time it held its worker and its lane, from
the receive that took it to its delete: on two shared cores the moto server, serialized like
DynamoDB's atomic writes, is the busiest component, and its queue calls are part of every run's
cost here as SQS's are in Lambda; the ratio then measures what the lanes and the cap decide —
idle workers and waiting lanes.

    .venv/bin/python bench/scale.py [--repos 1000] [--installations 50] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP_ID = 90210
QUEUE = "homeostat-jobs.fifo"


def _environment(tmp: Path, moto_url: str, github_url: str, app_secret: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_url,
        "HOMEOSTAT_ENV": "test",
        "HOMEOSTAT_FORGE": "github",
        "HOMEOSTAT_GITHUB_API_URL": github_url,
        "HOMEOSTAT_REPOS_FILE": str(tmp / "repos.yml"),
        "HOMEOSTAT_ATTEMPTS_TABLE": "bench-attempts",
        "HOMEOSTAT_PATTERNS_TABLE": "bench-patterns",
        "HOMEOSTAT_RUNS_TABLE": "bench-runs",
        "HOMEOSTAT_IDEMPOTENCY_TABLE": "bench-idempotency",
        "GITHUB_APP": app_secret,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "POWERTOOLS_SERVICE_NAME": "homeostat",
    }


def lane_sizes(repos: int, installations: int, seed: int = 13) -> list[int]:
    """Uneven installations (an organisation's fleet is not evenly split): 0.5x to 1.5x the mean."""
    rng = random.Random(seed)
    weights = [rng.uniform(0.5, 1.5) for _ in range(installations)]
    sizes = [max(1, int(repos * w / sum(weights))) for w in weights]
    for i in range(repos - sum(sizes)):  # the rounding remainder, one repo each
        sizes[i % installations] += 1
    return sizes


def worker_process(index: int, environ: dict[str, str], queue_url: str, start, results) -> None:
    """One stand-in for a Lambda worker container, fed by the event source."""
    os.environ.update(environ)
    import boto3

    from functions.worker.handler import handler
    from homeostat_core.local.runner import FakeLambdaContext, _sqs_record

    sqs = boto3.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    results.put(("ready", index))
    start.wait()
    idle_polls = 0
    while idle_polls < 20:  # nothing to take for ~2 s: the cycle is over
        began = time.time()
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=1, AttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not received:  # every waiting lane is in flight (or the queue is empty): poll again soon
            idle_polls += 1
            time.sleep(0.1)
            continue
        idle_polls = 0
        message = received[0]
        response = handler({"Records": [_sqs_record(message, arn)]}, FakeLambdaContext("homeostat-worker"))
        failed = bool(response.get("batchItemFailures"))
        if not failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        ended = time.time()  # the message held its worker and its lane from receive to delete
        body = json.loads(message["Body"])
        results.put(("run", body["repo"], message["Attributes"]["MessageGroupId"], began, ended, failed))
    results.put(("done", index))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--installations", type=int, default=50)
    parser.add_argument(
        "--concurrency", type=int, default=10, help="the worker event source's maximum concurrency"
    )
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rate-limit", type=int, default=5000, help="requests per hour per installation")
    parser.add_argument("--scheduler-repos", type=int, default=10_000)
    args = parser.parse_args()
    started = time.monotonic()

    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    import boto3
    import yaml

    from homeostat_core.adapters.dynamo import create_tables
    from homeostat_core.settings import parse_settings
    from tests.fakes.fake_github import FakeGitHub
    from tests.integration.scale.conftest import app_secret, new_key_pair

    private, public = new_key_pair()
    sizes = lane_sizes(args.repos, args.installations)
    context = multiprocessing.get_context("spawn")
    # moto in its own process: its serialized request handling gets a core (and a GIL) of its own,
    # as AWS's services would, instead of sharing one with the fake GitHub.
    moto_url_queue, moto_stop = context.Queue(), context.Event()
    moto = context.Process(target=moto_process, args=(moto_url_queue, moto_stop), daemon=True)
    moto.start()
    moto_url = moto_url_queue.get(timeout=60)
    scheduler = _scheduler_at_scale(context, moto_url, args.scheduler_repos, args.installations)
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeGitHub(tokens=[], latency_s=args.latency_ms / 1000) as fake,
    ):
        tmp = Path(folder)
        fake.configure_app(APP_ID, public)
        fake.set_rate_limit(args.rate_limit)
        repositories = []
        for installation, size in enumerate(sizes, start=1):
            slugs = [f"org{installation}/extension-{i}" for i in range(size)]
            fake.add_installation(installation, slugs, account=f"org{installation}")
            for slug in slugs:
                fake.add_repo(slug, "main", {"src/background.js": "export {};\n"})
                repositories.append(
                    {
                        "slug": slug,
                        "branch": "main",
                        "max_prs_per_run": 1,
                        "labels": ["homeostat-fix"],
                        "path_filters": {"include": ["src/"]},
                        "installation_id": installation,
                    }
                )
        # Listed by installation, as an operator would: the FIFO order puts a lane's runs together.
        (tmp / "repos.yml").write_text(yaml.safe_dump({"version": 1, "repositories": repositories}))
        environ = _environment(tmp, moto_url, fake.base_url, app_secret(APP_ID, private))
        os.environ.update(environ)
        create_tables(parse_settings(environ))
        queue_url = boto3.client("sqs").create_queue(
            QueueName=QUEUE, Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        )["QueueUrl"]
        environ["HOMEOSTAT_QUEUE_URL"] = queue_url
        os.environ["HOMEOSTAT_QUEUE_URL"] = queue_url

        # The real scheduler: one message per repository, in its installation's lane.
        scheduled = _schedule()
        setup_s = time.monotonic() - started

        start, results = context.Event(), context.Queue()
        workers = [
            context.Process(target=worker_process, args=(i, environ, queue_url, start, results))
            for i in range(args.concurrency)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            assert results.get(timeout=120)[0] == "ready"
        fake.reset_calls()
        cycle_start = time.time()
        start.set()
        runs, done = [], 0
        while done < len(workers):
            item = results.get(timeout=300)
            if item[0] == "run":
                runs.append(item[1:])
            else:
                done += 1
        for worker in workers:
            worker.join(timeout=30)

        ok = [r for r in runs if not r[4]]
        cycle_end = max(r[3] for r in runs)
        makespan = cycle_end - cycle_start
        lanes: dict[str, float] = defaultdict(float)
        for _slug, lane, began, ended, _failed in runs:
            lanes[lane] += ended - began
        total_work = sum(lanes.values())
        ideal = max(max(lanes.values()), total_work / args.concurrency)
        calls = len(fake.calls)
        refused = sum(1 for c in fake.calls if c.status in (403, 429))  # primary or secondary limits
    moto_stop.set()
    moto.join(timeout=10)

    print(
        f"repositories {args.repos} in {args.installations} installations (lanes {min(sizes)}..{max(sizes)} repos)"
    )
    print(f"scheduled {scheduled}, ran {len(ok)} ok, {len(runs) - len(ok)} failed")
    print(f"worker concurrency {args.concurrency}, GitHub latency {args.latency_ms:g} ms per call")
    print(f"total work {total_work:.1f} s, busiest lane {max(lanes.values()):.1f} s")
    print(f"makespan {makespan:.1f} s, ideal {ideal:.1f} s")
    print(f"makespan ratio {makespan / ideal:.2f}")
    print(f"api calls per idle repo {calls / args.repos:.2f} ({calls} calls, installation tokens included)")
    print(f"rate-limit errors received {refused}")
    handler_s, cold_s, queued, timeout_s = scheduler
    print(
        f"scheduler at {args.scheduler_repos} repositories: {handler_s:.1f} s of its {timeout_s:.0f} s timeout "
        f"= {handler_s / timeout_s:.2f} (target <= 0.5), {queued} messages queued, cold start {cold_s:.1f} s"
    )
    print(f"setup {setup_s:.0f} s, wall {time.monotonic() - started:.0f} s")
    return 0 if len(ok) == args.repos else 1


def moto_process(url_queue, stop) -> None:
    """A moto server (one request at a time, like DynamoDB's atomic conditional writes)."""
    _quiet_and_fast_moto()
    from tests.support.moto_server import serialized_moto_server

    with serialized_moto_server() as url:
        url_queue.put(url)
        stop.wait()


def _scheduler_at_scale(
    context, moto_url: str, repos: int, installations: int
) -> tuple[float, float, int, float]:
    """(handler seconds, cold start seconds, messages queued, timeout) of the real scheduler
    queuing `repos` repositories, in a fresh process like a Lambda's first invocation."""
    from infra.scheduler import TIMEOUT

    with tempfile.TemporaryDirectory() as folder:
        results = context.Queue()
        process = context.Process(
            target=scheduler_process, args=(moto_url, Path(folder), repos, installations, results)
        )
        process.start()
        measured = results.get(timeout=600)
        process.join(timeout=30)
    return (*measured, float(TIMEOUT.to_seconds()))


def scheduler_process(moto_url: str, tmp: Path, repos: int, installations: int, results) -> None:
    import boto3
    import yaml

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": moto_url,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_SERVICE_NAME": "homeostat",
            "HOMEOSTAT_REPOS_FILE": str(tmp / "repos.yml"),
        }
    )
    sizes = lane_sizes(repos, installations)
    repositories = [
        {
            "slug": f"org{installation}/extension-{i}",
            "branch": "main",
            "max_prs_per_run": 1,
            "labels": ["homeostat-fix"],
            "path_filters": {"include": ["src/"]},
            "installation_id": installation,
        }
        for installation, size in enumerate(sizes, start=1)
        for i in range(size)
    ]
    (tmp / "repos.yml").write_text(yaml.safe_dump({"version": 1, "repositories": repositories}))
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(
        QueueName="scheduler-bench.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    os.environ["HOMEOSTAT_QUEUE_URL"] = queue_url
    from homeostat_core.local.runner import FakeLambdaContext  # noqa: F401  (the bench's, not timed)

    began = time.monotonic()
    import functions.scheduler.handler  # noqa: F401  (the cold start, measured apart)

    cold = time.monotonic() - began
    began = time.monotonic()
    scheduled = _schedule()
    handler_s = time.monotonic() - began
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    queued = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    assert scheduled == repos == queued, (scheduled, repos, queued)
    sqs.delete_queue(QueueUrl=queue_url)
    results.put((handler_s, cold, queued))


def _quiet_and_fast_moto() -> None:
    """moto's SQS recomputes every message's visibility through datetime arithmetic on each call
    (O(queue length) per send and receive); the same epoch milliseconds from time.time() keep its
    FIFO semantics and let 1,000 queued messages cost milliseconds, not the whole benchmark. And
    each message sent to a FIFO queue reads the queue's ContentBasedDeduplication through all of
    its attributes, message counts included (O(queue length) per message: 10,000 messages would
    take moto minutes, SQS milliseconds): that one attribute is read directly. And werkzeug writes
    a response's headers and body apart: without TCP_NODELAY each answer waits ~40 ms for the
    client's delayed ACK, a stall of the local server that SQS does not have."""
    import logging
    from collections.abc import Mapping

    import moto.sqs.models
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.disable_nagle_algorithm = True

    moto.sqs.models.unix_time_millis = lambda dt=None: time.time() * 1000  # type: ignore[assignment]
    every_attribute = moto.sqs.models.Queue.attributes.fget

    class Attributes(Mapping):
        def __init__(self, queue):
            self._queue, self._all = queue, None

        def get(self, key, default=None):
            if key == "ContentBasedDeduplication" and self._all is None:
                value = getattr(self._queue, "content_based_deduplication", None)
                return default if value is None else str(value).lower()
            return super().get(key, default)

        def _every(self):
            if self._all is None:
                self._all = every_attribute(self._queue)
            return self._all

        def __getitem__(self, key):
            return self._every()[key]

        def __iter__(self):
            return iter(self._every())

        def __len__(self):
            return len(self._every())

    moto.sqs.models.Queue.attributes = property(Attributes)  # type: ignore[assignment]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def _schedule() -> int:
    import uuid
    from datetime import UTC, datetime

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
    return handler(event, FakeLambdaContext("homeostat-scheduler", timeout_s=60))["scheduled"]


if __name__ == "__main__":
    raise SystemExit(main())
