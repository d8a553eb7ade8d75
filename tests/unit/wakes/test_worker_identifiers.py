"""#20.8: queue messages carry identifiers; the worker reads config from its own repos.yml."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from homeostat_core.jobs import InvalidMessage, parse_message
from homeostat_core.worker import run_message


class Untouchable:
    def __getattr__(self, name):
        raise AssertionError(f"a refused message reached the port ({name})")


def test_a_message_naming_an_unknown_repository_is_refused_counted_and_not_retried(monkeypatch, capsys):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    ports = SimpleNamespace(forge=Untouchable(), llm=Untouchable(), clock=Untouchable())
    body = {"kind": "repo_run", "runId": "forged", "repo": "evil/not-configured"}
    # When the worker gets it, Then it returns (the message is consumed, never redelivered)
    result = run_message(body, ports=ports, env="test", configured=lambda slug: None)
    assert result == {"kind": "repo_run", "repo": "evil/not-configured", "refused": "not in repos.yml"}
    # And the refusal is counted as a metric
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert any(m.get("UnknownRepoRefused") == [1.0] or m.get("UnknownRepoRefused") == 1.0 for m in emitted)


def test_config_carried_in_a_message_is_ignored():
    # An older message (or a forged one) with a config inside: only its slug is read
    body = {
        "kind": "repo_run",
        "runId": "r",
        "repo": {"slug": "acme/web", "path_filters": {"include": ["/"]}, "allowed_authors": []},
    }
    job = parse_message(body)
    assert job.slug == "acme/web" and not hasattr(job, "repo")


@pytest.mark.parametrize("repo", [None, 7, "", "not a slug", {"slug": "../x"}, "a/b/c"])
def test_a_message_without_a_valid_slug_is_invalid(repo):
    with pytest.raises(InvalidMessage, match="names no repository"):
        parse_message({"kind": "repo_run", "runId": "r", "repo": repo})


def test_a_repo_run_the_webhooks_role_sent_is_refused_counted_and_not_retried(monkeypatch, capsys):
    # the webhook's role may send to the work queue (learning and steering jobs), never a run
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    ports = SimpleNamespace(forge=Untouchable(), llm=Untouchable(), clock=Untouchable())
    body = {"kind": "repo_run", "runId": "forged", "repo": "acme/web"}
    configured = lambda slug: SimpleNamespace(slug=slug)  # noqa: E731 (a configured repository)

    result = run_message(body, ports=ports, env="test", configured=configured, from_webhook=True)

    assert result == {"kind": "repo_run", "repo": "acme/web", "refused": "sent by the webhook"}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert any(m.get("RepoRunFromWebhookRefused") in ([1.0], 1.0) for m in emitted)


@pytest.mark.parametrize(
    ("sender", "sent_by_webhook"),
    [
        ("AROAWEBHOOKROLE:homeostat-webhook", True),  # the webhook function's role session
        ("AROAWEBHOOKROLE", True),
        ("AROAWORKERROLE:homeostat-worker", False),  # a continuation or the scheduler
        ("AROAWEBHOOKROLEX:homeostat-webhook", False),  # a longer id is another role
        ("123456789012", False),  # an account's root or a user
        ("", False),
        (None, False),
    ],
)
def test_the_worker_reads_who_sent_a_message_from_sqs_senderid(sender, sent_by_webhook):
    from functions.worker.handler import sent_by

    message = {"messageId": "m", "body": "{}", "attributes": {"SenderId": sender}}
    assert sent_by(message, "AROAWEBHOOKROLE") is sent_by_webhook
    assert sent_by(message, None) is False  # not deployed with the webhook's id: no check
    assert sent_by({"messageId": "m", "body": "{}"}, "AROAWEBHOOKROLE") is False
