"""Fixtures for the reliability proofs: one moto server per module, fresh tables per test."""

from __future__ import annotations

import pytest

from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from tests.reliability.harness import EXAMPLES, no_delayed_ack_stalls
from tests.support.moto_server import fresh_tables, serialized_moto_server


@pytest.fixture(scope="module")
def moto_endpoint():
    with serialized_moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def settings(moto_endpoint):
    return fresh_tables(moto_endpoint)


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
