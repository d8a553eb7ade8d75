"""State tests run against moto's in-process DynamoDB, tables made by the real create_tables."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from moto import mock_aws

from homeostat_core.adapters.dynamo import DynamoState, create_tables
from homeostat_core.settings import Settings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def dynamo_settings(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        settings = Settings(env="test")
        create_tables(settings)
        yield settings


@pytest.fixture
def state(dynamo_settings) -> DynamoState:
    return DynamoState.from_settings(dynamo_settings)
