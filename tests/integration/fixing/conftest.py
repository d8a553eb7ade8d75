"""Fixtures: a scripted model server on 127.0.0.1 and the real openai client pointed at it."""

from __future__ import annotations

import pytest

from homeostat_core.adapters.openai_llm import OpenAIChatModel
from homeostat_core.adapters.scripted_llm import ScriptedLlmServer
from homeostat_core.fixing.model_settings import load_model_settings

FAKE_KEYS = {
    "DEEPSEEK_API_KEY": "sk-deepseek-test-key-0000000000000000",
    "OPENAI_API_KEY": "sk-openai-test-key-000000000000000000",
}


@pytest.fixture
def scripted():
    """Start a server for a script dict: `server = scripted({...})`; stopped after the test."""
    servers: list[ScriptedLlmServer] = []

    def start(script: dict) -> ScriptedLlmServer:
        server = ScriptedLlmServer(script)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def settings_for(server: ScriptedLlmServer, **changes):
    from dataclasses import replace

    settings = load_model_settings(environ={"HOMEOSTAT_LLM_BASE_URL": server.base_url})
    return replace(settings, **changes)


def client(timeout_s: float = 2.0, max_retries: int = 0, keys: dict | None = None) -> OpenAIChatModel:
    keys = FAKE_KEYS if keys is None else keys
    return OpenAIChatModel(keys.get, timeout_s=timeout_s, max_retries=max_retries)
