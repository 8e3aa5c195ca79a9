"""SQS helpers for tests: Lambda-shaped events with unique ids, a Lambda context, queue draining."""

from __future__ import annotations

import json
import time
from typing import Any

from tools.lambda_emulation.context import LambdaContext
from tools.lambda_emulation.sqs_poller import failed_message_ids, queue_arn, sqs_event, sqs_record

__all__ = [
    "LambdaContext",
    "drain",
    "failed_message_ids",
    "queue_arn",
    "sqs_event",
    "sqs_record",
    "wait_for_messages",
]


def drain(sqs: Any, queue_url: str, *, wait_seconds: int = 0, max_batches: int = 50) -> list[dict[str, Any]]:
    """Receive and delete everything currently in a queue; returns the messages (bodies parsed as JSON
    when they are JSON) as ``{"body": ..., "attributes": ...}``."""
    found: list[dict[str, Any]] = []
    for _ in range(max_batches):
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds, AttributeNames=["All"]
        )
        messages = response.get("Messages", [])
        if not messages:
            break
        for message in messages:
            try:
                body: Any = json.loads(message["Body"])
            except ValueError:
                body = message["Body"]
            found.append({"body": body, "attributes": message.get("Attributes", {})})
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return found


def wait_for_messages(sqs: Any, queue_url: str, *, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Poll until at least ``count`` messages were drained from ``queue_url`` (or time out)."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(found) < count:
        found += drain(sqs, queue_url, wait_seconds=1)
    if len(found) < count:
        raise TimeoutError(f"{len(found)} of {count} messages arrived in {timeout:.0f} s")
    return found
