"""Fixtures for the reliability proofs: one moto server per module, fresh tables per test."""

from __future__ import annotations

import pytest
from moto.server import ThreadedMotoServer

from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from tests.reliability.harness import EXAMPLES, fresh_settings, no_delayed_ack_stalls, one_request_at_a_time


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    server._server.app = one_request_at_a_time(server._server.app)
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def settings(moto_endpoint):
    return fresh_settings(moto_endpoint)


@pytest.fixture
def example_llm():
    """The demo's scripted model (examples/llm-script.yaml)."""
    with ScriptedLlmServer(EXAMPLES / "llm-script.yaml") as server:
        no_delayed_ack_stalls(server._httpd)
        yield server


@pytest.fixture(autouse=True)
def captured_log():
    """Every Powertools log line of the test, in memory (and off the terminal)."""
    import io

    from homeostat_core.observability import logger

    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield buffer
    logger.registered_handler.setStream(previous)
