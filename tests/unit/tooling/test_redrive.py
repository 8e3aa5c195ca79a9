"""``tools/deploy/redrive.py``, the runbook's replay of a dead-letter queue (moto's SQS)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tools.deploy import redrive


def _visible(sqs_client: Any, url: str) -> int:
    attrs = sqs_client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attrs["Attributes"]["ApproximateNumberOfMessages"])


@pytest.mark.slow
def test_a_dry_run_counts_by_kind_and_moves_nothing_then_a_redrive_moves_every_message_once(sqs_queues, sqs_client,
                                                                                            capsys):
    dlq, target = sqs_queues["FollowUpDeadLetterQueue"], sqs_queues["FollowUpQueue"]
    bodies = [{"kind": "redemption", "transaction_id": f"t{i}", "phone": "13912345678"} for i in range(3)]
    bodies.append({"kind": "membership_order", "transaction_id": "t9"})
    for body in bodies:
        sqs_client.send_message(QueueUrl=dlq.url, MessageBody=json.dumps(body))

    assert redrive.main(["--from", dlq.name, "--dry-run", "--region", "ap-east-1"]) == 0
    out = capsys.readouterr().out
    assert "4 message(s) found: membership_order=1, redemption=3" in out
    assert "13912345678" not in out  # bodies hold member data: only kinds are printed

    assert _visible(sqs_client, dlq.url) == 4 and _visible(sqs_client, target.url) == 0  # released at once
    moved = redrive.redrive(sqs_client, dlq.name, target.name)
    assert sum(moved.values()) == 4
    assert _visible(sqs_client, dlq.url) == 0 and _visible(sqs_client, target.url) == 4
    received = sqs_client.receive_message(QueueUrl=target.url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(json.loads(m["Body"])["transaction_id"] for m in received) == ["t0", "t1", "t2", "t9"]
