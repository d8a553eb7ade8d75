"""Least privilege, secrets by name only, cdk-nag clean with reasoned acknowledgements, cfn-lint clean."""

from __future__ import annotations

import json
import re

import cfnlint.api
import pytest
from aws_cdk import Validations
from aws_cdk import aws_sqs as sqs

from infra.app import SKIP_BUNDLING, build_app
from infra.context import REPO_ROOT

from .conftest import cdk_json_context

pytestmark = pytest.mark.xdist_group("infra")

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements(synth, function: str) -> list[dict]:
    _, resource = synth.function(function)
    role_id = resource["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = []
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _actions(statement: dict) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _resources(statement: dict) -> list:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def _refs(values) -> set[str]:
    """Logical ids referenced anywhere inside a template fragment."""
    text = json.dumps(values)
    return set(re.findall(r'"Ref": "([A-Za-z0-9]+)"', text)) | set(
        re.findall(r'"Fn::GetAtt": \["([A-Za-z0-9]+)"', text)
    )


def test_cdk_nag_reports_no_unacknowledged_findings(dev_synth):
    # Given the app with the AwsSolutions pack registered as a validation plugin
    # Then synthesis was not interrupted and the report holds no violation of any severity
    assert dev_synth.validation_error is None, dev_synth.validation_error
    report = dev_synth.validation_report()
    violations = [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
    assert violations == []


def test_cdk_nag_is_wired_in_and_stops_synthesis_on_a_finding(tmp_path):
    # Given the same app plus a queue that allows plain-HTTP requests
    app, stack = build_app({**cdk_json_context(), **SKIP_BUNDLING}, outdir=str(tmp_path))
    sqs.Queue(stack, "PlainHttpQueue", encryption=sqs.QueueEncryption.SQS_MANAGED)
    # When it is synthesized, Then AwsSolutions stops it and names the rule
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-SQS4" in rules


def _acknowledgements(stack) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    found.setdefault(rule.split("::", 1)[-1], set()).add(reason)
    return found


def test_every_acknowledgement_has_a_reason_and_is_listed_in_the_deploy_guide(dev_synth):
    acknowledgements = _acknowledgements(dev_synth.stack)
    assert acknowledgements, "expected the documented acknowledgements (X-Ray, runtime, rotation, GSI)"
    guide = (REPO_ROOT / "docs" / "DEPLOY.md").read_text()
    for rule, reasons in acknowledgements.items():
        assert all(len(reason.strip()) > 20 for reason in reasons), rule
        # The GSI finding carries a generated logical id; the guide names the rule and the index ARN.
        documented = re.sub(r"<[A-Za-z0-9]+\.Arn>", "<PatternsTable.Arn>", rule)
        documented = re.sub(r"schedule/<[A-Za-z0-9]+>/", "schedule/<ContinuationsGroup>/", documented)
        assert documented in guide, f"{documented} is not listed in docs/DEPLOY.md"


def test_roles_carry_no_managed_policies(dev_synth):
    principals = set()
    for role in dev_synth.of_type("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        principals.add(statement["Principal"]["Service"])
    # The functions' roles, and the role EventBridge Scheduler uses to deliver continuations.
    assert principals == {"lambda.amazonaws.com", "scheduler.amazonaws.com"}


def test_continuation_delivery_role_may_only_send_to_the_work_queue(dev_synth):
    (queue_id,) = [
        k
        for k, v in dev_synth.of_type("AWS::SQS::Queue").items()
        if "RedrivePolicy" in v["Properties"] and v["Properties"].get("FifoQueue")
    ]
    (role_id,) = [
        k
        for k, v in dev_synth.of_type("AWS::IAM::Role").items()
        if v["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
        == "scheduler.amazonaws.com"
    ]
    statements = [
        st
        for policy in dev_synth.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert statements and all(_refs(st["Resource"]) == {queue_id} for st in statements)
    assert set().union(*(_actions(st) for st in statements)) <= {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }


def test_wildcards_appear_only_where_aws_requires_them(dev_synth):
    for function in ("scheduler", "worker", "webhook", "waker"):
        for statement in _statements(dev_synth, function):
            assert statement["Effect"] == "Allow"
            assert not any(action.endswith(":*") or action == "*" for action in _actions(statement)), (
                statement
            )
            if "*" in _resources(statement):
                assert _actions(statement) == XRAY_ACTIONS, statement


def test_scheduler_may_only_send_to_the_queue(dev_synth):
    (queue_id,) = [
        k
        for k, v in dev_synth.of_type("AWS::SQS::Queue").items()
        if "RedrivePolicy" in v["Properties"] and v["Properties"].get("FifoQueue")
    ]
    granted = {
        action
        for statement in _statements(dev_synth, "scheduler")
        if queue_id in _refs(statement["Resource"])
        for action in _actions(statement)
    }
    assert "sqs:SendMessage" in granted and "sqs:ReceiveMessage" not in granted
    failures_id = _scheduler_failure_queue(dev_synth)
    others = [
        s
        for s in _statements(dev_synth, "scheduler")
        if _refs(s["Resource"]) - {queue_id, failures_id} and "*" not in _resources(s)
    ]
    # Only its own log group besides the queues: no table, no secret.
    assert all(_actions(s) == {"logs:CreateLogStream", "logs:PutLogEvents"} for s in others), others


def _scheduler_failure_queue(synth) -> str:
    (failures_id,) = [k for k in synth.of_type("AWS::SQS::Queue") if k.startswith("ScheduleFailures")]
    return failures_id


def _secret_by_purpose(synth, purpose: str) -> str:
    """Logical id of the secret created for `purpose` (GithubToken, GithubApp, WebhookSecret, LlmKeys)."""
    (secret_id,) = [
        k for k in synth.of_type("AWS::SecretsManager::Secret") if k.startswith(f"Secrets{purpose}")
    ]
    return secret_id


@pytest.mark.parametrize(
    ("function", "purposes"),
    [
        ("scheduler", set()),
        ("worker", {"GithubToken", "GithubApp", "LlmKeys"}),
        ("webhook", {"WebhookSecret"}),
    ],
)
def test_each_function_reads_only_its_own_secrets(dev_synth, function, purposes):
    readable = {
        ref
        for statement in _statements(dev_synth, function)
        if "secretsmanager:GetSecretValue" in _actions(statement)
        for ref in _refs(statement["Resource"])
    }
    assert readable == {_secret_by_purpose(dev_synth, p) for p in purposes}


def test_webhook_may_use_only_the_idempotency_table_and_the_wake_items(dev_synth):
    _, webhook = dev_synth.function("webhook")
    variables = webhook["Properties"]["Environment"]["Variables"]
    idempotency_id, runs_id = (
        variables["HOMEOSTAT_IDEMPOTENCY_TABLE"]["Ref"],
        variables["HOMEOSTAT_RUNS_TABLE"]["Ref"],
    )
    tables = set(dev_synth.of_type("AWS::DynamoDB::Table"))
    statements = _statements(dev_synth, "webhook")
    touched = {ref for s in statements for ref in _refs(s["Resource"])} & tables
    assert touched == {idempotency_id, runs_id}
    # The runs table (runs, budgets, wakes) only through its `wake#<repo>` items: read and update
    (on_runs,) = [s for s in statements if runs_id in _refs(s["Resource"])]
    assert _actions(on_runs) == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    assert on_runs["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["wake#*"]}}


def test_secrets_hold_generated_placeholders_and_functions_get_arns_not_values(dev_synth):
    secrets = dev_synth.of_type("AWS::SecretsManager::Secret")
    assert len(secrets) == 4
    for secret in secrets.values():
        props = secret["Properties"]
        assert "SecretString" not in props and "GenerateSecretString" in props
        assert props["Description"]
        # No fixed name: a retained secret (or one pending deletion) would block the next deploy.
        assert "Name" not in props
    template_text = json.dumps(dev_synth.template)
    assert "{{resolve:secretsmanager" not in template_text
    for function in ("scheduler", "worker", "webhook"):
        variables = dev_synth.function(function)[1]["Properties"]["Environment"]["Variables"]
        for key, value in variables.items():
            if key.endswith(("_SECRET", "_SECRET_NAME")):
                # {"Ref": secret} is the secret's ARN, never its value
                assert value == {"Ref": value.get("Ref")} and value["Ref"] in secrets, (key, value)


@pytest.mark.parametrize(
    ("purpose", "keys"),
    [("LlmKeys", {"DEEPSEEK_API_KEY", "OPENAI_API_KEY"}), ("GithubApp", {"app_id", "private_key"})],
)
def test_json_secrets_are_documents_with_their_keys(dev_synth, purpose, keys):
    secret = dev_synth.resources[_secret_by_purpose(dev_synth, purpose)]
    generator = secret["Properties"]["GenerateSecretString"]
    assert set(json.loads(generator["SecretStringTemplate"])) == keys
    assert generator["GenerateStringKey"] not in keys


def test_cfn_lint_finds_no_errors(dev_synth):
    matches = cfnlint.api.lint(json.dumps(dev_synth.template), regions=["us-east-1"])
    errors = [
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path or []))})"
        for m in matches
        if m.rule.id.startswith("E")
    ]
    assert errors == []
