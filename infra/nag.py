"""cdk-nag acknowledgements: each one names the finding and carries the reason (docs/DEPLOY.md lists them)."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk.aws_iam import CfnRole
from constructs import IConstruct

XRAY_REASON = (
    "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions "
    "(AWS requires Resource '*'); added by CDK for Tracing.ACTIVE."
)
RUNTIME_REASON = (
    "Python 3.12 is pinned on purpose: the dependency wheels are built for cp312/manylinux aarch64 "
    "and the code is tested against it; runtime upgrades are a deliberate change."
)


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError(f"acknowledgement of {rule_id} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id cdk-nag prints in IAM5 findings (`<LogicalId.Arn>`)."""
    stack = Stack.of(construct)
    return stack.resolve(stack.get_logical_id(construct.node.default_child))


def acknowledge_xray(role: CfnRole | IConstruct) -> None:
    acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
