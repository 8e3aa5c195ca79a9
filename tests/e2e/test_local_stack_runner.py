"""The local stack runner (``tools/stack/runner.py``) as a whole, over HTTP: it serves the API with its seeded staff,
answers unknown routes like the deployed gateway, moves a message that keeps failing on to follow-up, and stops
every process it started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest

from tests.support.local_stack import ready_info, start_local_stack
from tests.support.sign_in import staff_login
from tests.support.sqs import wait_for_messages
from tools import procs

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def test_local_stack_serves_the_api_with_seeded_staff(local_stack):
    with urllib.request.urlopen(local_stack + "/v1/health", timeout=10) as response:
        assert response.status == 200 and json.loads(response.read()) == {"status": "ok"}
    assert staff_login(local_stack, "agent", "agent-local-pass")["role"] == "agent"
    assert staff_login(local_stack, "admin", "admin-local-pass")["role"] == "admin"
    assert procs.http_answers(local_stack.wechat_url + "/__sim/stats") == 200


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer whatever"}])
def test_local_stack_answers_unknown_routes_like_the_deployed_gateway(local_stack, headers):
    request = urllib.request.Request(local_stack + "/v1/no-such-route", headers=headers)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 404
    error = json.loads(caught.value.read())["error"]
    assert error["code"] == "route_not_found" and error["details"] == []
    assert error["request_id"] and "$context" not in error["request_id"]


@pytest.mark.slow
def test_local_stack_moves_a_message_that_keeps_failing_to_follow_up_within_a_minute(local_stack):
    creds = {"region_name": "ap-east-1", "aws_access_key_id": "local", "aws_secret_access_key": "local"}
    sqs = boto3.client("sqs", endpoint_url=local_stack.sqs_endpoint, **creds)
    retry_url = sqs.get_queue_url(QueueName="member-portal-retry")["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName="member-portal-followup-dlq")["QueueUrl"]
    marker = uuid.uuid4().hex
    sqs.send_message(QueueUrl=retry_url, MessageBody=json.dumps({"kind": "no-such-kind", "transaction_id": marker}))
    started = time.monotonic()
    # Nobody handles this kind: retry_worker fails it until the redrive moves it to the follow-up queue, where
    # followup_worker fails it too, until it lands in the follow-up dead-letter queue.
    arrived = wait_for_messages(sqs, dlq_url, count=1, timeout=90)
    assert arrived[0]["body"]["transaction_id"] == marker
    assert time.monotonic() - started < 90


def test_local_stack_stops_every_process_it_started(tmp_path):
    stack = start_local_stack(tmp_path / "stack", extra_args=["--no-seed"])
    info = ready_info(stack)
    ports = [int(info[key].rsplit(":", 1)[1]) for key in ("api", "dynamodb", "sqs", "wechat")]
    assert all(procs.port_is_open("127.0.0.1", port) for port in ports)
    assert stack.process is not None
    children = _children(stack.process.pid)
    assert len(children) >= 2  # DynamoDB Local and moto's server
    os.kill(stack.process.pid, signal.SIGTERM)
    assert stack.process.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.2)
    assert not [pid for pid in children if _alive(pid)], "orphaned child processes"
    assert not any(procs.port_is_open("127.0.0.1", port) for port in ports)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.split(")")[-1].split()[0] != "Z"
