"""A dead model endpoint is reported within seconds, with what was tried (issue 15, item 3)."""

from __future__ import annotations

import socket
import time

import pytest

from homeostat_core.adapters import openai_llm
from homeostat_core.adapters.openai_llm import OpenAIChatModel
from homeostat_core.local.runner import endpoint_problem
from homeostat_core.ports import LlmError


@pytest.fixture
def dead_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connections are refused
    openai_llm._unreachable.clear()
    yield f"http://127.0.0.1:{port}/v1"
    openai_llm._unreachable.clear()


def call(model: OpenAIChatModel, url: str) -> LlmError:
    with pytest.raises(LlmError) as error:
        model.complete(
            base_url=url,
            api_key_name="KEY",
            model="m",
            messages=[{"role": "user", "content": "x"}],
            max_tokens=5,
        )
    return error.value


def test_a_refused_endpoint_is_tried_once_per_window_and_says_what_was_tried(dead_url):
    model = OpenAIChatModel(lambda name: "k", max_retries=1, max_tokens_fields={})
    started = time.monotonic()

    first = call(model, dead_url)
    later = [call(model, dead_url) for _ in range(10)]  # every tier and try of every fix of a run

    assert time.monotonic() - started < 10
    assert first.kind == "server"
    assert "cannot connect" in str(first) and "refused" in str(first).lower()
    assert "tried 2 time(s)" in str(first) and "connect timeout" in str(first)
    assert all("not called, endpoint unreachable" in str(e) and "refused" in str(e).lower() for e in later)


def test_the_window_ends_and_the_endpoint_is_tried_again(dead_url, monkeypatch):
    model = OpenAIChatModel(lambda name: "k", max_retries=0, max_tokens_fields={})
    call(model, dead_url)
    monkeypatch.setattr(openai_llm, "UNREACHABLE_FOR_S", 0.0)
    assert "not called" not in str(call(model, dead_url))


def test_local_mode_names_an_unreachable_endpoint_before_the_run(dead_url):
    problem = endpoint_problem(dead_url)
    assert problem is not None and "refused" in problem.lower() and "127.0.0.1" in problem
    assert endpoint_problem("ftp://x") == "not an http(s) URL: 'ftp://x'"
