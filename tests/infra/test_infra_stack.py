"""The synthesized template: queue, worker wiring, schedule, webhook URL, tables, monitoring."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from aws_cdk.assertions import Template

from homeostat_core.config import load_config
from homeostat_core.observability import RUN_METRICS as EMITTED_RUN_METRICS
from homeostat_core.settings import parse_settings
from infra.context import REPOS_FILE

from .conftest import synthesize

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
    """(work queue, its FIFO dead-letter queue); the others are the scheduler's failure queue and
    the wakes queue with its dead-letter queue (test_infra_wakes.py)."""
    queues = synth.of_type("AWS::SQS::Queue")
    main = [
        k
        for k, v in queues.items()
        if "RedrivePolicy" in v["Properties"] and v["Properties"].get("FifoQueue")
    ]
    assert len(queues) == 5 and len(main) == 1
    dlq = queues[main[0]]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    return (main[0], queues[main[0]]["Properties"]), (dlq, queues[dlq]["Properties"])


def _scheduler_failures(synth):
    (failures_id,) = [k for k in synth.of_type("AWS::SQS::Queue") if k.startswith("ScheduleFailures")]
    return failures_id


def test_work_queue_is_fifo_with_a_fifo_dead_letter_queue_after_three_receives(dev_synth):
    # Given the dev template
    (_, queue), (dlq_id, dlq) = _queues(dev_synth)
    _, worker = dev_synth.function("worker")
    # Then both queues are FIFO and encrypted
    for props in (queue, dlq):
        assert props["FifoQueue"] is True
        assert props["SqsManagedSseEnabled"] is True
    # And the work queue deduplicates by content only for continuations (EventBridge Scheduler
    # sends no deduplication id; the scheduler and webhook set theirs)
    assert queue["ContentBasedDeduplication"] is True
    assert dlq["ContentBasedDeduplication"] is False
    # And failures reach the DLQ after 3 receives
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
        "maxReceiveCount": 3,
    }
    # And a received message stays hidden while its run may still go on, and a run killed by its
    # timeout holds its lane for less than two timeouts (not 6 x 900 s)
    timeout = worker["Properties"]["Timeout"]
    assert timeout < queue["VisibilityTimeout"] < 2 * timeout


def test_every_queue_denies_requests_without_tls(dev_synth):
    guarded = set()
    for policy in dev_synth.of_type("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement["Condition"] == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                guarded.add(_ref_id(statement["Resource"]))
    assert guarded == set(dev_synth.of_type("AWS::SQS::Queue"))


def test_worker_consumes_one_message_at_a_time_with_partial_batch_failures(dev_synth):
    (main_id, _), _ = _queues(dev_synth)
    worker_id, _ = dev_synth.function("worker")
    mappings = [
        m
        for m in dev_synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if _ref_id(m["Properties"]["FunctionName"]) == worker_id
    ]
    assert len(mappings) == 1
    props = mappings[0]["Properties"]
    assert props["BatchSize"] == 1
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _ref_id(props["EventSourceArn"]) == main_id
    assert _ref_id(props["FunctionName"]) == worker_id
    # FIFO serializes each lane (message group); the event source caps how many lanes run at once.
    assert props["ScalingConfig"] == {"MaximumConcurrency": 10}


def test_max_worker_concurrency_context_sets_the_event_source_cap(tmp_path):
    synth = synthesize(tmp_path, maxWorkerConcurrency="25")
    worker_id, _ = synth.function("worker")
    (mapping,) = [
        m
        for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if _ref_id(m["Properties"]["FunctionName"]) == worker_id
    ]
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 25}


def test_worker_idempotency_records_outlive_every_redelivery(dev_synth):
    # Given the work queue's redelivery window: a message may come back until its last receive
    (_, queue), _ = _queues(dev_synth)
    window = queue["VisibilityTimeout"] * queue["RedrivePolicy"]["maxReceiveCount"]
    # Then the worker keeps its idempotency record (keyed by message id) longer than that
    _, worker = dev_synth.function("worker")
    expiry = int(worker["Properties"]["Environment"]["Variables"]["HOMEOSTAT_IDEMPOTENCY_EXPIRY_S"])
    assert expiry > window
    # And the handler really uses the setting (not Powertools' 3,600 s default)
    environ = {"HOMEOSTAT_IDEMPOTENCY_EXPIRY_S": str(expiry)}
    assert parse_settings(environ).idempotency_expiry_s == expiry > 3600


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


def test_a_scheduled_run_that_cannot_start_lands_in_a_watched_failure_queue(dev_synth):
    # Given the scheduler's failure queue
    failures_id = _scheduler_failures(dev_synth)
    scheduler_id, _ = dev_synth.function("scheduler")
    # Then EventBridge's delivery failures go there (target dead-letter queue)
    (rule,) = dev_synth.of_type("AWS::Events::Rule").values()
    (target,) = rule["Properties"]["Targets"]
    assert _ref_id(target["DeadLetterConfig"]["Arn"]) == failures_id
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    # And the function's own failures after Lambda's async retries (on-failure destination)
    (config,) = dev_synth.of_type("AWS::Lambda::EventInvokeConfig").values()
    assert _ref_id(config["Properties"]["FunctionName"]) == scheduler_id
    assert _ref_id(config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]) == failures_id
    # And an alarm fires on its first message
    Template.from_json(dev_synth.template).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [failures_id, "QueueName"]}}],
            "Threshold": 1,
        },
    )


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
    # And it is on-demand, recoverable, encrypted, kept when the stack goes but not left behind by
    # a first deploy that rolls back, and has no fixed name that a retained table would block
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert table["DeletionPolicy"] == "RetainExceptOnCreate" and table["UpdateReplacePolicy"] == "Retain"
    assert "TableName" not in props


def test_functions_run_python_312_on_arm_with_tracing_and_one_month_of_logs(dev_synth):
    functions = dev_synth.of_type("AWS::Lambda::Function")
    assert len(functions) == 4  # scheduler, worker, webhook, waker
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        log_group = dev_synth.resources[props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["RetentionInDays"] == 30
    Template.from_json(dev_synth.template).resource_count_is("AWS::Logs::LogGroup", 4)


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
                "HOMEOSTAT_GITHUB_APP_SECRET",
                "HOMEOSTAT_LLM_KEYS_SECRET",
                "HOMEOSTAT_SAFETY_MARGIN_S",
                "HOMEOSTAT_SOURCEMAPS_BUCKET",
                "HOMEOSTAT_IDEMPOTENCY_EXPIRY_S",
                "HOMEOSTAT_QUEUE_ARN",
                "HOMEOSTAT_CONTINUATION_GROUP",
                "HOMEOSTAT_CONTINUATION_ROLE_ARN",
                "HOMEOSTAT_WEBHOOK_SENDER_ID",
            },
        ),
        (
            "webhook",
            {
                "HOMEOSTAT_QUEUE_URL",
                "HOMEOSTAT_WAKE_QUEUE_URL",
                "HOMEOSTAT_RUNS_TABLE",
                "HOMEOSTAT_WEBHOOK_SECRET_NAME",
                "HOMEOSTAT_IDEMPOTENCY_TABLE",
            },
        ),
        ("waker", {"HOMEOSTAT_QUEUE_URL", "HOMEOSTAT_WAKE_QUEUE_URL", "HOMEOSTAT_RUNS_TABLE"}),
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


@pytest.mark.parametrize("function", ["scheduler", "worker", "webhook", "waker"])
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
    descriptions = [
        s["Properties"]["Description"]
        for s in production_synth.of_type("AWS::SecretsManager::Secret").values()
    ]
    assert len(descriptions) == 4 and all(d.startswith("Homeostat (production)") for d in descriptions)
    assert all(
        t["Properties"]["DeletionProtectionEnabled"]
        for t in production_synth.of_type("AWS::DynamoDB::Table").values()
    )


def _alarms(synth) -> dict[str, dict]:
    """Alarms by the construct id in their logical id (e.g. "RepoRunErrors")."""
    return {
        k.removeprefix("Monitoring").rsplit("Alarm", 1)[0] or k: v["Properties"]
        for k, v in synth.of_type("AWS::CloudWatch::Alarm").items()
    }


def _alarm(synth, name: str) -> dict:
    (props,) = [v for k, v in _alarms(synth).items() if k.startswith(name)]
    return props


def test_alarms_notify_an_encrypted_topic_and_cover_every_failure_we_know(dev_synth):
    topics = dev_synth.of_type("AWS::SNS::Topic")
    assert len(topics) == 1
    topic_id, topic = next(iter(topics.items()))
    key = dev_synth.resources[_ref_id(topic["Properties"]["KmsMasterKeyId"])]
    assert key["Properties"]["EnableKeyRotation"] is True
    alarms = _alarms(dev_synth)
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert alarm["OKActions"] == [{"Ref": topic_id}]
    names = {k.rstrip("0123456789ABCDEF") for k in alarms}
    assert names == {
        "DeadLettersNotEmpty",
        "SchedulerFailed",
        "SchedulerErrors",
        "WorkerErrors",
        "WebhookErrors",
        "WakerErrors",
        "WakeDeadLettersNotEmpty",
        "OldestJobTooOld",
        "RepoRunErrors",
        "Throttles",
        "WorkerNearTimeout",
        "Webhook5xx",
        "DailyCostOverBudget",
    }


def test_dead_letters_and_function_errors_alarm_on_the_first_one(dev_synth):
    (_, _), (dlq_id, _) = _queues(dev_synth)
    dead = _alarm(dev_synth, "DeadLettersNotEmpty")
    assert dead["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}]
    for function in ("scheduler", "worker", "webhook", "waker"):
        function_id, _ = dev_synth.function(function)
        alarm = _alarm(dev_synth, f"{function.capitalize()}Errors")
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
        assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_oldest_queued_job_alarm_fires_when_a_scheduler_period_is_not_drained(dev_synth):
    (main_id, _), _ = _queues(dev_synth)
    alarm = _alarm(dev_synth, "OldestJobTooOld")
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
    )
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [main_id, "QueueName"]}}]
    assert alarm["Threshold"] == 6 * 3600


def test_repo_run_errors_alarm_reads_the_metric_the_worker_emits_for_a_failed_run(dev_synth):
    alarm = _alarm(dev_synth, "RepoRunErrors")
    # The fleet series (service only) the worker emits beside the per-repo one: one alarm for any
    # number of repos (tests/unit/scale checks that a failed run emits it).
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "Homeostat",
        "RepoRunErrors",
        "Sum",
    )
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "homeostat"}]
    assert alarm["Threshold"] == 1


def test_worker_near_timeout_and_webhook_5xx_and_throttles(dev_synth):
    worker_id, worker = dev_synth.function("worker")
    webhook_id, _ = dev_synth.function("webhook")
    near = _alarm(dev_synth, "WorkerNearTimeout")
    assert (near["MetricName"], near["Statistic"]) == ("Duration", "Maximum")
    assert near["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": worker_id}}]
    timeout_ms = worker["Properties"]["Timeout"] * 1000
    assert 0.8 * timeout_ms <= near["Threshold"] < timeout_ms
    url = _alarm(dev_synth, "Webhook5xx")
    assert (url["Namespace"], url["MetricName"]) == ("AWS/Lambda", "Url5xxCount")
    assert url["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": webhook_id}}]
    throttles = _alarm(dev_synth, "Throttles")
    throttled = {
        _ref_id(m["MetricStat"]["Metric"]["Dimensions"][0]["Value"])
        for m in throttles["Metrics"]
        if "MetricStat" in m and m["MetricStat"]["Metric"]["MetricName"] == "Throttles"
    }
    assert throttled == {dev_synth.function(f)[0] for f in ("scheduler", "worker", "webhook", "waker")}


def test_daily_cost_alarm_reads_the_fleet_cost_against_the_summed_budgets(dev_synth):
    # Given the budgets configured in the bundled repos.yml
    budget = sum(repo.daily_budget_usd for repo in load_config(REPOS_FILE).repositories)
    alarm = _alarm(dev_synth, "DailyCostOverBudget")
    # Then the alarm fires above their sum, over one day of the fleet's CostUsd
    assert alarm["Threshold"] == pytest.approx(budget)
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("Homeostat", "CostUsd", "Sum")
    assert alarm["Period"] == 86400
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "homeostat"}]


def _emitted_series(capsys) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """(metric, dimensions) of every EMF series the worker writes for a failed run and an outcome."""
    from datetime import UTC, datetime

    from homeostat_core.models import RunRecord
    from homeostat_core.observability import OUTCOME_METRICS, emit_outcome_metric, emit_run_metrics

    capsys.readouterr()
    record = RunRecord(run_id="r1", repo="acme/web", timestamp=datetime.now(UTC))
    record.error = "ForgeError: list issues: HTTP 401"
    emit_run_metrics(record)
    for name in OUTCOME_METRICS:
        emit_outcome_metric("acme/web", name)
    series = set()
    for line in capsys.readouterr().out.splitlines():
        blob = json.loads(line)
        if "_aws" not in blob:
            continue
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            for dimensions in directive["Dimensions"]:
                dims = tuple((d, blob[d]) for d in dimensions)
                series |= {(m["Name"], dims) for m in directive["Metrics"]}
    return series


def test_every_alarm_on_a_homeostat_metric_reads_a_series_the_worker_emits(dev_synth, capsys):
    emitted = _emitted_series(capsys)
    assert emitted and all(dims == (("service", "homeostat"),) for _name, dims in emitted)
    read = []
    for alarm in _alarms(dev_synth).values():
        stats = [alarm] + [m["MetricStat"]["Metric"] for m in alarm.get("Metrics", []) if "MetricStat" in m]
        for metric in stats:
            if metric.get("Namespace") == "Homeostat":
                dims = tuple((d["Name"], d["Value"]) for d in metric["Dimensions"])
                read.append((metric["MetricName"], dims))
    assert {name for name, _dims in read} >= {"RepoRunErrors", "CostUsd"}
    for series in read:
        assert series in emitted, series


def _dashboard_body(synth) -> dict:
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    # Region tokens sit inside string values; a placeholder keeps the JSON parseable.
    return json.loads("".join(p if isinstance(p, str) else "REGION" for p in parts))


# The per-repository figures the dashboard showed before issue #26 (top-10 Metrics Insights
# widgets over the Repo dimension); each must still be on it, now from the run-record lines.
PER_REPO_FIGURES = (
    "RepoRunErrors",
    "IssuesProcessed",
    "PRsCreated",
    "CostUsd",
    "LatencyMs",
    "DeferredIssues",
)


def _log_widgets(body) -> list[dict]:
    return [w["properties"] for w in body["widgets"] if w["type"] == "log"]


def test_dashboard_metrics_are_the_fleets_only_and_no_repo_is_named(dev_synth):
    body = _dashboard_body(dev_synth)
    fleet = set()
    for widget in body["widgets"]:
        for metric in widget.get("properties", {}).get("metrics", []):
            assert not (isinstance(metric[-1], dict) and "expression" in metric[-1]), metric
            if metric[0] == "Homeostat":
                fields = metric[:-1] if isinstance(metric[-1], dict) else metric
                _, name, *dims = fields
                assert dims == ["service", "homeostat"], metric
                fleet.add(name)
    assert set(RUN_METRICS) - {"LatencyMs"} <= fleet
    assert {"PRsMerged", "PRsClosedByPeople", "FixesVerified", "Regressions"} <= fleet
    text = json.dumps(body)
    assert "Repo," not in text and "SCHEMA(" not in text
    assert not any(repo.slug in text for repo in load_config(REPOS_FILE).repositories)


def test_every_per_repo_figure_is_a_logs_insights_query_over_the_workers_run_records(dev_synth):
    worker_logs = dev_synth.function("worker")[1]["Properties"]["LoggingConfig"]["LogGroup"]
    (dashboard,) = dev_synth.of_type("AWS::CloudWatch::Dashboard").values()
    assert worker_logs in dashboard["Properties"]["DashboardBody"]["Fn::Join"][1]
    widgets = _log_widgets(_dashboard_body(dev_synth))
    queries = [w["query"] for w in widgets]
    # every query reads one log group: the worker's (a reference, shown here as the placeholder)
    assert all(q.startswith("SOURCE 'REGION' |") for q in queries), queries
    for name in PER_REPO_FIGURES:
        top = [q for q in queries if f"(summary.{name}) as" in q and "by repo" in q and "limit 10" in q]
        assert top and all('filter message = "Repo run finished"' in q for q in top), name
    (table,) = [q for q in queries if "count(*) as runs" in q]
    for name in EMITTED_RUN_METRICS:
        assert f"summary.{name})" in table, name
    assert any('filter message = "Fix outcome"' in q and "by repo, outcome" in q for q in queries)
    assert not dev_synth.of_type("AWS::CloudWatch::InsightRule")


def test_top_n_repositories_are_contributor_insights_rules_over_the_run_records(tmp_path):
    # Given -c repoMetricsTopN=5
    synth = synthesize(tmp_path, repoMetricsTopN="5")
    rules = synth.of_type("AWS::CloudWatch::InsightRule")
    # Then one rule per per-repo figure ranks repositories by it, from the worker's run-record lines
    assert len(rules) == len(PER_REPO_FIGURES)
    worker_logs = synth.function("worker")[1]["Properties"]["LoggingConfig"]["LogGroup"]
    ranked = set()
    for rule in rules.values():
        parts = rule["Properties"]["RuleBody"]["Fn::Join"][1]
        assert worker_logs in parts  # the log group, by reference
        body = json.loads("".join(p if isinstance(p, str) else "LOGS" for p in parts))
        contribution = body["Contribution"]
        assert contribution["Keys"] == ["$.repo"]
        assert contribution["Filters"] == [{"Match": "$.message", "In": ["Repo run finished"]}]
        ranked.add(contribution["ValueOf"].removeprefix("$.summary."))
    assert ranked == set(PER_REPO_FIGURES)
    # And the dashboard graphs the top 5 of each
    text = json.dumps(_dashboard_body(synth))
    assert text.count('"maxContributorCount": 5') == len(PER_REPO_FIGURES)


def test_dashboard_shows_queue_depth_age_dead_letters_and_function_health(dev_synth):
    text = json.dumps(_dashboard_body(dev_synth))
    for metric in (
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        '"AWS/Lambda", "Errors"',
        '"AWS/Lambda", "Duration"',
    ):
        assert metric in text
