"""Operations in the packaged template (``make package``: chalice package, ``infra/resources.json``, then
``infra/operations.json`` through ``tools/deploy/operations.py``): every alarm the on-call needs exists, reaches the
alarm topic and has its runbook section; every function is traced, and in prod deployed through an alias and a canary
that rolls back on its alarms; the cost guards are in place; cfn-lint with the serverless rules passes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core.kpis import BUSINESS
from tools.deploy import operations, package

REPO_ROOT = Path(__file__).resolve().parents[3]
RUNBOOK = (REPO_ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")
TOPIC = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}

# What the on-call is woken by (issue: alarms), by logical id.
STACK_ALARMS = {
    "ApiServerErrorRateAlarm", "TableThrottlesAlarm", "TableSystemErrorsAlarm", "FollowUpDeadLetterAlarm",
    "JobsDeadLetterAlarm", "StreamFailureAlarm", "RetryQueueAgeAlarm", "FollowUpQueueAgeAlarm", "CasesPastSlaAlarm",
    "NotificationFailureRateAlarm", "StockOversoldAlarm", "NotificationDispatcherIteratorAgeAlarm",
}
PER_FUNCTION = ("ErrorsAlarm", "ThrottlesAlarm", "LatencyAlarm")
QUEUE_WORKERS = ("RetryWorker", "FollowupWorker")

# Slow (left out of `make test-fast`): chalice package and cfn-lint.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("chalice-package")]


@pytest.fixture(scope="module", params=["dev", "prod"])
def packaged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    stage = request.param
    template_path = package.chalice_package(stage, tmp_path_factory.mktemp(f"package-{stage}"))
    lint = package.cfn_lint(template_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr  # with the serverless rules (cfn-lint-serverless)
    return stage, dict(json.loads(template_path.read_text(encoding="utf-8")))


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _runbook_sections() -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^## (\S+)\s*$", RUNBOOK, re.M)}


def _app_source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in (REPO_ROOT / "chalicelib").rglob("*.py"))


def test_every_alarm_exists_reaches_the_topic_and_has_a_runbook_section(packaged):
    _stage, template = packaged
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    functions = operations.functions(template)
    expected = STACK_ALARMS | {f"{f}{kind}" for f in functions for kind in PER_FUNCTION}
    assert expected <= set(alarms), expected - set(alarms)
    sections = _runbook_sections()
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [TOPIC] and props["OKActions"] == [TOPIC], name
        runbook = alarm["Metadata"]["Runbook"]
        assert runbook in sections, f"{name}: no '## {runbook}' in docs/runbook.md"
        assert props["AlarmDescription"].endswith(f"docs/runbook.md#{runbook}"), name
        assert len(props["AlarmDescription"]) <= 1024, name  # CloudWatch's limit
        assert "@" not in json.dumps(props), f"{name}: a placeholder was left"


def test_the_alarm_topic_is_a_parameter_or_an_encrypted_topic_of_the_stack(packaged):
    _stage, template = packaged
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Conditions"]["CreateAlarmTopic"] == {"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}
    topic = template["Resources"]["AlarmTopic"]
    assert topic["Condition"] == "CreateAlarmTopic"
    assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = template["Resources"]["AlarmTopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_the_alarms_measure_what_the_issue_names(packaged):
    _stage, template = packaged
    resources = template["Resources"]
    rate = resources["ApiServerErrorRateAlarm"]["Properties"]
    assert rate["Threshold"] == 1 and rate["ComparisonOperator"] == "GreaterThanThreshold"
    assert {m["MetricStat"]["Period"] for m in rate["Metrics"] if "MetricStat" in m} == {300}
    for f in operations.functions(template):
        latency = resources[f"{f}LatencyAlarm"]["Properties"]
        assert latency["ExtendedStatistic"] == "p90" and latency["MetricName"] == "Duration"
        if f in ("APIHandler", *QUEUE_WORKERS, "NotificationDispatcher"):
            assert latency["Threshold"] == 1000, f
    for queue in ("RetryQueueAgeAlarm", "FollowUpQueueAgeAlarm"):
        props = resources[queue]["Properties"]
        assert props["MetricName"] == "ApproximateAgeOfOldestMessage" and props["Threshold"] == 300
    assert resources["StockOversoldAlarm"]["Properties"]["Threshold"] == 1  # anything above 0


def test_every_app_metric_an_alarm_or_the_business_dashboard_reads_is_emitted_by_the_app(packaged):
    _stage, template = packaged
    source = _app_source()
    read = {k.metric for k in BUSINESS}
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        stats = [m["MetricStat"]["Metric"] for m in props.get("Metrics", []) if "MetricStat" in m] + [props]
        read |= {m["MetricName"] for m in stats if m.get("Namespace") == "MemberPortal"}
    assert {"CasesPastSla", "StockOversold", "NotificationSend_failed"} <= read
    for metric in read:
        prefix = metric.split("_")[0]
        assert f'"{metric}"' in source or f'"{prefix}_{{' in source, f"{metric} is read but never emitted"
    body = template["Resources"]["BusinessDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert all(f'"{k.metric}"' in body for k in BUSINESS)


def test_the_service_dashboard_shows_every_function_queue_and_route_group(packaged):
    _stage, template = packaged
    body = template["Resources"]["ServiceDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    json.loads(body)  # a dashboard body is JSON
    for f in operations.functions(template):
        assert f"${{{f}}}" in body
    for q in _of_type(template, "AWS::SQS::Queue"):
        assert f"${{{q}.QueueName}}" in body
    assert '"Latency_mall"' in body and '"IteratorAge"' in body


def test_every_function_is_traced_and_deployed_through_an_alias_with_the_stage_deployment(packaged):
    stage, template = packaged
    functions = operations.functions(template)
    assert len(functions) >= 10
    expected = {"dev": "AllAtOnce", "prod": "Canary10Percent5Minutes"}[stage]
    for name, function in functions.items():
        props = function["Properties"]
        assert props["Tracing"] == "Active", name
        assert props["AutoPublishAlias"] == "live", name
        preference = props["DeploymentPreference"]
        assert preference["Type"] == expected, name
        alarms = {a["Ref"] for a in preference["Alarms"]}
        assert {f"{name}ErrorsAlarm", f"{name}LatencyAlarm"} <= alarms, name
    assert "ApiServerErrorRateAlarm" in {a["Ref"] for a in functions["APIHandler"]["Properties"]["DeploymentPreference"]
                                         ["Alarms"]}
    assert template["Resources"]["RestAPI"]["Properties"]["TracingEnabled"] is True


def test_the_api_invokes_the_alias_so_the_canary_takes_real_traffic(packaged):
    _stage, template = packaged
    resources = template["Resources"]
    body = json.dumps(resources["RestAPI"]["Properties"]["DefinitionBody"])
    assert "${APIHandler.Arn}" not in body and "${APIHandlerAliaslive}" in body
    assert resources["APIHandlerInvokePermission"]["Properties"]["FunctionName"] == {"Ref": "APIHandlerAliaslive"}


def test_cost_guards_come_from_parameters_with_stage_defaults(packaged):
    stage, template = packaged
    resources, parameters = template["Resources"], template["Parameters"]
    table = resources["MemberTable"]["Properties"]
    assert table["OnDemandThroughput"] == {"MaxReadRequestUnits": {"Ref": "TableMaxReadRequestUnits"},
                                           "MaxWriteRequestUnits": {"Ref": "TableMaxWriteRequestUnits"}}
    for index in table["GlobalSecondaryIndexes"]:
        assert index["OnDemandThroughput"] == {"MaxReadRequestUnits": {"Ref": "IndexMaxReadRequestUnits"},
                                               "MaxWriteRequestUnits": {"Ref": "IndexMaxWriteRequestUnits"}}
    stage_defaults = operations.load()["Stages"][stage]["Parameters"]
    for name, value in stage_defaults.items():
        assert parameters[name]["Default"] == value, name
    for worker in QUEUE_WORKERS:
        props = resources[worker]["Properties"]
        assert props["ReservedConcurrentExecutions"] == {"Ref": "WorkerReservedConcurrency"}
        source = props["Events"][f"{worker}SqsEventSource"]["Properties"]
        assert source["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "WorkerReservedConcurrency"}}
    throttling = resources["RestAPI"]["Properties"]["MethodSettings"][0]
    assert throttling["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}


def test_prod_guards_are_wider_than_dev():
    stages = operations.load()["Stages"]
    for name, dev_value in stages["dev"]["Parameters"].items():
        if name != "LogRetentionDays":
            assert stages["prod"]["Parameters"][name] > dev_value, name


def test_jobs_and_the_stream_consumer_hand_their_failures_to_an_alarmed_queue(packaged):
    _stage, template = packaged
    resources = template["Resources"]
    for name, function in operations.functions(template).items():
        props = function["Properties"]
        for event in props.get("Events", {}).values():
            if event["Type"] == "Schedule":
                assert event["Properties"]["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["JobsDeadLetterQueue",
                                                                                           "Arn"]}}, name
                assert props["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]["Destination"] == {
                    "Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}, name
            if event["Type"] == "DynamoDB":
                assert event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
                    "Fn::GetAtt": ["NotificationStreamFailureQueue", "Arn"]}, name
        log_group = resources[f"{name}LogGroup"]["Properties"]
        assert log_group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{name}}}"}
        assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
