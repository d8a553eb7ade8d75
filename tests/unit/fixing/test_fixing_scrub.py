"""scrub() over a seeded corpus of secrets, things it must leave alone, and the log filter."""

from __future__ import annotations

import io
import logging

import pytest
from aws_lambda_powertools import Logger

from homeostat_core.fixing.scrub import ScrubbingFilter, install_scrubbing, scrub
from tests.unit.fixing.secrets_corpus import GENERATORS, build_corpus

CORPUS = build_corpus()


def test_corpus_is_big_and_covers_every_kind():
    assert len(CORPUS) >= 200
    assert {kind for kind, _, _ in CORPUS} == set(GENERATORS)


@pytest.mark.parametrize(
    ("kind", "text", "secret"), CORPUS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CORPUS)]
)
def test_every_corpus_secret_is_redacted(kind, text, secret):
    cleaned = scrub(text)
    assert secret not in cleaned
    assert "[REDACTED:" in cleaned


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
        ("ghp_" + "a1B2" * 9, "github_token"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop", "jwt"),
        ("bob@example.org", "email"),
        ("10.0.0.12", "ipv4"),
        ("fe80::1ff:fe23:4567:890a", "ipv6"),
        ("sk_live_" + "a1B2" * 6, "stripe_key"),
        ("xoxb-123456789012-abcdefABCDEF", "slack_token"),
    ],
)
def test_redaction_names_the_kind(text, kind):
    assert scrub(f"x {text} y") == f"x [REDACTED:{kind}] y"


@pytest.mark.parametrize(
    "text",
    [
        "TypeError: Cannot read properties of undefined (reading 'length')",
        "at render (src/popup/components/SettingsPanelController.js:42:17)",
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop/popup.js:12:3",
        "const total = items.reduce((sum, item) => sum + item.count, 0);",
        "at 12:30:45 the handler ran; std::vector and a::b are not addresses",
        "const token = getToken();",
        "if (response.status === 401) { return null; }",
    ],
)
def test_ordinary_code_and_errors_are_left_alone(text):
    assert scrub(text) == text


def test_url_password_keeps_user_and_host():
    assert scrub("postgres://app:s3cretPass@db:5432/x") == "postgres://app:[REDACTED:url_password]@db:5432/x"


def _capturing_logger(name: str) -> tuple[Logger, io.StringIO]:
    stream = io.StringIO()
    logger = Logger(service=name, logger_handler=logging.StreamHandler(stream))
    install_scrubbing(logger)
    return logger, stream


def test_powertools_logger_output_carries_no_corpus_secret():
    # Given a Powertools logger with the scrubbing filter installed
    logger, stream = _capturing_logger("scrub-test")
    # When every corpus text is logged as a message, as %-args, as an extra field and in an exception
    for kind, text, _ in CORPUS:
        logger.info(text)
        logger.info("value %s", text)
        logger.info({"event": "structured", "detail": text})
        logger.info("extra", extra={"detail": text, "kind": kind})
    try:
        raise ValueError(CORPUS[0][1])
    except ValueError:
        logger.exception("failed")
    output = stream.getvalue()
    # Then no secret reaches the log output, and the log lines are still there
    assert output.count("[REDACTED:") >= 4 * len(CORPUS)
    leaked = [(kind, secret) for kind, _, secret in CORPUS if secret in output]
    assert leaked == []
    assert "ValueError" in output


def test_plain_logging_logger_and_idempotent_install():
    stream = io.StringIO()
    log = logging.getLogger("homeostat-scrub-plain")
    log.propagate = False
    log.addHandler(logging.StreamHandler(stream))
    first = install_scrubbing(log)
    second = install_scrubbing(log)
    assert first is second
    assert isinstance(first, ScrubbingFilter)
    log.warning("token %s", "ghp_" + "Z9" * 18)
    assert stream.getvalue().strip() == "token [REDACTED:github_token]"
