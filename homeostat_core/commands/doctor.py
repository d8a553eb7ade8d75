"""`homeostat doctor`: what this environment would run with, and what is missing, without side effects."""

from __future__ import annotations

import argparse
import os
import shutil

from homeostat_core.adapters.github_auth import check_app_repositories
from homeostat_core.config import ConfigError, default_config_path, load_config
from homeostat_core.fixing.model_settings import ModelSettingsError, load_model_settings
from homeostat_core.settings import SettingsError, get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("doctor", help="check settings, config, model keys and local tools")
    parser.set_defaults(func=doctor_command)


def doctor_command(args: argparse.Namespace) -> int:

    problems = 0

    def line(ok: bool, text: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        print(f"{'ok ' if ok else 'ERR'} {text}")

    try:
        settings = get_settings()
        line(
            True,
            f"HOMEOSTAT_ENV={settings.env} (learning {'on' if settings.learning_enabled else 'logs only'})",
        )
    except SettingsError as exc:
        line(False, str(exc))
        return 1
    path = settings.repos_file or default_config_path()
    config = None
    try:
        config = load_config(path)
        line(True, f"{path}: {len(config.repositories)} repositories")
    except ConfigError as exc:
        for problem in exc.problems:
            line(False, problem)
    try:
        models = load_model_settings()
        for role, spec in (("cheap", models.cheap), ("strong", models.strong)):
            has_key = bool(os.environ.get(spec.api_key_env)) or bool(settings.llm_keys_secret)
            where = (
                f"secret {settings.llm_keys_secret}" if settings.llm_keys_secret else f"${spec.api_key_env}"
            )
            missing = "" if has_key else f": missing, set {spec.api_key_env} (or run the scripted demo)"
            line(has_key, f"{role} model {spec.model} at {spec.base_url} (key from {where}){missing}")
    except ModelSettingsError as exc:
        for problem in exc.problems:
            line(False, problem)
    if settings.forge == "github":
        has_token = bool(settings.github_token_secret or os.environ.get("GITHUB_TOKEN"))
        line(
            has_token,
            f"GitHub at {settings.github_api_url} (token from "
            f"{'secret ' + settings.github_token_secret if settings.github_token_secret else '$GITHUB_TOKEN'})",
        )
        app_repos = [r for r in config.repositories if r.installation_id is not None] if config else []
        if app_repos:
            for ok, text in check_app_repositories(settings, app_repos):
                line(ok, text)
    line(*_aws_credentials(settings))
    for tool, why in (("git", "local forge"), ("node", "CDK CLI (make synth)")):
        line(shutil.which(tool) is not None, f"{tool} on PATH ({why})")
    print("no problems found" if problems == 0 else f"{problems} problem(s)")
    return 0 if problems == 0 else 1


def _aws_credentials(settings) -> tuple[bool, str]:
    """Whether boto3 finds credentials (needed for the deployed tables, secrets and `make deploy`)."""
    if settings.endpoint_url:
        return True, f"AWS endpoint {settings.endpoint_url} (local mode)"
    import boto3

    session = boto3.Session()
    if session.get_credentials() is None:
        return False, (
            "AWS credentials: none found; needed to read the deployed tables and to deploy "
            "(set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; local commands take --state DIR)"
        )
    return True, f"AWS credentials found (region {session.region_name or settings.region})"
