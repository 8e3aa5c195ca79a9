"""The local tooling: provisioning from the template on every backend we use, the fixtures, the SQS poller's
Lambda semantics, and the local stack runner itself."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from typing import Any

import boto3
import pytest

from tests.support.local_stack import REPO_ROOT
from tests.support.sqs import LambdaContext, failed_message_ids, sqs_event, wait_for_messages
from tests.support.tables import dynamodb_client
from tools import procs
from tools.lambda_emulation.sqs_poller import QueuePoller
from tools.stack import provision

pytestmark = pytest.mark.integration


def _describe(client: Any, name: str) -> dict[str, Any]:
    return dict(client.describe_table(TableName=name)["Table"])


def _assert_tables_match_template(client: Any, tables: dict[str, str]) -> None:
    member = _describe(client, tables["MemberTable"])
    assert {k["AttributeName"]: k["KeyType"] for k in member["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    indexes = {i["IndexName"]: i for i in member["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"gsi1", "gsi2", "facts"}
    assert [k["AttributeName"] for k in indexes["facts"]["KeySchema"]] == ["facts_id"]  # the segments' sparse index
    assert indexes["facts"]["Projection"]["ProjectionType"] == "KEYS_ONLY"
    assert {k["AttributeName"] for k in indexes["gsi2"]["KeySchema"]} == {"gsi2pk", "gsi2sk"}
    assert indexes["gsi1"]["Projection"]["ProjectionType"] == "ALL"
    ttl = client.describe_time_to_live(TableName=tables["MemberTable"])["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "ttl"


# ------------------------------------------------------------------------------------- provisioning


def test_provision_on_dynamodb_local_is_idempotent(ddb_endpoint):
    client = dynamodb_client(ddb_endpoint)
    suffix = f"-{uuid.uuid4().hex[:8]}"
    tables = provision.create_tables(client, stage="t", suffix=suffix)
    try:
        assert tables == {"MemberTable": f"member-portal-t{suffix}"}
        _assert_tables_match_template(client, tables)
        assert provision.create_tables(client, stage="t", suffix=suffix) == tables  # again: no error
    finally:
        provision.delete_tables(client, tables)


def test_provision_in_moto_with_local_and_aws_queue_attributes(aws_mock):
    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    local = provision.provision(dynamodb=dynamodb, sqs=sqs, suffix="-a")
    _assert_tables_match_template(dynamodb, local.tables)
    aws = provision.create_queues(sqs, suffix="-b", local=False)

    def attrs(queue: provision.QueueInfo) -> dict[str, str]:
        return dict(sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"])

    local_retry, aws_retry = attrs(local.queues["RetryQueue"]), attrs(aws["RetryQueue"])
    assert json.loads(local_retry["RedrivePolicy"]) == {
        "deadLetterTargetArn": local.queues["FollowUpQueue"].arn,
        "maxReceiveCount": 3,
    }
    assert local_retry["VisibilityTimeout"] == "5"
    assert json.loads(aws_retry["RedrivePolicy"])["maxReceiveCount"] == 5
    assert aws_retry["VisibilityTimeout"] == "180" and aws_retry["MessageRetentionPeriod"] == "1209600"
    followup = json.loads(attrs(local.queues["FollowUpQueue"])["RedrivePolicy"])
    assert followup["deadLetterTargetArn"] == local.queues["FollowUpDeadLetterQueue"].arn


@pytest.mark.slow
def test_provision_on_moto_server():
    from moto.server import ThreadedMotoServer

    port = procs.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        creds = {"region_name": "ap-east-1", "aws_access_key_id": "t", "aws_secret_access_key": "t"}
        dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, **creds)
        sqs = boto3.client("sqs", endpoint_url=endpoint, **creds)
        result = provision.provision(dynamodb=dynamodb, sqs=sqs, suffix=f"-{uuid.uuid4().hex[:6]}")
        _assert_tables_match_template(dynamodb, result.tables)
        assert set(result.queues) == {"RetryQueue", "FollowUpQueue", "FollowUpDeadLetterQueue"}
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------ fixtures


def _roundtrip_customer() -> None:
    from chalicelib.identity.models import PROFILE_SK, CustomerItem

    CustomerItem(pk="CUST#c1", sk=PROFILE_SK, customer_id="c1", created_at="2026-01-01T00:00:00+08:00").save()
    assert CustomerItem.get("CUST#c1", PROFILE_SK).customer_id == "c1"


def test_ddb_table_points_the_app_at_fresh_tables(ddb_table, ddb_endpoint):
    from chalicelib.core.config import settings

    assert os.environ["TABLE_NAME"] == ddb_table == settings().table_name
    assert os.environ["DYNAMODB_ENDPOINT"] == ddb_endpoint == settings().dynamodb_endpoint
    assert os.environ["STAGE"] == "local" and os.environ["AWS_ACCESS_KEY_ID"] == "testing"
    _roundtrip_customer()
    assert ddb_table in dynamodb_client(ddb_endpoint).list_tables()["TableNames"]


def test_moto_table_runs_the_app_in_process(moto_table):
    from chalicelib.core.config import settings

    assert "DYNAMODB_ENDPOINT" not in os.environ and settings().dynamodb_endpoint is None
    assert settings().table_name == moto_table
    _roundtrip_customer()


def test_sqs_queues_fixture_sets_queue_names(sqs_queues, sqs_client):
    from chalicelib.core.config import settings

    assert settings().retry_queue_name == sqs_queues["RetryQueue"].name == "member-portal-retry"
    assert settings().followup_queue_name == sqs_queues["FollowUpQueue"].name
    assert sqs_client.get_queue_url(QueueName="member-portal-retry")["QueueUrl"] == sqs_queues["RetryQueue"].url


# ------------------------------------------------------------------------------------- SQS poller


def test_sqs_event_gives_every_record_its_own_id():
    event = sqs_event(["a", "b", "c"])
    assert len({r["messageId"] for r in event["Records"]}) == 3
    assert all(r["eventSourceARN"].endswith(":member-portal-retry") for r in event["Records"])


def test_failed_message_ids_follow_lambda_partial_batch_rules():
    event = sqs_event(["ok", "bad"])
    ids = [r["messageId"] for r in event["Records"]]
    ctx = LambdaContext(function_name="f")

    def raises(_event, _context):
        raise RuntimeError("boom")

    assert failed_message_ids(lambda e, c: None, event, ctx) == set()
    assert failed_message_ids(lambda e, c: {"batchItemFailures": []}, event, ctx) == set()
    assert failed_message_ids(lambda e, c: {"batchItemFailures": [{"itemIdentifier": ids[1]}]}, event, ctx) == {ids[1]}
    assert failed_message_ids(raises, event, ctx) == set(ids)
    assert failed_message_ids(lambda e, c: {"batchItemFailures": [{"itemIdentifier": "nope"}]}, event, ctx) == set(ids)
    assert 0 < ctx.get_remaining_time_in_millis() <= 30_000


@pytest.mark.slow
def test_poller_deletes_successes_and_redrive_moves_failures_to_follow_up(sqs_queues, sqs_client):
    retry, followup = sqs_queues["RetryQueue"], sqs_queues["FollowUpQueue"]
    sqs_client.set_queue_attributes(QueueUrl=retry.url, Attributes={"VisibilityTimeout": "1"})
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        assert context.function_name == "member-portal-local-retry_worker"
        return {
            "batchItemFailures": [
                {"itemIdentifier": r["messageId"]} for r in event["Records"] if json.loads(r["body"])["fail"]
            ]
        }

    for fail in (False, True):
        sqs_client.send_message(QueueUrl=retry.url, MessageBody=json.dumps({"fail": fail}))
    poller = QueuePoller(sqs_client, retry.url, handler, function_name="member-portal-local-retry_worker")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not drain_peek(sqs_client, followup.url):
        poller.poll_once()
        time.sleep(0.2)
    moved = wait_for_messages(sqs_client, followup.url, count=1, timeout=10)  # moto moves it still invisible
    assert [m["body"] for m in moved] == [{"fail": True}]
    assert int(moved[0]["attributes"]["ApproximateReceiveCount"]) >= 3  # delivered maxReceiveCount times first
    bodies = [json.loads(r["body"]) for event in seen for r in event["Records"]]
    assert bodies.count({"fail": False}) == 1, "a success is deleted, never redelivered"
    assert bodies.count({"fail": True}) == 3
    assert seen[0]["Records"][0]["eventSourceARN"] == retry.arn


def drain_peek(sqs: Any, url: str) -> bool:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) > 0


# ------------------------------------------------------------------------------------ the local stack


def test_gateway_errors_map_to_the_template_response_types():
    from chalice.local import ForbiddenError, InvalidAuthorizerError, NotAuthorizedError

    from tools.lambda_emulation.api_gateway import gateway_response_type, gateway_responses

    missing = ForbiddenError({"x-amzn-ErrorType": "UnauthorizedException"}, b"{}")
    assert gateway_response_type(missing) == "MISSING_AUTHENTICATION_TOKEN"
    assert gateway_response_type(ForbiddenError({"x-amzn-ErrorType": "AccessDeniedException"}, b"")) == "ACCESS_DENIED"
    assert gateway_response_type(NotAuthorizedError({}, b"")) == "UNAUTHORIZED"
    assert gateway_response_type(InvalidAuthorizerError({}, b"")) == "DEFAULT_5XX"
    assert {"MISSING_AUTHENTICATION_TOKEN", "ACCESS_DENIED", "UNAUTHORIZED", "DEFAULT_5XX"} <= set(gateway_responses())


@pytest.mark.slow  # real processes
def test_local_stack_refuses_busy_ports(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tools.stack.runner", "--port", str(port), "--dynamodb-port", "0", "--sqs-port", "0",
             "--wechat-port", "0", "--log-dir", str(tmp_path)],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
        )
    assert result.returncode == 2
    assert f"API port {port}" in result.stderr


@pytest.mark.slow  # real processes
def test_run_job_lists_scheduled_jobs():
    result = subprocess.run(
        [sys.executable, "-m", "tools.stack.run_job", "--list"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "scheduled jobs" in result.stdout
