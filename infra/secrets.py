"""Secrets Manager secrets, created with a generated placeholder; the real values are put by an operator.

Functions get the secret NAMES in their environment and read the values at run time.
"""

from __future__ import annotations

import json

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import nag
from infra.context import DeploymentSettings

LLM_KEY_NAMES = ("DEEPSEEK_API_KEY", "OPENAI_API_KEY")
ROTATION_REASON = (
    "Issued by or shared with a third party (GitHub token, GitHub webhook settings, model providers): "
    "a rotation Lambda cannot update the other side. The operator rotates with put-secret-value "
    "(docs/DEPLOY.md)."
)


class HomeostatSecrets(Construct):
    """`*_name` attributes are the literal secret names the functions receive in their environment."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings):
        super().__init__(scope, construct_id)
        self.github_token_name = settings.secret_name("github-token")
        self.webhook_secret_name = settings.secret_name("webhook-secret")
        self.llm_keys_name = settings.secret_name("llm-keys")
        self.github_token = self._secret(
            "GithubToken",
            self.github_token_name,
            "GitHub token (fine-grained PAT or installation token) Homeostat uses to read issues and open PRs",
            secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=40),
        )
        self.webhook_secret = self._secret(
            "WebhookSecret",
            self.webhook_secret_name,
            "Shared secret of the GitHub webhook (HMAC-SHA256 signature check); the generated value may be used as is",
            secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=48),
        )
        self.llm_keys = self._secret(
            "LlmKeys",
            self.llm_keys_name,
            "Model API keys as JSON: " + ", ".join(LLM_KEY_NAMES),
            secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(dict.fromkeys(LLM_KEY_NAMES, "")),
                generate_string_key="placeholder",
                exclude_punctuation=True,
            ),
        )

    def _secret(
        self, construct_id: str, name: str, description: str, generator: secretsmanager.SecretStringGenerator
    ) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            construct_id,
            secret_name=name,
            description=description,
            generate_secret_string=generator,
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(secret, "AwsSolutions-SMG4", ROTATION_REASON)
        return secret
