"""What the alarms read is really produced: a webhook internal error fails the invocation (Lambda's
Errors metric), and a repo run that cannot list its issues emits RepoRunErrors (for the fleet)."""

from __future__ import annotations

import json

import pytest

from homeostat_core.local.runner import FakeLambdaContext, function_url_event
from homeostat_core.models import RunRecord
from homeostat_core.observability import emit_run_metrics, run_summary


def test_a_webhook_internal_error_fails_the_invocation_without_leaking_it(monkeypatch, capsys):
    import functions.webhook.handler as webhook

    # Given a webhook whose secret cannot be read (an internal error, not the caller's fault)
    def broken(_settings):
        raise RuntimeError("secrets manager unreachable at 10.0.0.1")

    monkeypatch.setattr(webhook, "webhook_secret", broken)
    monkeypatch.setattr(webhook, "job_queue", lambda _settings: None)
    event = function_url_event({"content-type": "application/json", "x-github-event": "ping"}, "{}")
    # When GitHub delivers, Then the invocation raises: Lambda counts an error (WebhookErrors alarm)
    # and the Function URL answers 502 with its own generic body
    with pytest.raises(RuntimeError, match="unreachable"):
        webhook.handler(event, FakeLambdaContext("homeostat-webhook"))
    # And a caller's mistake is still a 4xx answer, not an error
    monkeypatch.setattr(webhook, "webhook_secret", lambda _settings: "s3cret")
    answer = webhook.handler(event, FakeLambdaContext("homeostat-webhook"))
    assert answer["statusCode"] == 401


def _emf_blobs(text: str) -> list[dict]:
    blobs = []
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and "_aws" in data:
            blobs.append(data)
    return blobs


@pytest.mark.parametrize(
    ("error", "expected"), [("ForgeError: list issues: HTTP 401 Bad credentials", 1), (None, 0)]
)
def test_a_failed_run_emits_repo_run_errors_for_the_fleet_without_a_repo_dimension(capsys, error, expected):
    from datetime import UTC, datetime

    record = RunRecord(run_id="r1", repo="acme/web", timestamp=datetime.now(UTC))
    record.error = error
    assert run_summary(record)["RepoRunErrors"] == expected
    emit_run_metrics(record)
    # One EMF record, dimension {service} only: the metric count does not grow with the fleet
    (blob,) = _emf_blobs(capsys.readouterr().out)
    assert blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert blob["RepoRunErrors"] in (float(expected), [float(expected)])
    assert blob["service"] == "homeostat" and "Repo" not in blob and "acme/web" not in json.dumps(blob)
    assert "RepoRunErrors" in {m["Name"] for m in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
