"""The infrastructure as code: the merge template, the chalice stages, the IAM policy, and the real
``chalice package`` + cfn-lint output they make together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tools.deploy import package
from tools.stack import provision

REPO_ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = provision.load_template()
CONFIG = json.loads((REPO_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
POLICY = json.loads((REPO_ROOT / ".chalice" / "policy.json").read_text(encoding="utf-8"))
RESOURCES = TEMPLATE["Resources"]

# Every variable chalicelib/core/config.py reads that must be set in AWS (the rest have safe defaults).
DEPLOYED_ENV = {
    "STAGE", "TABLE_NAME", "RETRY_QUEUE_NAME", "FOLLOWUP_QUEUE_NAME", "JWT_SECRET",
    "OTP_SECRET", "SMS_PROVIDER", "WECHAT_API_BASE", "WECHAT_MP_APP_ID", "WECHAT_MP_SECRET", "WECHAT_OA_APP_ID",
    "WECHAT_OA_SECRET", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE",
    "WECHATPAY_API_BASE", "WECHATPAY_MCH_ID", "WECHATPAY_APP_ID", "WECHATPAY_OA_APP_ID", "WECHATPAY_OPEN_APP_ID",
    "WECHATPAY_MCH_SERIAL", "WECHATPAY_PLATFORM_SERIAL",
    "WECHATPAY_NOTIFY_URL", "WECHATPAY_MCH_PRIVATE_KEY", "WECHATPAY_PLATFORM_PUBLIC_KEY", "WECHATPAY_API_V3_KEY",
}
SECRETS = {"JWT_SECRET", "OTP_SECRET", "WECHAT_MP_SECRET", "WECHAT_OA_SECRET",
           "WECHATPAY_MCH_PRIVATE_KEY", "WECHATPAY_PLATFORM_PUBLIC_KEY", "WECHATPAY_API_V3_KEY"}
ALLOWED_ACTIONS = {
    *(f"dynamodb:{a}" for a in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem",
                                "BatchWriteItem", "TransactWriteItems", "TransactGetItems", "ConditionCheckItem")),
    "dynamodb:Scan",  # only the migrate_member_partition job (chalicelib/identity/partition_migration.py) scans
    # the notification dispatcher's event source reads the table's stream (and only it: see the policy's Resource)
    *(f"dynamodb:{a}" for a in ("DescribeStream", "GetRecords", "GetShardIterator", "ListStreams")),
    *(f"sqs:{a}" for a in ("SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes",
                           "ChangeMessageVisibility", "GetQueueUrl")),
    "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
    "xray:PutTraceSegments", "xray:PutTelemetryRecords",
    "sns:Publish",  # SMS codes on deployed stages (chalicelib/core/sms.py); SMS to a phone has no topic ARN
}


def _actions(policy: dict[str, Any]) -> list[str]:
    actions: list[str] = []
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        value = statement["Action"]
        actions += [value] if isinstance(value, str) else value
    return actions


def _assert_least_privilege(policy: dict[str, Any]) -> None:
    actions = _actions(policy)
    assert not [a for a in actions if "*" in a], "wildcard actions"
    assert set(actions) <= ALLOWED_ACTIONS, set(actions) - ALLOWED_ACTIONS
    for statement in policy["Statement"]:
        if statement["Resource"] == "*":  # X-Ray and SMS to a phone number have no resource to name
            assert all(a.startswith("xray:") or a == "sns:Publish" for a in _actions({"Statement": [statement]}))


# ------------------------------------------------------------------------------ the template alone


def test_application_table_keys_indexes_and_protection():
    table = RESOURCES["MemberTable"]
    props = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]} == {
        name: "S" for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "facts_id")
    }
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    for n in (1, 2):
        assert indexes[f"gsi{n}"]["KeySchema"] == [
            {"AttributeName": f"gsi{n}pk", "KeyType": "HASH"},
            {"AttributeName": f"gsi{n}sk", "KeyType": "RANGE"},
        ]
        assert indexes[f"gsi{n}"]["Projection"] == {"ProjectionType": "ALL"}
    # sparse: only the members' FACTS items carry facts_id; keys only, so a facts update never writes the index
    assert indexes["facts"]["KeySchema"] == [{"AttributeName": "facts_id", "KeyType": "HASH"}]
    assert indexes["facts"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["DeletionProtectionEnabled"] is True


def test_the_one_table_is_the_only_table():
    """Idempotency records live in the caller's partition of the application table; no other table is paid for."""
    tables = {name for name, r in RESOURCES.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    assert tables == {"MemberTable"}


def test_queues_retention_encryption_redrive_and_visibility():
    worker_timeout = max(f["lambda_timeout"] for f in CONFIG["lambda_functions"].values())
    for logical_id in ("RetryQueue", "FollowUpQueue", "FollowUpDeadLetterQueue"):
        props = RESOURCES[logical_id]["Properties"]
        assert props["MessageRetentionPeriod"] == 1209600
        assert props["SqsManagedSseEnabled"] is True
        # AWS's advice for Lambda event sources: at least 6x the function timeout.
        assert props["VisibilityTimeout"] >= 6 * worker_timeout
    retry, followup = RESOURCES["RetryQueue"]["Properties"], RESOURCES["FollowUpQueue"]["Properties"]
    assert retry["QueueName"] == "member-portal-retry" and followup["QueueName"] == "member-portal-followup"
    assert retry["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["FollowUpQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert followup["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["FollowUpDeadLetterQueue", "Arn"]}


def test_local_queue_settings_reach_follow_up_within_a_minute():
    local = RESOURCES["RetryQueue"]["Metadata"]["Local"]
    assert local["VisibilityTimeout"] * local["MaxReceiveCount"] <= 30


def test_follow_up_queue_gives_its_worker_attempts_of_its_own():
    # SQS keeps a message's receive count when the redrive moves it: the follow-up queue must allow more
    # receives than the retry queue did, or the message passes straight on to the last dead-letter queue.
    retry, followup = RESOURCES["RetryQueue"], RESOURCES["FollowUpQueue"]
    aws_retry = retry["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    assert followup["Properties"]["RedrivePolicy"]["maxReceiveCount"] >= aws_retry + 3
    assert followup["Metadata"]["Local"]["MaxReceiveCount"] >= retry["Metadata"]["Local"]["MaxReceiveCount"] + 3


def test_sqs_event_sources_report_batch_item_failures_and_keep_chalice_queue():
    for function in ("RetryWorker", "FollowupWorker"):
        source = RESOURCES[function]["Properties"]["Events"][f"{function}SqsEventSource"]["Properties"]
        assert source == {"FunctionResponseTypes": ["ReportBatchItemFailures"]}, "merge must not touch Queue"


@pytest.mark.parametrize("response_type", ["DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN"])
def test_gateway_responses_use_the_error_envelope(response_type):
    response = RESOURCES["RestAPI"]["Properties"]["GatewayResponses"][response_type]
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "request_id", "details"}
    assert body["error"]["request_id"] == "$context.requestId" and body["error"]["details"] == []
    if response_type == "MISSING_AUTHENTICATION_TOKEN":
        assert response["StatusCode"] == "404" and body["error"]["code"] == "route_not_found"


def test_policy_is_least_privilege():
    _assert_least_privilege(POLICY)
    assert CONFIG["autogen_policy"] is False


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_deployed_stages_take_secrets_from_secrets_manager(stage):
    env = {**CONFIG["environment_variables"], **CONFIG["stages"][stage]["environment_variables"]}
    from_template = set(TEMPLATE["Globals"]["Function"]["Environment"]["Variables"])
    assert set(env) | from_template >= DEPLOYED_ENV
    for name in SECRETS:
        assert env[name].startswith("{{resolve:secretsmanager:"), name
    assert not {"DYNAMODB_ENDPOINT", "SQS_ENDPOINT"} & set(env), "AWS stages must use the real endpoints"


def test_local_stage_points_at_local_endpoints_and_disables_tracing_and_metrics():
    env = CONFIG["stages"]["local"]["environment_variables"]
    assert env["STAGE"] == "local"
    assert env["DYNAMODB_ENDPOINT"].startswith("http://127.0.0.1:")
    assert env["SQS_ENDPOINT"].startswith("http://127.0.0.1:")
    assert env["WECHAT_API_BASE"].startswith("http://127.0.0.1:")
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true" and env["POWERTOOLS_METRICS_DISABLED"] == "true"
    assert not any(value.startswith("{{resolve") for value in env.values())


# ------------------------------------------------------------------- chalice package + cfn-lint


@pytest.fixture(scope="module")
def package_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template_path = package.chalice_package("dev", tmp_path_factory.mktemp("package"))
    lint = package.cfn_lint(template_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    return template_path.parent


@pytest.fixture(scope="module")
def packaged(package_dir: Path) -> dict[str, Any]:
    return dict(json.loads((package_dir / "sam.json").read_text(encoding="utf-8")))


@pytest.mark.integration
@pytest.mark.slow  # chalice package and cfn-lint
@pytest.mark.xdist_group("chalice-package")
def test_the_bundle_carries_bytecode_that_python_loads_without_its_source(package_dir: Path, tmp_path: Path):
    """Lambda's code directory is read-only: without bytecode in the zip, every cold start compiles from source."""
    with zipfile.ZipFile(package_dir / "deployment.zip") as bundle:
        names = set(bundle.namelist())
        bundle.extractall(tmp_path)
    tag = sys.implementation.cache_tag
    for module in ("app.py", "chalicelib/core/clock.py", "pynamodb/models.py", "chalice/app.py"):
        folder, _, file = module.rpartition("/")
        assert f"{folder + '/' if folder else ''}__pycache__/{file[:-3]}.{tag}.pyc" in names, module
    # A source changed after packaging is not read: the import runs the bundle's bytecode.
    (tmp_path / "chalicelib/core/clock.py").write_text("raise ImportError('compiled from source')\n")
    probe = subprocess.run(
        [sys.executable, "-c", "import chalicelib.core.clock as c; print(c.__spec__.cached)"],
        cwd=tmp_path, env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tmp_path),
                           "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True, text=True, check=False)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip().endswith(f"clock.{tag}.pyc")


@pytest.mark.integration
@pytest.mark.slow  # chalice package and cfn-lint
@pytest.mark.xdist_group("chalice-package")
def test_packaged_template_has_partial_batch_responses_and_queue_dependencies(packaged):
    resources = packaged["Resources"]
    for function, queue_id, queue_name in (
        ("RetryWorker", "RetryQueue", "member-portal-retry"),
        ("FollowupWorker", "FollowUpQueue", "member-portal-followup"),
    ):
        assert resources[function]["Type"] == "AWS::Serverless::Function"
        source = resources[function]["Properties"]["Events"][f"{function}SqsEventSource"]
        assert source["Type"] == "SQS"
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        # Chalice's queue reference is untouched (a single intrinsic) and names the template's queue.
        assert list(source["Properties"]["Queue"]) == ["Fn::Sub"]
        assert source["Properties"]["Queue"]["Fn::Sub"].endswith(f":{queue_name}")
        assert resources[queue_id]["Properties"]["QueueName"] == queue_name
        assert resources[function]["DependsOn"][0] == queue_id  # (the retry worker also waits for its ENI policy)


@pytest.mark.integration
@pytest.mark.slow  # chalice package and cfn-lint
@pytest.mark.xdist_group("chalice-package")
def test_packaged_notification_dispatcher_reads_the_table_stream_filtered_with_partial_failures(packaged):
    resources = packaged["Resources"]
    assert resources["MemberTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    source = resources["NotificationDispatcher"]["Properties"]["Events"]["NotificationDispatcherDynamodbEventSource"]
    assert source["Type"] == "DynamoDB"
    props = source["Properties"]
    assert props["Stream"] == {"Fn::GetAtt": ["MemberTable", "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    pattern = json.loads(props["FilterCriteria"]["Filters"][0]["Pattern"])
    assert pattern["eventName"] == ["INSERT"]
    assert pattern["dynamodb"]["NewImage"]["sk"] == {"S": [{"prefix": "N#"}]}


@pytest.mark.integration
@pytest.mark.slow  # chalice package and cfn-lint
@pytest.mark.xdist_group("chalice-package")
def test_packaged_template_keeps_redrive_retention_pitr_and_sse(packaged):
    resources = packaged["Resources"]
    assert resources["RetryQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
    for queue in ("RetryQueue", "FollowUpQueue", "FollowUpDeadLetterQueue"):
        assert resources[queue]["Properties"]["MessageRetentionPeriod"] == 1209600
    for table in ("MemberTable",):
        props = resources[table]["Properties"]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True
    assert packaged["Parameters"]["Stage"]["Default"] == "dev"
    assert "GatewayResponses" in resources["RestAPI"]["Properties"]


@pytest.mark.integration
@pytest.mark.slow  # chalice package and cfn-lint
@pytest.mark.xdist_group("chalice-package")
def test_packaged_roles_are_least_privilege_and_functions_get_their_environment(packaged):
    resources = packaged["Resources"]
    roles = [r for r in resources.values() if r["Type"] == "AWS::IAM::Role"]
    assert roles
    for role in roles:
        for policy in role["Properties"]["Policies"]:
            _assert_least_privilege(policy["PolicyDocument"])
        assert "ManagedPolicyArns" not in role["Properties"]
    global_env = set(packaged["Globals"]["Function"]["Environment"]["Variables"])
    functions = [r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"]
    assert len(functions) >= 3
    for function in functions:
        env = set(function["Properties"]["Environment"]["Variables"]) | global_env
        assert env >= DEPLOYED_ENV, DEPLOYED_ENV - env
        assert function["Properties"]["Tracing"] == "Active"


# ------------------------------------------------------------------------------- a fixed egress for WeChat

WECHAT_CALLERS = ("RetryWorker", "NotificationDispatcher", "NotificationsReleaseHeld")
ENI_ACTIONS = {"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
               "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}


def test_wechat_egress_nat_gives_the_wechat_callers_one_elastic_ip_only_when_turned_on():
    assert TEMPLATE["Parameters"]["WeChatEgress"]["AllowedValues"] == ["none", "nat"]
    assert TEMPLATE["Parameters"]["WeChatEgress"]["Default"] == "none"
    assert TEMPLATE["Conditions"]["UseWeChatNat"] == {"Fn::Equals": [{"Ref": "WeChatEgress"}, "nat"]}
    nat = RESOURCES["EgressNatGateway"]
    assert nat["Properties"]["AllocationId"] == {"Fn::GetAtt": ["WeChatEgressIp", "AllocationId"]}
    assert RESOURCES["WeChatEgressIp"]["Type"] == "AWS::EC2::EIP"
    network = [n for n, r in RESOURCES.items() if r.get("Type", "").startswith("AWS::EC2::")]
    assert all(RESOURCES[n].get("Condition") == "UseWeChatNat" for n in network), "nothing to pay for when off"
    assert RESOURCES["EgressPrivateRoute"]["Properties"]["NatGatewayId"] == {"Ref": "EgressNatGateway"}
    for function in WECHAT_CALLERS:
        vpc = RESOURCES[function]["Properties"]["VpcConfig"]["Fn::If"]
        assert vpc[0] == "UseWeChatNat" and vpc[2] == {"Ref": "AWS::NoValue"}
        assert vpc[1]["SubnetIds"] == [{"Ref": "EgressPrivateSubnetA"}, {"Ref": "EgressPrivateSubnetB"}]
        assert "WeChatEgressNetworkPolicy" in RESOURCES[function]["DependsOn"]  # the role may make ENIs first
    assert TEMPLATE["Outputs"]["WeChatEgressIp"] == {**TEMPLATE["Outputs"]["WeChatEgressIp"],
                                                     "Condition": "UseWeChatNat", "Value": {"Ref": "WeChatEgressIp"}}


def test_the_network_interface_policy_grants_only_what_lambda_needs_in_a_vpc():
    policy = RESOURCES["WeChatEgressNetworkPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": f"{f}Role"} for f in WECHAT_CALLERS]
    [statement] = policy["PolicyDocument"]["Statement"]
    when_on, when_off = statement["Action"]["Fn::If"][1:]
    assert set(when_on) == ENI_ACTIONS and when_off == ["ec2:DescribeNetworkInterfaces"]  # read-only when off
    assert statement["Resource"] == "*"  # these actions take no resource ARN
    assert package.WECHAT_EGRESS == {"prod": "nat"}


@pytest.mark.integration
@pytest.mark.slow  # chalice package and cfn-lint
@pytest.mark.xdist_group("chalice-package")
def test_packaged_functions_that_call_wechat_are_the_ones_behind_the_egress(packaged):
    resources = packaged["Resources"]
    assert packaged["Parameters"]["WeChatEgress"]["Default"] == "none"  # dev; prod packages with nat
    roles = {r["Ref"] for r in resources["WeChatEgressNetworkPolicy"]["Properties"]["Roles"]}
    assert roles <= set(resources)
    for function in WECHAT_CALLERS:
        assert resources[function]["Type"] == "AWS::Serverless::Function"
        assert "VpcConfig" in resources[function]["Properties"]
        assert resources[function]["Properties"]["Role"] == {"Fn::GetAtt": [f"{function}Role", "Arn"]}
    others = [n for n, r in resources.items() if r["Type"] == "AWS::Serverless::Function" and n not in WECHAT_CALLERS]
    assert others and not [n for n in others if "VpcConfig" in resources[n]["Properties"]]
