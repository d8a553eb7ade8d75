"""The four DynamoDB tables. Key layout is fixed: homeostat_core/adapters/dynamo.py uses the same."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.context import DeploymentSettings

S = dynamodb.AttributeType.STRING


def _key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=S)


class StateTables(Construct):
    """On-demand, point-in-time recovery, AWS-managed encryption, no fixed names.

    Retention (CloudFormation RetainExceptOnCreate): kept on stack deletion or replacement, so
    `cdk destroy` loses no history; deleted when a first deploy rolls back, so a failed first deploy
    leaves nothing behind. Names are generated, so a redeploy after `cdk destroy` creates new tables
    beside the retained ones instead of failing (docs/DEPLOY.md: how to keep using the old ones).
    """

    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings):
        super().__init__(scope, construct_id)
        self._production = settings.env == "production"
        self.attempts = self._table("Attempts", partition="repo", sort="fingerprintId")
        self.patterns = self._table("Patterns", partition="patternId")
        self.patterns.add_global_secondary_index(
            index_name="byFingerprint",
            partition_key=_key("fingerprintId"),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.patterns.add_global_secondary_index(
            index_name="byTypeAndFile",
            partition_key=_key("typeFile"),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.runs = self._table("Runs", partition="pk", sort="sk", ttl="expiresAt")
        # Powertools idempotency layout: `id` key, `expiration` TTL.
        self.idempotency = self._table("Idempotency", partition="id", ttl="expiration")

    def _table(self, construct_id: str, *, partition: str, sort: str | None = None, ttl: str | None = None):
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=_key(partition),
            sort_key=_key(sort) if sort else None,
            time_to_live_attribute=ttl,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
            deletion_protection=self._production,
        )

    @property
    def all(self) -> tuple[dynamodb.Table, ...]:
        return (self.attempts, self.patterns, self.runs, self.idempotency)
