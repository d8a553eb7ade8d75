"""The source-maps bucket: versioned, lifecycle, TLS only, private, read-only for the worker."""

from __future__ import annotations

import json


def _bucket(dev_synth):
    [(logical_id, bucket)] = [
        (k, v)
        for k, v in dev_synth.of_type("AWS::S3::Bucket").items()
        if v["Properties"].get("VersioningConfiguration")
    ]
    return logical_id, bucket["Properties"]


def test_bucket_is_versioned_private_encrypted_and_expires_old_releases(dev_synth):
    logical_id, props = _bucket(dev_synth)
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] > 0
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0


def test_bucket_policy_denies_plain_http(dev_synth):
    logical_id, _props = _bucket(dev_synth)
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in dev_synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    [statements] = policies
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )


def test_only_the_worker_may_read_and_only_read(dev_synth):
    logical_id, _props = _bucket(dev_synth)
    [policy] = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in dev_synth.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    _worker_id, worker = dev_synth.function("worker")
    worker_role = worker["Properties"]["Role"]["Fn::GetAtt"][0]
    allowed = [s for s in policy if s["Effect"] == "Allow"]
    assert {s["Action"] for s in allowed} == {"s3:GetObject", "s3:ListBucket"}
    for statement in allowed:
        assert statement["Principal"] == {"AWS": {"Fn::GetAtt": [worker_role, "Arn"]}}
    # And no identity policy of any role names the bucket (no other reader, no writer)
    for role_policy in dev_synth.of_type("AWS::IAM::Policy").values():
        assert logical_id not in json.dumps(role_policy["Properties"]["PolicyDocument"])
    # And the worker is told the bucket's name
    env = worker["Properties"]["Environment"]["Variables"]
    assert env["HOMEOSTAT_SOURCEMAPS_BUCKET"] == {"Ref": logical_id}
