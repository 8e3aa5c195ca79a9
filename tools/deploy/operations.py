"""Operations added to the packaged template: ``infra/operations.json`` applied to every function chalice wrote.

chalice's ``--merge-template`` takes one file and a plain deep merge; what operations need depends on the functions
the app declares (a job added to an area's manifest is a new function, and gets its alarms, log group, alias and
dead-letter wiring here without anyone editing the template). So ``tools/deploy/package.py`` calls ``apply`` on the
merged template:

- the static resources of ``infra/operations.json`` (the alarm topic and its KMS key, the table, queue and business
  alarms, the jobs' and the stream's dead-letter queues), its parameters with the stage's defaults, and conditions;
- for each function: a log group with retention, alarms on errors, throttles and p90 duration (1 s, or 80% of
  the timeout for a scheduled job), tracing, ``AutoPublishAlias`` with a ``DeploymentPreference`` (the stage's type,
  rolling back on the function's own alarms, and on the API's 5xx rate for the API handler); scheduled jobs get a
  dead-letter queue and an on-failure destination; stream consumers an on-failure destination and an iterator-age
  alarm; queue workers a reserved concurrency matched by their event source's maximum concurrency;
- the cost guards: ``OnDemandThroughput`` on each table and index, API stage throttling, from parameters;
- the API invoking the API handler's alias (not ``$LATEST``), so its canary carries real traffic;
- the two dashboards (``tools/deploy/dashboards.py``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tools.deploy import dashboards

REPO_ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = REPO_ROOT / "infra" / "operations.json"
ALIAS = "live"
API_FUNCTION = "APIHandler"
JOB_LATENCY_SHARE = 0.8  # a scheduled job's p90 alarm: this share of its timeout (it is about to time out)
MEMBER_LATENCY_MS = 1000
TOPIC = {"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}


def load() -> dict[str, Any]:
    return dict(json.loads(OPERATIONS.read_text(encoding="utf-8")))


def _substitute(node: Any, marks: dict[str, Any]) -> Any:
    """A copy of ``node`` with each mark replaced: a whole-string mark by its value (any type), inside a string as
    text."""
    if isinstance(node, dict):
        return {_substitute(k, marks): _substitute(v, marks) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, marks) for v in node]
    if isinstance(node, str):
        if node in marks:
            return copy.deepcopy(marks[node])
        for mark, value in marks.items():
            if isinstance(value, (str, int)):
                node = node.replace(mark, str(value))
        return node
    return node


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r.get("Type") == "AWS::Serverless::Function"}


def _event_types(function: dict[str, Any]) -> set[str]:
    return {str(e.get("Type")) for e in function.get("Properties", {}).get("Events", {}).values()}


def latency_threshold_ms(function: dict[str, Any], template: dict[str, Any]) -> int:
    if "Schedule" not in _event_types(function):
        return MEMBER_LATENCY_MS
    timeout = function["Properties"].get("Timeout") or template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
    return int(float(timeout) * 1000 * JOB_LATENCY_SHARE)


def apply(template: dict[str, Any], stage: str) -> dict[str, Any]:
    """Adds the operations to ``template`` (in place) for ``stage``; returns it."""
    ops = load()
    settings = ops["Stages"][stage]
    parameters = template.setdefault("Parameters", {})
    for name, spec in ops["Parameters"].items():
        parameters[name] = {**spec, **({"Default": settings["Parameters"][name]}
                                       if name in settings["Parameters"] else {})}
    template.setdefault("Conditions", {}).update(ops["Conditions"])
    resources = template["Resources"]
    resources.update(copy.deepcopy(ops["Resources"]))
    for name, function in functions(template).items():
        _operate_function(template, name, function, ops["PerFunction"], settings["DeploymentType"])
    _guard_tables(resources)
    for queue in resources.values():  # a last dead-letter queue has nowhere to redrive to: a person replays it
        if queue.get("Type") == "AWS::SQS::Queue" and "RedrivePolicy" not in queue.get("Properties", {}):
            queue.setdefault("Metadata", {})["cfn-lint"] = {"config": {"ignore_checks": ["ES6000"]}}
    _operate_api(resources)
    resources.update(dashboards.build(template))
    template.setdefault("Outputs", {})["AlarmTopicArn"] = {"Value": TOPIC}
    template["Resources"] = _substitute(resources, {"@TOPIC@": TOPIC})
    return template


def _operate_function(template: dict[str, Any], name: str, function: dict[str, Any], per_function: dict[str, Any],
                      deployment_type: str) -> None:
    resources = template["Resources"]
    props = function["Properties"]
    kinds = _event_types(function)
    marks = {"@FN@": name, "@LATENCY@": latency_threshold_ms(function, template)}
    resources.update(_substitute(per_function["Resources"], marks))
    if "DynamoDB" in kinds or "Kinesis" in kinds:
        resources.update(_substitute(per_function["StreamConsumer"], marks))
    props["Tracing"] = "Active"
    props["AutoPublishAlias"] = ALIAS
    rollback = [f"{name}ErrorsAlarm", f"{name}LatencyAlarm"]
    if name == API_FUNCTION:
        rollback.insert(0, "ApiServerErrorRateAlarm")
    props["DeploymentPreference"] = {"Type": deployment_type, "Alarms": [{"Ref": a} for a in rollback]}
    for event in props.get("Events", {}).values():
        event_props = event.setdefault("Properties", {})
        if event["Type"] == "Schedule":
            event_props["DeadLetterConfig"] = {"Arn": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}}
            event_props["RetryPolicy"] = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
        elif event["Type"] == "DynamoDB":
            event_props["DestinationConfig"] = {"OnFailure": {"Destination": {
                "Fn::GetAtt": ["NotificationStreamFailureQueue", "Arn"]}}}
        elif event["Type"] == "SQS":
            props["ReservedConcurrentExecutions"] = {"Ref": "WorkerReservedConcurrency"}
            event_props["ScalingConfig"] = {"MaximumConcurrency": {"Ref": "WorkerReservedConcurrency"}}
    if "Schedule" in kinds:
        props["EventInvokeConfig"] = {"MaximumRetryAttempts": 2, "DestinationConfig": {"OnFailure": {
            "Type": "SQS", "Destination": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}}}}


def _guard_tables(resources: dict[str, Any]) -> None:
    for resource in resources.values():
        if resource.get("Type") != "AWS::DynamoDB::Table":
            continue
        props = resource["Properties"]
        props["OnDemandThroughput"] = {"MaxReadRequestUnits": {"Ref": "TableMaxReadRequestUnits"},
                                       "MaxWriteRequestUnits": {"Ref": "TableMaxWriteRequestUnits"}}
        for index in props.get("GlobalSecondaryIndexes", []):
            index["OnDemandThroughput"] = {"MaxReadRequestUnits": {"Ref": "IndexMaxReadRequestUnits"},
                                           "MaxWriteRequestUnits": {"Ref": "IndexMaxWriteRequestUnits"}}


def _operate_api(resources: dict[str, Any]) -> None:
    api = resources["RestAPI"]
    props = api["Properties"]
    props["Name"] = {"Fn::Sub": "member-portal-${Stage}"}
    props["TracingEnabled"] = True
    props["MethodSettings"] = [{
        "ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": False,
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
    }]
    api.setdefault("Metadata", {})["cfn-lint"] = {"config": {"ignore_checks": ["ES2000"]}}
    api["Metadata"]["AccessLogs"] = (
        "No API Gateway access log: it needs the account-wide API Gateway CloudWatch role, which one stack should not "
        "own. Each request is in the API handler's log (request id, path, status through the error envelope) and "
        "in X-Ray.")
    # The API calls the alias, so that a canary's share of traffic really reaches the new version.
    # SAM names the alias it publishes <function>Alias<alias>; ``${APIHandler.Alias}`` is not resolved inside an
    # API's DefinitionBody, the alias's own logical id is (its Ref is the alias's ARN).
    alias = f"{API_FUNCTION}Alias{ALIAS}"
    body = json.dumps(props["DefinitionBody"])
    props["DefinitionBody"] = json.loads(body.replace(f"${{{API_FUNCTION}.Arn}}", f"${{{alias}}}"))
    resources[f"{API_FUNCTION}InvokePermission"]["Properties"]["FunctionName"] = {"Ref": alias}
