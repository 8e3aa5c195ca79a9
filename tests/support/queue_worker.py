"""A queue worker process, as Lambda runs one: ``python -m tests.support.queue_worker QUEUE_URL`` drains the retry
queue through ``app.retry_worker`` (the environment names the table and SQS endpoints) until the queue has stayed
empty for ``--idle`` seconds, then prints ``{"batches", "failures"}`` as JSON. Tests start two or more at once to
prove a fan-out is drained concurrently without anything done twice.

``--fail-every N`` makes every Nth call of the handler fail after it ran (a worker dying before it deleted its
message), so the message is delivered again."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("queue_url")
    parser.add_argument("--idle", type=float, default=3.0)
    parser.add_argument("--fail-every", type=int, default=0)
    args = parser.parse_args()

    import boto3

    import app
    from chalicelib.core.config import settings
    from tools.lambda_emulation.sqs_poller import QueuePoller

    sqs = boto3.client("sqs", endpoint_url=settings().sqs_endpoint, region_name=settings().region)
    calls = {"n": 0}

    def handler(event: Any, context: Any) -> Any:
        out = app.retry_worker(event, context)
        calls["n"] += 1
        if args.fail_every and calls["n"] % args.fail_every == 0:
            raise RuntimeError("the worker died before deleting its batch")
        return out

    # one message an invocation: the way many concurrent Lambda instances share a fan-out
    poller = QueuePoller(sqs, args.queue_url, handler, function_name="test-retry-worker", wait_seconds=1,
                         timeout_seconds=900, batch_size=1)
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < args.idle:
        if poller.poll_once():
            idle_since = time.monotonic()
    print(json.dumps({"batches": poller.batches, "failures": poller.failures}))


if __name__ == "__main__":
    main()
