"""The scripted server and the OpenAI adapter, through the real openai client on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from homeostat_core.adapters.scripted_llm import ScriptedLlmServer, ScriptError
from homeostat_core.ports import LlmError
from tests.integration.fixing.conftest import FAKE_KEYS, client

MSG = [{"role": "user", "content": "hello fingerprint fp-123 world"}]


def ask(server, model="deepseek-chat", messages=MSG, **client_kwargs):
    return client(**client_kwargs).complete(
        base_url=server.base_url,
        api_key_name="DEEPSEEK_API_KEY",
        model=model,
        messages=messages,
        max_tokens=100,
    )


def test_rules_match_in_order_with_times_and_default(scripted):
    server = scripted(
        {
            "rules": [
                {
                    "name": "first",
                    "contains": "hello",
                    "times": 1,
                    "content": "one",
                    "usage": {"prompt_tokens": 11, "completion_tokens": 3, "cached_tokens": 5},
                },
                {"name": "by-fp", "fingerprint": "fp-123", "model": "gpt-5", "content": "strong"},
                {
                    "name": "other-model",
                    "model": "deepseek-chat",
                    "contains": ["hello", "world"],
                    "content": "two",
                },
            ],
            "default": {"content": "fallback"},
        }
    )
    first = ask(server)
    assert (first.content, first.model) == ("one", "scripted:deepseek-chat")
    assert (first.usage.prompt, first.usage.completion, first.usage.cached) == (11, 3, 5)
    assert ask(server).content == "two"
    assert ask(server, model="gpt-5").content == "strong"
    assert ask(server, messages=[{"role": "user", "content": "nothing"}]).content == "fallback"
    assert [r["rule"] for r in server.requests] == ["first", "other-model", "by-fp", "<script>: default"]
    assert server.models() == ["deepseek-chat", "deepseek-chat", "gpt-5", "deepseek-chat"]
    assert "fp-123" in server.prompts()[0]


def test_usage_defaults_to_an_estimate(scripted):
    server = scripted({"rules": [{"content": "abcdefgh"}]})
    response = ask(server)
    assert response.usage.completion == 2
    assert response.usage.prompt == 8  # ceil(len("hello fingerprint fp-123 world") / 4)


def test_no_rule_and_no_default_is_a_bad_request(scripted):
    server = scripted({"rules": [{"contains": "zzz", "content": "x"}]})
    with pytest.raises(LlmError) as caught:
        ask(server)
    assert caught.value.kind == "bad_request"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "bad_request"),
        (401, "auth"),
        (403, "auth"),
        (429, "rate_limit"),
        (500, "server"),
        (503, "server"),
    ],
)
def test_http_errors_map_to_llm_error_kinds(scripted, status, kind):
    server = scripted({"rules": [{"status": status, "error": "scripted failure"}]})
    with pytest.raises(LlmError) as caught:
        ask(server)
    assert caught.value.kind == kind
    assert FAKE_KEYS["DEEPSEEK_API_KEY"] not in str(caught.value)


def test_429_and_5xx_are_retried_by_the_client_but_400_and_401_are_not(scripted):
    server = scripted(
        {
            "rules": [
                {"contains": "retry-me", "status": 429, "times": 1},
                {"contains": "retry-me", "status": 502, "times": 1},
                {"contains": "retry-me", "content": "after retries"},
                {"contains": "no-retry", "status": 401, "times": 1},
                {"contains": "no-retry", "content": "would have succeeded"},
            ]
        }
    )
    assert (
        ask(server, messages=[{"role": "user", "content": "retry-me"}], max_retries=2).content
        == "after retries"
    )
    assert len(server.requests) == 3
    with pytest.raises(LlmError) as caught:
        ask(server, messages=[{"role": "user", "content": "no-retry"}], max_retries=2)
    assert caught.value.kind == "auth"
    assert len(server.requests) == 4


def test_delay_beyond_the_timeout_is_a_timeout(scripted):
    server = scripted({"rules": [{"delay_s": 1.5, "content": "too late"}]})
    started = time.monotonic()
    with pytest.raises(LlmError) as caught:
        ask(server, timeout_s=0.3)
    assert caught.value.kind == "timeout"
    assert time.monotonic() - started < 1.4


def test_malformed_body_is_a_server_error(scripted):
    server = scripted({"rules": [{"malformed": True}]})
    with pytest.raises(LlmError) as caught:
        ask(server)
    assert caught.value.kind == "server"


def test_missing_key_is_an_auth_error_without_a_request(scripted):
    server = scripted({"rules": [{"content": "x"}]})
    with pytest.raises(LlmError) as caught:
        ask(server, keys={})
    assert caught.value.kind == "auth"
    assert "DEEPSEEK_API_KEY" in str(caught.value)
    assert server.requests == []


def test_max_tokens_field_per_model(scripted):
    from homeostat_core.adapters.openai_llm import OpenAIChatModel
    from homeostat_core.fixing.model_settings import ModelSettings

    server = scripted({"rules": [{"content": "ok"}]})
    llm = OpenAIChatModel(
        FAKE_KEYS.get, timeout_s=2, max_retries=0, max_tokens_fields=ModelSettings().max_tokens_fields()
    )
    for model, key in (("gpt-5", "OPENAI_API_KEY"), ("deepseek-chat", "DEEPSEEK_API_KEY")):
        llm.complete(base_url=server.base_url, api_key_name=key, model=model, messages=MSG, max_tokens=77)
    strong, cheap = (r["body"] for r in server.requests)
    assert strong["max_completion_tokens"] == 77 and "max_tokens" not in strong
    assert cheap["max_tokens"] == 77 and "max_completion_tokens" not in cheap


def test_script_file_yaml_and_errors(tmp_path):
    script = tmp_path / "script.yml"
    script.write_text("rules:\n  - contains: hello\n    content: from yaml\n")
    with ScriptedLlmServer(script) as server:
        assert ask(server).content == "from yaml"
    bad = tmp_path / "bad.yml"
    bad.write_text("rules:\n  - contans: hello\n    content: x\n")
    with pytest.raises(ScriptError, match=r"rules\[0\]: unknown key\(s\) \['contans'\]"):
        ScriptedLlmServer(bad)
    with pytest.raises(ScriptError, match="needs content, status, malformed or delay_s"):
        ScriptedLlmServer({"rules": [{"contains": "x"}]})


def test_chat_completions_without_v1_prefix(scripted):
    import json
    import urllib.request

    server = scripted({"rules": [{"content": "plain"}]})
    root = server.base_url.removesuffix("/v1")
    request = urllib.request.Request(
        f"{root}/chat/completions",
        data=json.dumps({"model": "m", "messages": MSG}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=2) as response:
        body = json.loads(response.read())
    assert body["choices"][0]["message"]["content"] == "plain"
    assert body["model"] == "scripted:m"


def test_default_max_tokens_fields_come_from_model_settings(scripted):
    from homeostat_core.adapters.openai_llm import OpenAIChatModel

    server = scripted({"rules": [{"content": "ok"}]})
    llm = OpenAIChatModel(FAKE_KEYS.get, timeout_s=2, max_retries=0)
    llm.complete(
        base_url=server.base_url, api_key_name="OPENAI_API_KEY", model="gpt-5", messages=MSG, max_tokens=9
    )
    assert server.requests[0]["body"]["max_completion_tokens"] == 9
