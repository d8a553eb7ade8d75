"""The stack does not grow with the repository list, and redeploys never collide on a name.

Synthesizes 1, 11, 100 and 1,000 repositories (issue #13: synth failed at the 11th, the dashboard
would pass CloudWatch's widget limit near 120, the template CloudFormation's 1 MB near 390), and
deploys the stateful part of the template with moto's CloudFormation twice side by side: what a
redeploy meets after a failed first deploy or a `cdk destroy` that kept its tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from .conftest import synthesize

pytestmark = pytest.mark.xdist_group("infra")

SIZES = (1, 11, 100, 1000)
# Properties that give a resource a fixed physical name (collides with a kept or pending-deletion one).
NAME_PROPERTIES = {
    "AWS::SecretsManager::Secret": "Name",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::Logs::LogGroup": "LogGroupName",
}
KEPT_TYPES = ("AWS::DynamoDB::Table", "AWS::SecretsManager::Secret")


def repos_yml(path: Path, count: int) -> Path:
    repositories = [
        {
            "slug": f"owner{i % 50}/extension-{i}",
            "branch": "main",
            "max_prs_per_run": 1,
            "labels": ["homeostat-fix"],
            "path_filters": {"include": ["src/"]},
            "daily_budget_usd": 0.5,
            "installation_id": 1000 + i % 50,
        }
        for i in range(count)
    ]
    path.write_text(yaml.safe_dump({"version": 1, "repositories": repositories}))
    return path


@pytest.fixture(scope="module")
def syntheses(tmp_path_factory):
    result = {}
    for count in SIZES:
        folder = tmp_path_factory.mktemp(f"repos-{count}")
        result[count] = synthesize(folder / "cdk.out", repos_file=repos_yml(folder / "repos.yml", count))
    return result


def _threshold_free(template: dict) -> str:
    """The template text with the daily budget (the sum of the repos' budgets) blanked out."""
    text = json.dumps(template, sort_keys=True)
    cost = [
        v["Properties"]["Threshold"]
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::CloudWatch::Alarm" and "DailyCostOverBudget" in k
    ]
    assert len(cost) == 1
    text = text.replace(f"(${cost[0]:g})", "($BUDGET)")
    return text.replace(f'"Threshold": {json.dumps(cost[0])}', '"Threshold": BUDGET')


def test_one_to_a_thousand_repositories_synthesize_the_same_stack(syntheses):
    # Given the stack synthesized for 1, 11, 100 and 1,000 repositories (all cdk-nag clean)
    for count, synth in syntheses.items():
        assert synth.validation_error is None, (count, synth.validation_error)
    # Then every size has the same resources, and the same template but for the summed budget
    resources = {count: sorted(s.resources) for count, s in syntheses.items()}
    assert all(ids == resources[1] for ids in resources.values())
    texts = {count: _threshold_free(s.template) for count, s in syntheses.items()}
    assert all(text == texts[1] for text in texts.values())
    # And the budget is still each size's own sum
    for count, synth in syntheses.items():
        (cost,) = [
            v["Properties"]["Threshold"]
            for k, v in synth.resources.items()
            if v["Type"] == "AWS::CloudWatch::Alarm" and "DailyCostOverBudget" in k
        ]
        assert cost == pytest.approx(0.5 * count)
    # And the template is far from CloudFormation's limits (1 MB, 500 resources)
    size = len(json.dumps(syntheses[1000].template))
    assert size < 100_000 and len(syntheses[1000].resources) < 100


def test_no_resource_has_a_fixed_name_and_kept_resources_go_on_a_failed_first_deploy(syntheses):
    synth = syntheses[11]
    for logical_id, resource in synth.resources.items():
        name_property = NAME_PROPERTIES.get(resource["Type"])
        assert name_property is None or name_property not in resource.get("Properties", {}), logical_id
        if resource["Type"] in KEPT_TYPES:
            # Kept by `cdk destroy`, removed when a first deploy rolls back.
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate", logical_id


def test_synthesizing_twice_gives_the_same_template(syntheses, tmp_path):
    # A redeploy is an update of the same resources, never a replacement that meets a kept twin.
    folder = tmp_path / "again"
    again = synthesize(folder / "cdk.out", repos_file=repos_yml(tmp_path / "repos.yml", 11))
    assert json.dumps(again.template, sort_keys=True) == json.dumps(syntheses[11].template, sort_keys=True)


def _stateful_part(template: dict, *, fixed_names: bool = False) -> str:
    # moto's CloudFormation supports the tables (not secrets, Function URLs or FIFO queue names).
    tables = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::DynamoDB::Table"}
    if fixed_names:  # the control: what a fixed name does
        for logical_id, table in tables.items():
            table["Properties"] = {**table["Properties"], "TableName": f"homeostat-{logical_id}"}
    return json.dumps({"Resources": tables})


def _deploy_twice(template_body: str) -> list[str]:
    """Create the stack, then again under the same name while the first one's tables still exist
    (what a redeploy meets after `cdk destroy` kept them): the two stacks' statuses."""
    with mock_aws():
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        statuses = []
        for stack in ("homeostat-dev", "homeostat-dev-redeploy"):
            try:
                cfn.create_stack(StackName=stack, TemplateBody=template_body)
                statuses.append(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
            except Exception as exc:  # moto raises the service's refusal from create_stack
                statuses.append(f"FAILED: {type(exc).__name__}")
        tables = boto3.client("dynamodb", region_name="us-east-1").list_tables()["TableNames"]
        statuses.append(len(tables))
    return statuses


def test_a_redeploy_next_to_kept_tables_succeeds_on_moto_cloudformation(syntheses):
    # Given the template's tables deployed once and still present (kept by a destroy)
    # When the same template is deployed again, Then it succeeds beside them
    assert _deploy_twice(_stateful_part(syntheses[11].template)) == ["CREATE_COMPLETE", "CREATE_COMPLETE", 8]
    # And the control: fixed table names make the second deploy fail (the bug this prevents)
    control = _deploy_twice(_stateful_part(syntheses[11].template, fixed_names=True))
    assert control[0] == "CREATE_COMPLETE" and control[1] != "CREATE_COMPLETE"
