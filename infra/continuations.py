"""Continuations: a repo run that stops early (deadline near, rate limit low) continues soon after.

The worker creates an EventBridge Scheduler one-time schedule (`at(...)`) in this group, targeting
the FIFO work queue with the repo's own lane as message group, so the continuation waits behind
nothing but its own lane and never runs beside another run of the same repo. SQS FIFO queues take
no per-message delay, hence the scheduler. Schedules delete themselves after they fire.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import nag


class Continuations(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, queue: sqs.IQueue):
        super().__init__(scope, construct_id)
        # No fixed name: CloudFormation generates one (no collision after a failed deploy or destroy).
        self.group = scheduler.CfnScheduleGroup(self, "Group")
        # The role EventBridge Scheduler assumes to deliver a continuation: send to the queue only.
        self.delivery_role = iam.Role(
            self,
            "DeliveryRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="Homeostat continuations: EventBridge Scheduler sends to the work queue",
        )
        queue.grant_send_messages(self.delivery_role)
        self.group_name = self.group.ref

    def grant_schedule(self, grantee: iam.IGrantable) -> None:
        """Create one-time schedules in this group (and hand them the delivery role)."""
        stack = Stack.of(self)
        schedules = stack.format_arn(
            service="scheduler", resource="schedule", resource_name=f"{self.group_name}/*"
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["scheduler:CreateSchedule"], resources=[schedules])
        )
        self.delivery_role.grant_pass_role(grantee.grant_principal)
        nag.acknowledge(
            grantee.grant_principal,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
            f"schedule/<{stack.resolve(stack.get_logical_id(self.group))}>/*]",
            "Continuations are one-time schedules named per run, created at run time; the wildcard is "
            "scoped to Homeostat's own schedule group.",
        )
