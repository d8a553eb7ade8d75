"""The source-maps bucket: extensions' release CI uploads maps (`homeostat sourcemaps upload`), the
worker reads them to symbolicate minified frames (docs/SOURCEMAPS.md).

Keys: `<owner>/<name>/<version>/<path inside the extension>[.map]`. Versioned (an overwritten
release can be recovered), old versions and releases expire, TLS only, no public access, and the
worker may only read objects: no list, no write, no bucket-level permission.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import nag
from infra.context import DeploymentSettings

ENV_VAR = "HOMEOSTAT_SOURCEMAPS_BUCKET"
# Reports keep arriving for old releases while users update; a year covers the long tail.
RELEASE_RETENTION = Duration.days(400)
NONCURRENT_RETENTION = Duration.days(30)


class SourceMaps(Construct):
    """The bucket, and read-only access to its objects for `reader` (the worker)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, reader: lambda_.Function
    ):
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            versioned=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-old-releases",
                    expiration=RELEASE_RETENTION,
                    noncurrent_version_expiration=NONCURRENT_RETENTION,
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
            # Maps can be re-uploaded by release CI, but not for releases whose build is gone.
            removal_policy=RemovalPolicy.RETAIN,
        )
        nag.acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "The bucket holds build artifacts (source maps) that release CI uploads and only the "
            "worker's role may read; a separate access-log bucket would hold more than the bucket.",
        )
        # Least privilege, in the bucket's own policy (same account, so no identity policy is
        # needed): the worker's role may read objects, and list this one bucket so that a missing
        # map is a 404 (a release without maps) rather than a 403 (reported as a problem). Nothing
        # else may read and nothing may write except the account's deployers (release CI).
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[reader.role],
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[reader.role], actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]
            )
        )
        reader.add_environment(ENV_VAR, self.bucket.bucket_name)
