"""The synthesized template: queue, worker wiring, schedule, webhook URL, tables, monitoring."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from aws_cdk.assertions import Template

from homeostat_core.config import load_config
from homeostat_core.settings import parse_settings
from infra.context import REPOS_FILE

pytestmark = pytest.mark.xdist_group("infra")

RUN_METRICS = (
    "IssuesProcessed",
    "PRsCreated",
    "PRsUpdated",
    "Cooldowns",
    "PatternHits",
    "CostUsd",
    "Tokens",
    "LatencyMs",
)


def _ref_id(value) -> str:
    """Logical id behind {"Ref": id} or {"Fn::GetAtt": [id, attr]}."""
    return value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]


def _queues(synth):
    queues = synth.of_type("AWS::SQS::Queue")
    main = [k for k, v in queues.items() if "RedrivePolicy" in v["Properties"]]
    assert len(queues) == 2 and len(main) == 1
    dlq = next(k for k in queues if k != main[0])
    return (main[0], queues[main[0]]["Properties"]), (dlq, queues[dlq]["Properties"])


def test_work_queue_is_fifo_with_a_fifo_dead_letter_queue_after_three_receives(dev_synth):
    # Given the dev template
    (_, queue), (dlq_id, dlq) = _queues(dev_synth)
    _, worker = dev_synth.function("worker")
    # Then both queues are FIFO without content-based deduplication (ids come from the code)
    for props in (queue, dlq):
        assert props["FifoQueue"] is True
        assert props["ContentBasedDeduplication"] is False
        assert props["SqsManagedSseEnabled"] is True
    # And failures reach the DLQ after 3 receives
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    # And a message stays hidden for at least 6 worker timeouts
    assert queue["VisibilityTimeout"] >= 6 * worker["Properties"]["Timeout"]


def test_both_queues_deny_requests_without_tls(dev_synth):
    (main_id, _), (dlq_id, _) = _queues(dev_synth)
    guarded = set()
    for policy in dev_synth.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                guarded.add(_ref_id(statement["Resource"]))
    assert guarded == {main_id, dlq_id}


def test_worker_consumes_one_message_at_a_time_with_partial_batch_failures(dev_synth):
    (main_id, _), _ = _queues(dev_synth)
    worker_id, _ = dev_synth.function("worker")
    mappings = list(dev_synth.of_type("AWS::Lambda::EventSourceMapping").values())
    assert len(mappings) == 1
    props = mappings[0]["Properties"]
    assert props["BatchSize"] == 1
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _ref_id(props["EventSourceArn"]) == main_id
    assert _ref_id(props["FunctionName"]) == worker_id
    # FIFO ordering is the serializer; a MaximumConcurrency setting would not allow 1 anyway.
    assert "ScalingConfig" not in props


def test_worker_timeout_leaves_the_safety_margin_it_is_told_about(dev_synth):
    _, worker = dev_synth.function("worker")
    props = worker["Properties"]
    margin = int(props["Environment"]["Variables"]["HOMEOSTAT_SAFETY_MARGIN_S"])
    assert 0 < margin < props["Timeout"] <= 900
    assert props["MemorySize"] >= 1024


def test_scheduler_runs_every_six_hours(dev_synth):
    scheduler_id, _ = dev_synth.function("scheduler")
    rules = list(dev_synth.of_type("AWS::Events::Rule").values())
    assert len(rules) == 1
    props = rules[0]["Properties"]
    assert props["ScheduleExpression"] == "rate(6 hours)"
    assert [_ref_id(target["Arn"]) for target in props["Targets"]] == [scheduler_id]


def test_webhook_has_a_public_function_url_with_a_tight_timeout_and_an_output(dev_synth):
    webhook_id, webhook = dev_synth.function("webhook")
    urls = dev_synth.of_type("AWS::Lambda::Url")
    assert len(urls) == 1
    url_id, url = next(iter(urls.items()))
    assert url["Properties"]["AuthType"] == "NONE"
    assert _ref_id(url["Properties"]["TargetFunctionArn"]) == webhook_id
    assert webhook["Properties"]["Timeout"] <= 10
    assert dev_synth.template["Outputs"]["WebhookUrl"]["Value"] == {"Fn::GetAtt": [url_id, "FunctionUrl"]}


@pytest.mark.parametrize(
    ("env_var", "keys", "ttl", "indexes"),
    [
        ("HOMEOSTAT_ATTEMPTS_TABLE", {"repo": "HASH", "fingerprintId": "RANGE"}, None, {}),
        (
            "HOMEOSTAT_PATTERNS_TABLE",
            {"patternId": "HASH"},
            None,
            {"byFingerprint": "fingerprintId", "byTypeAndFile": "typeFile"},
        ),
        ("HOMEOSTAT_RUNS_TABLE", {"pk": "HASH", "sk": "RANGE"}, "expiresAt", {}),
        ("HOMEOSTAT_IDEMPOTENCY_TABLE", {"id": "HASH"}, "expiration", {}),
    ],
)
def test_state_tables_have_the_fixed_layout(dev_synth, env_var, keys, ttl, indexes):
    # Given the table the worker is told to use for this purpose
    _, worker = dev_synth.function("worker")
    table_id = worker["Properties"]["Environment"]["Variables"][env_var]["Ref"]
    table = dev_synth.resources[table_id]
    props = table["Properties"]
    # Then its keys, GSIs and TTL are the fixed layout, all string-typed
    assert {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]} == keys
    assert all(a["AttributeType"] == "S" for a in props["AttributeDefinitions"])
    gsis = {
        g["IndexName"]: (g["KeySchema"], g["Projection"]["ProjectionType"])
        for g in props.get("GlobalSecondaryIndexes", [])
    }
    assert gsis == {name: ([{"AttributeName": pk, "KeyType": "HASH"}], "ALL") for name, pk in indexes.items()}
    assert props.get("TimeToLiveSpecification") == ({"AttributeName": ttl, "Enabled": True} if ttl else None)
    # And it is on-demand, recoverable, encrypted and kept when the stack goes
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"


def test_functions_run_python_312_on_arm_with_tracing_and_one_month_of_logs(dev_synth):
    functions = dev_synth.of_type("AWS::Lambda::Function")
    assert len(functions) == 3
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        log_group = dev_synth.resources[props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["RetentionInDays"] == 30
    Template.from_json(dev_synth.template).resource_count_is("AWS::Logs::LogGroup", 3)


COMMON_ENV = {
    "HOMEOSTAT_ENV",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "LOG_LEVEL",
}


@pytest.mark.parametrize(
    ("function", "specific"),
    [
        ("scheduler", {"HOMEOSTAT_QUEUE_URL"}),
        (
            "worker",
            {
                "HOMEOSTAT_ATTEMPTS_TABLE",
                "HOMEOSTAT_PATTERNS_TABLE",
                "HOMEOSTAT_RUNS_TABLE",
                "HOMEOSTAT_IDEMPOTENCY_TABLE",
                "HOMEOSTAT_GITHUB_TOKEN_SECRET",
                "HOMEOSTAT_LLM_KEYS_SECRET",
                "HOMEOSTAT_SAFETY_MARGIN_S",
                "HOMEOSTAT_SOURCEMAPS_BUCKET",
            },
        ),
        ("webhook", {"HOMEOSTAT_QUEUE_URL", "HOMEOSTAT_WEBHOOK_SECRET_NAME", "HOMEOSTAT_IDEMPOTENCY_TABLE"}),
    ],
)
def test_each_function_gets_exactly_the_settings_it_reads(dev_synth, function, specific):
    _, resource = dev_synth.function(function)
    variables = resource["Properties"]["Environment"]["Variables"]
    assert set(variables) == COMMON_ENV | specific
    assert variables["HOMEOSTAT_ENV"] == "dev"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Homeostat"
    if "HOMEOSTAT_QUEUE_URL" in specific:
        (main_id, _), _ = _queues(dev_synth)
        assert variables["HOMEOSTAT_QUEUE_URL"] == {"Ref": main_id}


@pytest.mark.parametrize("function", ["scheduler", "worker", "webhook"])
def test_every_homeostat_variable_set_by_infra_is_read_by_the_settings_parser(dev_synth, function):
    # Given the function's environment, with CloudFormation references stood in by unique strings
    variables = dev_synth.function(function)[1]["Properties"]["Environment"]["Variables"]
    environ = {k: v if isinstance(v, str) else f"resolved-{k.lower()}" for k, v in variables.items()}
    # When the code parses it, Then every HOMEOSTAT_* value lands in a Settings field
    parsed = {str(v) for v in asdict(parse_settings(environ)).values()}
    for key, value in environ.items():
        if key.startswith("HOMEOSTAT_"):
            assert value in parsed, f"{key} is set by infra but not read by homeostat_core.settings"


def test_production_context_reaches_every_function_and_the_stack_name(production_synth):
    functions = production_synth.of_type("AWS::Lambda::Function").values()
    assert {f["Properties"]["Environment"]["Variables"]["HOMEOSTAT_ENV"] for f in functions} == {"production"}
    assert production_synth.stack.stack_name == "homeostat-production"
    names = {
        s["Properties"]["Name"] for s in production_synth.of_type("AWS::SecretsManager::Secret").values()
    }
    assert names == {
        "homeostat/production/github-token",
        "homeostat/production/webhook-secret",
        "homeostat/production/llm-keys",
    }
    assert all(
        t["Properties"]["DeletionProtectionEnabled"]
        for t in production_synth.of_type("AWS::DynamoDB::Table").values()
    )


def test_alarms_cover_dead_letters_errors_and_daily_cost_and_notify_an_encrypted_topic(dev_synth):
    template = Template.from_json(dev_synth.template)
    topics = dev_synth.of_type("AWS::SNS::Topic")
    assert len(topics) == 1
    topic_id, topic = next(iter(topics.items()))
    key = dev_synth.resources[_ref_id(topic["Properties"]["KmsMasterKeyId"])]
    assert key["Properties"]["EnableKeyRotation"] is True
    alarms = dev_synth.of_type("AWS::CloudWatch::Alarm").values()
    for alarm in alarms:
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    (_, _), (dlq_id, _) = _queues(dev_synth)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            "Threshold": 1,
        },
    )
    for function in ("worker", "webhook"):
        function_id, _ = dev_synth.function(function)
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"MetricName": "Errors", "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function_id}}]},
        )


def test_daily_cost_alarm_sums_every_repo_against_the_summed_budgets(dev_synth):
    # Given the budgets configured in the bundled repos.yml
    config = load_config(REPOS_FILE)
    budget = sum(repo.daily_budget_usd for repo in config.repositories)
    cost_alarms = [
        a["Properties"]
        for a in dev_synth.of_type("AWS::CloudWatch::Alarm").values()
        if "Metrics" in a["Properties"]
    ]
    assert len(cost_alarms) == 1
    alarm = cost_alarms[0]
    # Then the alarm fires above their sum, over one day of CostUsd from every repo
    assert alarm["Threshold"] == pytest.approx(budget)
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    expression = next(m for m in alarm["Metrics"] if "Expression" in m)
    inputs = [m for m in alarm["Metrics"] if "MetricStat" in m]
    assert expression["Expression"] == f"SUM([{', '.join(m['Id'] for m in inputs)}])"
    repos = set()
    for m in inputs:
        stat = m["MetricStat"]
        assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"]) == ("Homeostat", "CostUsd")
        assert (stat["Period"], stat["Stat"]) == (86400, "Sum")
        dims = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
        assert dims["service"] == "homeostat"
        repos.add(dims["Repo"])
    assert repos == {repo.slug for repo in config.repositories}


def _dashboard_body(synth) -> dict:
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    # Region tokens sit inside string values; a placeholder keeps the JSON parseable.
    return json.loads("".join(p if isinstance(p, str) else "REGION" for p in parts))


def test_dashboard_has_every_run_metric_for_every_repo_with_powertools_dimensions(dev_synth):
    body = _dashboard_body(dev_synth)
    plotted = set()
    for widget in body["widgets"]:
        for metric in widget.get("properties", {}).get("metrics", []):
            if metric[0] == "Homeostat":
                fields = metric[:-1] if isinstance(metric[-1], dict) else metric
                _, name, *dims = fields
                plotted.add((name, tuple(zip(dims[::2], dims[1::2], strict=True))))
    for repo in load_config(REPOS_FILE).repositories:
        for name in RUN_METRICS:
            assert (name, (("Repo", repo.slug), ("service", "homeostat"))) in plotted, (name, repo.slug)


def test_dashboard_shows_queue_depth_age_dead_letters_and_function_health(dev_synth):
    text = json.dumps(_dashboard_body(dev_synth))
    for metric in (
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        '"AWS/Lambda", "Errors"',
        '"AWS/Lambda", "Duration"',
    ):
        assert metric in text
