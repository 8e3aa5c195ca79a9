"""Feed DynamoDB Local's table stream to the app's ``@app.on_dynamodb_record`` handler, as Lambda's event source does.

``chalice local`` runs no event sources, so the local stack reads the stream itself: ``DescribeStream`` for the
shards (every shard, a child only once its parent is read to its end: shard lineage keeps a key's changes in
order), ``GetShardIterator`` (``TRIM_HORIZON`` for shards it has not seen), ``GetRecords``, and builds Lambda-shaped
batches (``eventSourceARN``, ``dynamodb.ApproximateCreationDateTime`` in epoch seconds, ``SequenceNumber``...).
With ``ReportBatchItemFailures`` the handler answers ``{"batchItemFailures": [{"itemIdentifier": <sequence
number>}]}``: as Lambda does, the batch is retried from the first failed record (after a pause), at most
``max_retries`` times; then that record is skipped. A raised exception retries the whole batch the same way.
There is no event-source filter here: ``chalicelib.core.stream`` offers each record only to the handlers that want it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.lambda_emulation.context import LambdaContext

log = logging.getLogger("local_stack.stream")

Handler = Callable[[dict[str, Any], Any], Any]


def lambda_record(record: dict[str, Any], stream_arn: str, region: str = "ap-east-1") -> dict[str, Any]:
    """A ``GetRecords`` record -> the record of a Lambda DynamoDB event."""
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        ddb["ApproximateCreationDateTime"] = created.timestamp()
    return {"eventID": record.get("eventID") or uuid.uuid4().hex, "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb", "awsRegion": region,
            "dynamodb": ddb, "eventSourceARN": stream_arn}


def failed_from(handler: Handler, event: dict[str, Any], context: Any) -> int | None:
    """Run ``handler``; the index of the first record to retry from (None: all done)."""
    records = event["Records"]
    try:
        response = handler(event, context)
    except Exception:
        log.error("stream handler raised; the batch is retried:\n%s", traceback.format_exc())
        return 0
    failures = (response or {}).get("batchItemFailures") if isinstance(response, dict) else None
    if not failures:
        return None
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    positions = [sequence.index(f["itemIdentifier"]) for f in failures if f.get("itemIdentifier") in sequence]
    return min(positions) if positions else 0


@dataclass
class _Shard:
    shard_id: str
    parent: str | None
    iterator: str | None = None
    done: bool = False
    buffer: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0


class StreamPoller(threading.Thread):
    """Reads every shard of one table's stream and feeds the batches to ``handler`` until ``stop()``."""

    def __init__(self, streams: Any, stream_arn: str, handler: Handler, *, function_name: str,
                 batch_size: int = 100, interval: float = 0.25, max_retries: int = 10, retry_pause: float = 1.0,
                 ) -> None:
        super().__init__(name=f"stream-poller-{function_name}", daemon=True)
        self.streams, self.stream_arn, self.handler = streams, stream_arn, handler
        self.function_name, self.batch_size, self.interval = function_name, batch_size, interval
        self.max_retries, self.retry_pause = max_retries, retry_pause
        self.shards: dict[str, _Shard] = {}
        self._stopping = threading.Event()
        self.batches = self.records = self.skipped = 0

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                if not self.poll_once():
                    self._stopping.wait(self.interval)
            except Exception as err:  # DynamoDB Local going away on shutdown, or a hiccup
                if self._stopping.is_set():
                    return
                log.warning("stream polling failed: %s", type(err).__name__)
                self._stopping.wait(1.0)

    def _refresh_shards(self) -> None:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = self.streams.describe_stream(**kwargs)["StreamDescription"]
            for shard in description.get("Shards", []):
                if shard["ShardId"] not in self.shards:
                    self.shards[shard["ShardId"]] = _Shard(shard["ShardId"], shard.get("ParentShardId"))
            last = description.get("LastEvaluatedShardId")
            if not last:
                return
            kwargs["ExclusiveStartShardId"] = last

    def _ready(self, shard: _Shard) -> bool:
        parent = self.shards.get(shard.parent) if shard.parent else None
        return not shard.done and (parent is None or parent.done)

    def poll_once(self) -> int:
        """One pass over the readable shards; how many records were handled."""
        self._refresh_shards()
        handled = 0
        for shard in list(self.shards.values()):
            if not self._ready(shard):
                continue
            if not shard.buffer:
                if shard.iterator is None:
                    shard.iterator = self.streams.get_shard_iterator(
                        StreamArn=self.stream_arn, ShardId=shard.shard_id, ShardIteratorType="TRIM_HORIZON",
                    )["ShardIterator"]
                page = self.streams.get_records(ShardIterator=shard.iterator, Limit=self.batch_size)
                shard.buffer = [lambda_record(r, self.stream_arn) for r in page.get("Records", [])]
                shard.iterator = page.get("NextShardIterator")
                if shard.iterator is None:
                    shard.done = not shard.buffer or shard.done
            if shard.buffer:
                handled += self._feed(shard)
            if shard.iterator is None and not shard.buffer:
                shard.done = True
        return handled

    def _feed(self, shard: _Shard) -> int:
        batch = shard.buffer[: self.batch_size]
        context = LambdaContext(function_name=self.function_name)
        start = failed_from(self.handler, {"Records": batch}, context)
        self.batches += 1
        if start is None:
            shard.buffer = shard.buffer[len(batch):]
            shard.retries = 0
            self.records += len(batch)
            return len(batch)
        shard.retries += 1
        if shard.retries > self.max_retries:
            log.error("stream record %s skipped after %d retries", batch[start]["dynamodb"]["SequenceNumber"],
                      self.max_retries)
            start += 1
            shard.retries = 0
            self.skipped += 1
        shard.buffer = shard.buffer[start:]
        self.records += start
        time.sleep(self.retry_pause)
        return start


def dynamodb_subscriptions(chalice_app: Any) -> list[tuple[str, Handler, int]]:
    """``(function name, handler, batch size)`` of each ``@app.on_dynamodb_record`` handler."""
    import importlib

    out = []
    for source in getattr(chalice_app, "event_sources", []):
        if type(source).__name__ != "DynamoDBEventConfig":
            continue
        module_name, _, attribute = source.handler_string.rpartition(".")
        out.append((source.name, getattr(importlib.import_module(module_name), attribute), source.batch_size))
    return out


def for_app(dynamodb: Any, streams: Any, chalice_app: Any, table_name: str, *, app_name: str = "member-portal",
            stage: str = "local") -> list[StreamPoller]:
    """One poller per stream handler, on ``table_name``'s stream (none when the table has no stream)."""
    arn = dynamodb.describe_table(TableName=table_name)["Table"].get("LatestStreamArn")
    if not arn:
        log.warning("table %s has no stream: notifications are not delivered locally", table_name)
        return []
    return [StreamPoller(streams, arn, handler, function_name=f"{app_name}-{stage}-{name}", batch_size=size)
            for name, handler, size in dynamodb_subscriptions(chalice_app)]
