"""Move the messages of a dead-letter queue back to a queue that handles them (the runbook's replay step).

``python -m tools.redrive --from member-portal-followup-dlq --to member-portal-followup`` moves every message (in
batches of 10: receive, send to the target with its body and attributes, then delete from the source; a message is
deleted only once its copy is sent). ``--dry-run`` only counts them by kind (the ``kind`` of a retry message, never
its body: bodies hold member data). ``--max N`` stops after N. Against the local stack pass
``--endpoint http://127.0.0.1:8101``; against AWS the default credentials and region are used.

SQS's own redrive (``aws sqs start-message-move-task --source-arn <dlq arn>``) moves a dead-letter queue back to
the queues that fed it; this tool also works on the local stack and can target any queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

import boto3

BATCH = 10


def _kind(body: str) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return "not-json"
    if isinstance(value, dict):
        return str(value.get("kind") or value.get("detail-type") or value.get("requestContext", {}).get("condition")
                   or "unknown")
    return "unknown"


def redrive(client: Any, source: str, target: str | None, *, limit: int | None = None,
            dry_run: bool = False) -> Counter[str]:
    """Moves (or with ``dry_run`` only counts) up to ``limit`` messages from ``source`` to ``target``; returns
    the count per kind."""
    source_url = client.get_queue_url(QueueName=source)["QueueUrl"]
    target_url = None if dry_run or target is None else client.get_queue_url(QueueName=target)["QueueUrl"]
    moved: Counter[str] = Counter()
    seen: set[str] = set()
    held: list[str] = []  # a dry run's receipts: the messages stay hidden while counting, then are released
    try:
        while limit is None or sum(moved.values()) < limit:
            want = BATCH if limit is None else min(BATCH, limit - sum(moved.values()))
            page = client.receive_message(QueueUrl=source_url, MaxNumberOfMessages=want, WaitTimeSeconds=1,
                                          VisibilityTimeout=60, MessageAttributeNames=["All"])
            messages = [m for m in page.get("Messages", []) if m["MessageId"] not in seen]
            if not messages:
                break
            for message in messages:
                seen.add(message["MessageId"])
                if dry_run:
                    held.append(message["ReceiptHandle"])
                else:
                    assert target_url is not None
                    extra = ({"MessageAttributes": message["MessageAttributes"]}
                             if message.get("MessageAttributes") else {})
                    client.send_message(QueueUrl=target_url, MessageBody=message["Body"], **extra)
                    client.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
                moved[_kind(message["Body"])] += 1
    finally:
        for receipt in held:
            client.change_message_visibility(QueueUrl=source_url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.redrive", description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="source", required=True, help="the dead-letter queue's name")
    parser.add_argument("--to", dest="target", help="the queue to move them to (not needed with --dry-run)")
    parser.add_argument("--max", type=int, default=None, help="move at most this many")
    parser.add_argument("--dry-run", action="store_true", help="count the messages by kind, move nothing")
    parser.add_argument("--endpoint", default=None, help="an SQS endpoint (the local stack: http://127.0.0.1:8101)")
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    if not args.dry_run and not args.target:
        parser.error("--to is required unless --dry-run")
    kwargs: dict[str, Any] = {"region_name": args.region} if args.region else {}
    if args.endpoint:
        kwargs.update(endpoint_url=args.endpoint, region_name=args.region or "ap-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
    client = boto3.client("sqs", **kwargs)
    counts = redrive(client, args.source, args.target, limit=args.max, dry_run=args.dry_run)
    verb = "found" if args.dry_run else f"moved to {args.target}"
    print(f"{sum(counts.values())} message(s) {verb}: " + (", ".join(f"{k}={n}" for k, n in sorted(counts.items()))
                                                          or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
