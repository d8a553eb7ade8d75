"""A moto server for tests that need real HTTP between threads, and fresh tables on it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from homeostat_core.adapters.dynamo import create_tables
from homeostat_core.settings import Settings


def one_request_at_a_time(app):
    """WSGI middleware: moto checks a condition and writes in plain Python, so concurrent
    requests could both pass a check; DynamoDB applies conditional writes atomically."""
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return serialized


@contextmanager
def serialized_moto_server() -> Iterator[str]:
    """A ThreadedMotoServer on 127.0.0.1 (free port) with DynamoDB's per-request atomicity; yields its URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    server._server.app = one_request_at_a_time(server._server.app)
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def fresh_tables(endpoint: str) -> Settings:
    """Settings naming a new set of tables on `endpoint`, created."""
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(
        env="test",
        endpoint_url=endpoint,
        attempts_table=f"attempts-{suffix}",
        patterns_table=f"patterns-{suffix}",
        runs_table=f"runs-{suffix}",
        idempotency_table=f"idempotency-{suffix}",
    )
    create_tables(settings)
    return settings
