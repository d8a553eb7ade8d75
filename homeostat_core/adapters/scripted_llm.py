"""A scripted OpenAI-compatible chat server on 127.0.0.1, for keyless demos and tests.

It answers POST /v1/chat/completions (and /chat/completions) from a script of ordered rules
(YAML or JSON; format in docs/FIX-ENGINE.md), records every request body, and names itself in
every answer: the response's `model` is `scripted:<requested model>`.

    with ScriptedLlmServer("examples/llm-script.yml") as server:
        base_url = server.base_url          # e.g. http://127.0.0.1:53817/v1
        ...
        server.requests                     # [{"path": ..., "body": {...}, "rule": ...}, ...]

Run standalone: `python -m homeostat_core.adapters.scripted_llm SCRIPT [--port N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

SCRIPTED_PREFIX = "scripted:"
_MATCH_KEYS = {"contains", "fingerprint", "model"}
_RESPONSE_KEYS = {"content", "usage", "status", "error", "delay_s", "malformed", "retry_after_ms"}
_RULE_KEYS = _MATCH_KEYS | _RESPONSE_KEYS | {"name", "times"}
_USAGE_KEYS = {"prompt_tokens", "completion_tokens", "cached_tokens"}


class ScriptError(Exception):
    """A script that cannot be used; the message names the source, the key and the reason."""


@dataclass(slots=True)
class Rule:
    name: str
    contains: tuple[str, ...] = ()
    fingerprint: str | None = None
    model: str | None = None
    times: int | None = None
    content: str | None = None
    usage: dict[str, int] | None = None
    status: int | None = None
    error: str | None = None
    delay_s: float = 0.0
    malformed: bool = False
    retry_after_ms: int = 10
    used: int = 0

    def matches(self, model: str, prompt: str) -> bool:
        if self.times is not None and self.used >= self.times:
            return False
        if self.model is not None and self.model != model:
            return False
        if self.fingerprint is not None and self.fingerprint not in prompt:
            return False
        return all(needle in prompt for needle in self.contains)


def _rule(raw: Any, where: str, *, is_default: bool = False) -> Rule:
    if not isinstance(raw, dict):
        raise ScriptError(f"{where}: must be a mapping, got {type(raw).__name__}")
    allowed = _RESPONSE_KEYS | ({"name"} if is_default else _RULE_KEYS)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ScriptError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    contains = raw.get("contains", ())
    if isinstance(contains, str):
        contains = (contains,)
    if not isinstance(contains, list | tuple) or not all(isinstance(c, str) and c for c in contains):
        raise ScriptError(f"{where}.contains: must be a non-empty string or a list of them")
    for key in ("fingerprint", "model", "content", "error", "name"):
        if key in raw and not isinstance(raw[key], str):
            raise ScriptError(f"{where}.{key}: must be a string")
    times = raw.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise ScriptError(f"{where}.times: must be a positive integer")
    status = raw.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ScriptError(f"{where}.status: must be an HTTP status code")
    delay = raw.get("delay_s", 0)
    if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
        raise ScriptError(f"{where}.delay_s: must be a number of seconds >= 0")
    usage = raw.get("usage")
    if usage is not None:
        if not isinstance(usage, dict) or set(usage) - _USAGE_KEYS:
            raise ScriptError(f"{where}.usage: must be a mapping with keys among {sorted(_USAGE_KEYS)}")
        if not all(isinstance(v, int) and v >= 0 for v in usage.values()):
            raise ScriptError(f"{where}.usage: values must be integers >= 0")
    if not any(k in raw for k in ("content", "status", "malformed")) and not delay:
        raise ScriptError(f"{where}: needs content, status, malformed or delay_s")
    return Rule(
        name=raw.get("name", where),
        contains=tuple(contains),
        fingerprint=raw.get("fingerprint"),
        model=raw.get("model"),
        times=times,
        content=raw.get("content"),
        usage=usage,
        status=status,
        error=raw.get("error"),
        delay_s=float(delay),
        malformed=bool(raw.get("malformed", False)),
        retry_after_ms=int(raw.get("retry_after_ms", 10)),
    )


def load_script(script: str | Path | dict[str, Any]) -> tuple[list[Rule], Rule | None]:
    """Rules and the default rule from a YAML/JSON file path or an already-loaded mapping."""
    source = "<script>"
    if not isinstance(script, dict):
        source = str(script)
        try:
            data = yaml.safe_load(Path(script).read_text(encoding="utf-8"))  # JSON is YAML too
        except FileNotFoundError:
            raise ScriptError(f"{source}: not found") from None
        except yaml.YAMLError as exc:
            raise ScriptError(f"{source}: invalid YAML/JSON: {exc}") from None
    else:
        data = script
    if not isinstance(data, dict) or set(data) - {"rules", "default"}:
        raise ScriptError(f"{source}: must be a mapping with 'rules' (list) and optional 'default'")
    raw_rules = data.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ScriptError(f"{source}: rules: must be a list")
    rules = [_rule(r, f"{source}: rules[{i}]") for i, r in enumerate(raw_rules)]
    default = _rule(data["default"], f"{source}: default", is_default=True) if "default" in data else None
    return rules, default


def _prompt_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):  # content parts
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return "\n".join(parts)


class ScriptedLlmServer:
    """See the module docstring. Thread-safe; `requests` is a list of recorded request dicts."""

    def __init__(self, script: str | Path | dict[str, Any], host: str = "127.0.0.1", port: int = 0):
        self.rules, self.default = load_script(script)
        self.requests: list[dict[str, Any]] = []
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> str:
        if self._httpd is None:
            self._httpd = ThreadingHTTPServer((self._host, self._port), self._handler_class())
            self._httpd.daemon_threads = True
            self._httpd.block_on_close = False
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="scripted-llm",
                daemon=True,
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedLlmServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answering ---

    def prompts(self) -> list[str]:
        """Every recorded request's message text (for leak assertions)."""
        with self._lock:
            return [_prompt_text(r["body"]) for r in self.requests if isinstance(r.get("body"), dict)]

    def models(self) -> list[str]:
        with self._lock:
            return [r["body"].get("model", "") for r in self.requests if isinstance(r.get("body"), dict)]

    def _choose(self, body: dict[str, Any]) -> Rule | None:
        model, prompt = str(body.get("model", "")), _prompt_text(body)
        with self._lock:
            for rule in self.rules:
                if rule.matches(model, prompt):
                    rule.used += 1
                    return rule
            return self.default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Status, headers and body go out in small writes: without TCP_NODELAY each response
            # waits ~40 ms for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and demos read stdout
                return

            def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                # the client may have given up (timeout) before the answer is written
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
                body = {"error": {"message": message, "type": "scripted_error", "code": status}}
                self._send(status, json.dumps(body).encode(), headers)

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                    self._error(404, f"scripted server: no route {self.path}")
                    return
                try:
                    body = json.loads(raw)
                except ValueError:
                    self._error(400, "scripted server: request body is not JSON")
                    return
                rule = server._choose(body) if isinstance(body, dict) else None
                with server._lock:
                    server.requests.append(
                        {"path": self.path, "body": body, "rule": rule.name if rule else None}
                    )
                if rule is None:
                    self._error(400, "scripted server: no rule matched and the script has no default")
                    return
                if rule.delay_s:
                    time.sleep(rule.delay_s)
                if rule.status is not None and rule.status >= 400:
                    self._error(
                        rule.status,
                        rule.error or f"scripted error {rule.status}",
                        {"retry-after-ms": str(rule.retry_after_ms)},
                    )
                    return
                if rule.malformed:
                    self._send(200, b'{"id": "scripted", "choices": [ {"message": ')
                    return
                self._send(200, json.dumps(_completion(body, rule)).encode())

        return Handler


def _completion(body: dict[str, Any], rule: Rule) -> dict[str, Any]:
    model = str(body.get("model", ""))
    content = rule.content or ""
    usage = dict(rule.usage or {})
    prompt_tokens = usage.get("prompt_tokens", math.ceil(len(_prompt_text(body)) / 4))
    completion_tokens = usage.get("completion_tokens", math.ceil(len(content) / 4))
    return {
        "id": f"chatcmpl-scripted-{int(time.time() * 1000)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": f"{SCRIPTED_PREFIX}{model}",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": usage.get("cached_tokens", 0)},
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a scripted OpenAI-compatible model on 127.0.0.1")
    parser.add_argument("script", help="YAML or JSON script (docs/FIX-ENGINE.md)")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    with ScriptedLlmServer(args.script, port=args.port) as server:
        print(f"scripted model server at {server.base_url} (HOMEOSTAT_LLM_BASE_URL)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()


__all__ = ["SCRIPTED_PREFIX", "Rule", "ScriptError", "ScriptedLlmServer", "load_script", "main"]
