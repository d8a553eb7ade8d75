"""A real moto server on 127.0.0.1 (port 0) that boto3/PynamoDB reach over HTTP, so threads make
truly concurrent requests; each test gets its own table names."""

from __future__ import annotations

import pytest

from homeostat_core.adapters.dynamo import DynamoState
from homeostat_core.settings import Settings
from tests.support.moto_server import fresh_tables, serialized_moto_server

__all__ = ["fresh_tables"]


@pytest.fixture(scope="module")
def moto_endpoint():
    with serialized_moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def server_settings(moto_endpoint) -> Settings:
    return fresh_tables(moto_endpoint)


@pytest.fixture
def server_state(server_settings) -> DynamoState:
    return DynamoState.from_settings(server_settings)
