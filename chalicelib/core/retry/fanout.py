"""Fan-out messages on the retry queue, the queue the ``retry_worker`` drains by kind (as Lambda's event source does
deployed, ``tools/lambda_emulation/sqs_poller.py`` locally): whole-programme passes (the segments' rebuilds and
campaigns, the insights' ledger passes). A message's handler is idempotent, so a
message delivered twice, or redelivered after its worker died, changes nothing twice."""

from __future__ import annotations

import json
import threading
from typing import Any

from chalicelib.core.config import settings

_lock = threading.Lock()
_client: tuple[tuple[Any, ...], Any, str] | None = None


def _queue() -> tuple[Any, str]:
    global _client
    cfg = settings()
    key = (cfg.sqs_endpoint, cfg.region, cfg.retry_queue_name)
    with _lock:
        if _client is None or _client[0] != key:
            import boto3

            sqs = boto3.client("sqs", region_name=cfg.region, endpoint_url=cfg.sqs_endpoint)
            _client = (key, sqs, sqs.get_queue_url(QueueName=cfg.retry_queue_name)["QueueUrl"])
        return _client[1], _client[2]


def send(messages: list[dict[str, Any]], delay_seconds: int = 0) -> None:
    """Send the messages, ten a call (SQS's batch), each held ``delay_seconds`` (0-900) before it is seen; raises if
    any was not accepted."""
    sqs, url = _queue()
    delay = {"DelaySeconds": delay_seconds} if delay_seconds else {}
    for start in range(0, len(messages), 10):
        chunk = messages[start:start + 10]
        out = sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "MessageBody": json.dumps(m, ensure_ascii=False), **delay} for n, m in enumerate(chunk)])
        if out.get("Failed"):
            raise RuntimeError(f"{len(out['Failed'])} fan-out messages not accepted")


def reset() -> None:
    global _client
    _client = None
