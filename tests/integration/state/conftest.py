"""A real moto server on 127.0.0.1 (port 0) that boto3/PynamoDB reach over HTTP, so threads make
truly concurrent requests; each test gets its own table names."""

from __future__ import annotations

import threading
import uuid

import pytest
from moto.server import ThreadedMotoServer

from homeostat_core.adapters.dynamo import DynamoState, create_tables
from homeostat_core.settings import Settings


def one_request_at_a_time(app):
    """WSGI middleware handling one request at a time.

    DynamoDB applies a conditional write atomically; moto evaluates the condition and then
    writes in plain Python on its request thread, so two threads can both pass the check.
    Serializing requests restores DynamoDB's guarantee; clients still race (they read, decide
    and send concurrently), so what is tested is that our writes are conditional.
    """
    lock = threading.Lock()

    def serialized(environ, start_response):
        with lock:
            return list(app(environ, start_response))

    return serialized


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    server._server.app = one_request_at_a_time(server._server.app)
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def fresh_tables(endpoint: str) -> Settings:
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


@pytest.fixture
def server_settings(moto_endpoint) -> Settings:
    return fresh_tables(moto_endpoint)


@pytest.fixture
def server_state(server_settings) -> DynamoState:
    return DynamoState.from_settings(server_settings)
