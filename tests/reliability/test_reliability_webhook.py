"""1,000 hostile or broken requests through the real webhook handler (Function URL events, moto).

Every one is refused with a 4xx and a short JSON reason (never a 5xx, never a stack trace) and
writes nothing: the queue stays empty and the idempotency table holds no record. A valid delivery
replayed ten times has one effect: one queue message.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import random
import uuid

import boto3
import pytest

from homeostat_core.local.runner import FakeLambdaContext, LocalStack, function_url_event
from homeostat_core.webhook import sign
from tests.reliability.harness import figure

REQUESTS = 1000


@pytest.fixture
def stack(tmp_path):
    with LocalStack(tmp_path / "state", env="test", echo=lambda _: None) as running:
        yield running


@pytest.fixture
def merge_payload(shared_data) -> dict:
    payload = json.loads(
        (shared_data / "webhooks" / "create-issue-branch.pull_request.closed.json").read_text()
    )
    payload["pull_request"]["head"]["ref"] = "homeostat/fix-0123456789ab"
    payload["pull_request"]["merged"] = True
    return payload


def _queue_depth(stack) -> int:
    attrs = boto3.client("sqs").get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["All"])[
        "Attributes"
    ]
    return sum(
        int(attrs[k])
        for k in (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
    )


def _idempotency_records() -> int:
    from homeostat_core.settings import get_settings

    return boto3.client("dynamodb").scan(TableName=get_settings().idempotency_table, Select="COUNT")["Count"]


def _headers(secret: str, body: bytes, event: str = "pull_request", **extra: str) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/reliability",
        "x-github-event": event,
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": sign(secret, body),
    }
    headers.update(extra)
    return headers


def _drop_path(payload: dict, rng: random.Random) -> dict:
    """The merge payload with one field Homeostat needs removed or given a wrong type."""
    broken = copy.deepcopy(payload)
    target, key = rng.choice(
        [
            (broken, "pull_request"),
            (broken, "repository"),
            (broken["pull_request"], "head"),
            (broken["pull_request"], "number"),
            (broken["pull_request"]["head"], "ref"),
            (broken["repository"], "full_name"),
        ]
    )
    if rng.random() < 0.5:
        del target[key]
    else:
        wrong = [None, 42, [], {"x": 1}, True]
        if key != "ref":  # any string ref is just some other PR's branch: legitimately ignored
            wrong += ["", "not a number"]
        target[key] = rng.choice(wrong)
    return broken


def _check_payload(rng: random.Random) -> tuple[str, dict]:
    event = rng.choice(["check_suite", "check_run"])
    # (a check_suite whose head_branch is null is legitimately ignored: GitHub documents it)
    wrong = [
        None,
        "text",
        7,
        [],
        {"head_branch": 5},
        {"head_branch": "homeostat/fix-1", "pull_requests": "x"},
    ]
    if event == "check_run":
        wrong += [{"check_suite": "x"}, {"conclusion": "failure"}]
    body = rng.choice(wrong)
    return event, {"action": "completed", event: body, "repository": {"full_name": "acme/widget"}}


def _request(kind: str, i: int, rng: random.Random, secret: str, valid: bytes, payload: dict):
    """(event, expected statuses) for request `i` of category `kind`."""
    method, is_b64 = "POST", False
    body = valid
    headers = _headers(secret, body)
    if kind == "no_signature":
        headers.pop("x-hub-signature-256")
    elif kind == "wrong_secret":
        headers["x-hub-signature-256"] = sign(f"not-the-secret-{i}", body)
    elif kind == "signature_over_other_body":
        headers["x-hub-signature-256"] = sign(secret, body + b" ")
    elif kind == "wrong_algorithm_prefix":
        digest = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
        good = sign(secret, body).removeprefix("sha256=")
        headers["x-hub-signature-256"] = rng.choice(
            [f"sha1={digest}", f"SHA256={good}", f"sha512={good}", f"sha256 ={good}", good, f"sha256=={good}"]
        )
    elif kind == "non_ascii_signature":
        headers["x-hub-signature-256"] = "sha256=" + "é" * 64
    elif kind == "truncated_json":
        body = valid[: rng.randint(1, len(valid) - 1)]
        headers = _headers(secret, body)
    elif kind == "huge_body":
        body = b'{"padding": "' + b"x" * (5 * 1024 * 1024 + i) + b'"}'
        headers = _headers(secret, body)
    elif kind == "wrong_content_type":
        headers["content-type"] = rng.choice(
            ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data", "", "application/xml"]
        )
    elif kind == "unknown_event":
        event = rng.choice(
            ["mystery", "Pull_Request", "pull request", "x" * 300, "../../etc", "PULL_REQUEST", "🙂"]
        )
        headers = _headers(secret, body, event=event)
    elif kind == "missing_headers":
        headers.pop(rng.choice(["x-github-event", "x-github-delivery"]))
    elif kind == "missing_fields":
        event, broken = (
            ("pull_request", _drop_path(payload, rng)) if rng.random() < 0.6 else _check_payload(rng)
        )
        body = json.dumps(broken).encode()
        headers = _headers(secret, body, event=event)
    elif kind == "not_an_object":
        body = json.dumps(rng.choice([[], [payload], "text", 42, None])).encode()
        headers = _headers(secret, body)
    elif kind == "binary_body":
        body = rng.randbytes(200) + b"\xff\xfe"
        headers = _headers(secret, body, **{"content-type": "application/octet-stream"})
        is_b64 = True
    elif kind == "non_post":
        method = rng.choice(["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
    else:  # pragma: no cover - the category list is fixed below
        raise AssertionError(kind)
    text = base64.b64encode(body).decode() if is_b64 else body.decode("utf-8", errors="strict")
    return function_url_event(headers, text, method=method, base64=is_b64)


CATEGORIES = [
    "no_signature",
    "wrong_secret",
    "signature_over_other_body",
    "wrong_algorithm_prefix",
    "non_ascii_signature",
    "truncated_json",
    "huge_body",
    "wrong_content_type",
    "unknown_event",
    "missing_headers",
    "missing_fields",
    "not_an_object",
    "binary_body",
    "non_post",
]


def test_a_thousand_bad_requests_are_refused_and_write_nothing(stack, merge_payload):
    from functions.webhook.handler import handler

    rng = random.Random(20261122)
    secret = stack._webhook_secret()
    valid = json.dumps(merge_payload).encode()
    failures: list[tuple[str, int, str]] = []
    per_category: dict[str, int] = {}

    # Given 1,000 requests over the categories above, when each reaches the handler
    for i in range(REQUESTS):
        kind = CATEGORIES[i % len(CATEGORIES)]
        event = _request(kind, i, rng, secret, valid, merge_payload)
        response = handler(event, FakeLambdaContext("homeostat-webhook", timeout_s=10))
        status, text = response["statusCode"], response.get("body") or ""
        per_category[kind] = per_category.get(kind, 0) + 1
        # Then each is a 4xx with a short JSON reason and no stack trace
        ok = 400 <= status < 500 and "Traceback" not in text and 'File "' not in text
        if ok and text:
            ok = isinstance(json.loads(text), dict)
        if not ok:
            failures.append((kind, status, text[:200]))

    # ... and nothing was queued or recorded for idempotency
    depth, records = _queue_depth(stack), _idempotency_records()
    figure(
        "webhook_bad_requests",
        cases=REQUESTS,
        failures=len(failures) + depth + records,
        categories=len(per_category),
        queued=depth,
        idempotency_records=records,
    )
    assert failures == [], failures[:10]
    assert depth == 0
    assert records == 0


def test_a_valid_delivery_replayed_ten_times_has_one_effect(stack, merge_payload):
    from functions.webhook.handler import handler

    secret = stack._webhook_secret()
    body = json.dumps(merge_payload).encode()
    headers = _headers(secret, body)
    statuses = [
        handler(function_url_event(headers, body.decode()), FakeLambdaContext("homeostat-webhook"))[
            "statusCode"
        ]
        for _ in range(10)
    ]
    depth, records = _queue_depth(stack), _idempotency_records()
    figure("webhook_replay", cases=10, failures=int(depth != 1) + int(records != 1), queued=depth)
    assert statuses == [202] * 10
    assert depth == 1
    assert records == 1


def test_an_oversized_body_is_refused_before_it_is_decoded_or_parsed(stack, monkeypatch):
    import functions.webhook.handler as webhook

    def never(_event):
        raise AssertionError("an oversized body was decoded")

    monkeypatch.setattr(webhook, "_raw_body", never)
    encoded = base64.b64encode(b"x" * (5 * 1024 * 1024 + 3)).decode()
    headers = {"content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d"}
    response = webhook.handler(
        function_url_event(headers, encoded, base64=True),
        FakeLambdaContext("homeostat-webhook", timeout_s=10),
    )
    assert response["statusCode"] == 413 and _queue_depth(stack) == 0
