"""Table layouts as infra builds them, and the run store."""

from __future__ import annotations

from datetime import timedelta

import boto3

from homeostat_core.adapters.dynamo import create_tables, make_models
from homeostat_core.models import RunRecord

from .conftest import NOW


def describe(settings, name):
    client = boto3.client("dynamodb", region_name=settings.region)
    return client.describe_table(TableName=name)["Table"], client.describe_time_to_live(TableName=name)[
        "TimeToLiveDescription"
    ]


def keys(table) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]


def test_create_tables_builds_the_fixed_layouts_and_is_idempotent(dynamo_settings):
    create_tables(dynamo_settings)  # second call: tables exist, nothing fails
    s = dynamo_settings
    attempts, _ = describe(s, s.attempts_table)
    assert keys(attempts) == [("repo", "HASH"), ("fingerprintId", "RANGE")]
    assert not attempts.get("GlobalSecondaryIndexes")

    patterns, _ = describe(s, s.patterns_table)
    assert keys(patterns) == [("patternId", "HASH")]
    indexes = {
        i["IndexName"]: (keys(i), i["Projection"]["ProjectionType"])
        for i in patterns["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "byFingerprint": ([("fingerprintId", "HASH")], "ALL"),
        "byTypeAndFile": ([("typeFile", "HASH")], "ALL"),
    }

    runs, runs_ttl = describe(s, s.runs_table)
    assert keys(runs) == [("pk", "HASH"), ("sk", "RANGE")]
    assert runs_ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}

    idem, idem_ttl = describe(s, s.idempotency_table)
    assert keys(idem) == [("id", "HASH")]
    assert idem_ttl["AttributeName"] == "expiration"


def test_items_use_the_documented_attribute_names(state, dynamo_settings):
    from homeostat_core.budget import reserve

    reserve(state.budgets, "acme/ext", 0.5, cap=1.0, now=NOW)
    state.runs.save(RunRecord(run_id="r1", repo="acme/ext", timestamp=NOW))
    client = boto3.client("dynamodb", region_name=dynamo_settings.region)
    items = client.scan(TableName=dynamo_settings.runs_table)["Items"]
    by_pk = {item["pk"]["S"]: item for item in items}
    budget = by_pk["budget#acme/ext"]
    assert budget["sk"] == {"S": "2025-03-01"}
    assert budget["spentUsd"] == {"N": "0.5"}
    assert int(budget["expiresAt"]["N"]) == int((NOW.replace(hour=0) + timedelta(days=8)).timestamp())
    run = by_pk["run#acme/ext"]
    assert run["sk"] == {"S": "2025-03-01T12:00:00.000000Z#r1"}
    assert int(run["expiresAt"]["N"]) == int((NOW + timedelta(days=90)).timestamp())


def test_run_records_round_trip_and_filter_by_repo_and_time(state):
    records = [
        RunRecord(run_id=f"r{i}", repo=repo, timestamp=NOW + timedelta(hours=6 * i), prs_created=i)
        for i, repo in enumerate(["acme/a", "acme/b", "acme/a", "acme/a"])
    ]
    records[0].outcomes.append({"fingerprint": "fp1", "result": "pr_created", "pr": 3})
    records[0].deferred_issues.extend([7, 8])
    for record in records:
        state.runs.save(record)
    assert state.runs.list("acme/a") == [records[0], records[2], records[3]]
    assert state.runs.list() == records
    assert state.runs.list("acme/a", since=NOW + timedelta(hours=1), until=NOW + timedelta(hours=12)) == [
        records[2]
    ]
    assert state.runs.list(until=NOW + timedelta(hours=6)) == records[:2]
    assert state.runs.list("acme/none") == []


def test_models_are_cached_per_settings(dynamo_settings):
    assert make_models(dynamo_settings) is make_models(dynamo_settings)
