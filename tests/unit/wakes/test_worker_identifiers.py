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
