"""`homeostat doctor` and the startup check of HOMEOSTAT_ENV."""

from __future__ import annotations

import pytest

from homeostat_core.cli import main
from homeostat_core.settings import SettingsError, get_settings, parse_settings


def test_doctor_is_clean_when_keys_and_token_are_set(monkeypatch, capsys):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("DEEPSEEK_API_KEY", "x")
    monkeypatch.setenv("OPENAI_API_KEY", "x")
    monkeypatch.setenv("GITHUB_TOKEN", "x")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "no problems found" in out and "3 repositories" in out
    assert "x" not in out.replace("deepseek", "").split("ok ")[0]  # values are never printed


def test_doctor_names_each_missing_key(monkeypatch, capsys):
    for name in ("DEEPSEEK_API_KEY", "OPENAI_API_KEY", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "$DEEPSEEK_API_KEY" in out and "$OPENAI_API_KEY" in out and "$GITHUB_TOKEN" in out
    assert "missing, set DEEPSEEK_API_KEY" in out and "missing, set OPENAI_API_KEY" in out


def test_doctor_says_when_no_aws_credentials_are_found(monkeypatch, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    get_settings.cache_clear()
    assert main(["doctor"]) == 1
    assert "ERR AWS credentials: none found" in capsys.readouterr().out


def test_doctor_reports_a_bad_homeostat_env_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("HOMEOSTAT_ENV", "bogus")
    get_settings.cache_clear()
    try:
        assert main(["doctor"]) == 1
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "ERR HOMEOSTAT_ENV='bogus' is not allowed" in out


@pytest.mark.parametrize("value", ["staging", "prod", "PRODUCTION"])
def test_unknown_homeostat_env_is_a_startup_error_naming_the_variable(value):
    with pytest.raises(SettingsError) as error:
        parse_settings({"HOMEOSTAT_ENV": value})
    assert "HOMEOSTAT_ENV" in str(error.value) and "dev, test, production" in str(error.value)


def test_default_environment_is_dev():
    assert parse_settings({}).env == "dev"
    assert parse_settings({}).learning_enabled is False
    assert parse_settings({"HOMEOSTAT_ENV": "production"}).learning_enabled is True


def test_handlers_fail_at_import_on_a_bad_environment(monkeypatch):
    import importlib

    import functions.scheduler.handler as scheduler

    monkeypatch.setenv("HOMEOSTAT_ENV", "staging")
    get_settings.cache_clear()
    with pytest.raises(SettingsError):
        importlib.reload(scheduler)
    monkeypatch.setenv("HOMEOSTAT_ENV", "test")
    get_settings.cache_clear()
    importlib.reload(scheduler)
