"""One Python Lambda function with its own role, log group and the settings all functions share."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra import nag
from infra.context import METRICS_NAMESPACE, SERVICE_NAME, DeploymentSettings

# Python 3.12 on ARM_64 (Graviton): cheaper per GB-second than x86_64, and every dependency
# (tree-sitter, pydantic-core, cryptography) ships manylinux aarch64 wheels for cp312.
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH


def common_environment(settings: DeploymentSettings) -> dict[str, str]:
    log_level = "DEBUG" if settings.env == "dev" else "INFO"
    return {
        "HOMEOSTAT_ENV": settings.env,
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": log_level,
        "LOG_LEVEL": log_level,
    }


class PythonFunction(Construct):
    """A function whose role starts empty: callers add exactly the grants it needs.

    No AWS managed policy (AWSLambdaBasicExecutionRole grants logs:CreateLogGroup on '*'); the
    role may write only to this function's own log group.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        code: lambda_.Code,
        handler: str,
        description: str,
        timeout: Duration,
        memory_size: int,
        environment: Mapping[str, str],
        reserved_concurrency: int | None = None,
    ):
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self, "Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Homeostat {construct_id} ({settings.env})",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=code,
            handler=handler,
            description=description,
            timeout=timeout,
            memory_size=memory_size,
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment={**common_environment(settings), **environment},
            reserved_concurrent_executions=reserved_concurrency,
        )
        nag.acknowledge_xray(self.role)
        nag.acknowledge(self.function, "AwsSolutions-L1", nag.RUNTIME_REASON)
