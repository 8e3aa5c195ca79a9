"""Feed SQS messages to the app's ``@app.on_sqs_message`` handlers the way Lambda's event source mapping does.

``chalice local`` serves HTTP only, so the local stack polls its queues itself: long-poll a batch, build a
Lambda-shaped SQS event (the real ``messageId`` of each message, ``eventSourceARN`` of the queue), call the
handler, then delete only the records that succeeded. With ``ReportBatchItemFailures`` a handler returns
``{"batchItemFailures": [{"itemIdentifier": <messageId>}]}``; a raised exception, or an identifier that
is not in the batch, fails the whole batch (as Lambda does). Failed records stay in the queue; after their
visibility timeout they come back, and the queue's redrive policy moves them once ``maxReceiveCount`` is
reached -- exactly the path a failing transaction takes in AWS.

``sqs_event`` builds such events for tests, with unique ids (chalice's ``generate_sqs_event`` gives every
record the same ``messageId``, which lets one failure hide another).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tools.lambda_emulation.context import LambdaContext

log = logging.getLogger("local_stack.sqs")

Handler = Callable[[dict[str, Any], Any], Any]


def queue_arn(name: str, region: str = "ap-east-1", account: str = "123456789012") -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def sqs_record(
    body: str,
    *,
    event_source_arn: str,
    message_id: str | None = None,
    receipt_handle: str | None = None,
    receive_count: int = 1,
    message_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One record of a Lambda SQS event."""
    region = event_source_arn.split(":")[3]
    now_ms = str(int(time.time() * 1000))
    message_id = message_id or str(uuid.uuid4())
    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle or f"local-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": now_ms,
            "SenderId": "LOCAL",
            "ApproximateFirstReceiveTimestamp": now_ms,
        },
        "messageAttributes": message_attributes or {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": event_source_arn,
        "awsRegion": region,
    }


def sqs_event(
    bodies: Iterable[str], *, event_source_arn: str | None = None, queue: str = "member-portal-retry"
) -> dict[str, Any]:
    """A Lambda SQS event with one record per body, each with its own ``messageId``."""
    arn = event_source_arn or queue_arn(queue)
    return {"Records": [sqs_record(body, event_source_arn=arn) for body in bodies]}


def _lambda_attributes(message_attributes: dict[str, Any]) -> dict[str, Any]:
    """SQS API message attributes (``StringValue``) -> Lambda event shape (``stringValue``)."""
    converted: dict[str, Any] = {}
    for name, attr in message_attributes.items():
        converted[name] = {
            "stringValue": attr.get("StringValue"),
            "binaryValue": attr.get("BinaryValue"),
            "stringListValues": attr.get("StringListValues", []),
            "binaryListValues": attr.get("BinaryListValues", []),
            "dataType": attr.get("DataType", "String"),
        }
    return converted


def records_from_messages(messages: list[dict[str, Any]], event_source_arn: str) -> list[dict[str, Any]]:
    """boto3 ``receive_message`` output -> Lambda SQS records."""
    region = event_source_arn.split(":")[3]
    records = []
    for message in messages:
        attributes = dict(message.get("Attributes", {}))
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": attributes,
                "messageAttributes": _lambda_attributes(message.get("MessageAttributes", {})),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": event_source_arn,
                "awsRegion": region,
            }
        )
    return records


def failed_message_ids(handler: Handler, event: dict[str, Any], context: Any) -> set[str]:
    """Run ``handler`` on ``event``; the message ids Lambda would leave in the queue."""
    all_ids = {record["messageId"] for record in event["Records"]}
    try:
        response = handler(event, context)
    except Exception:
        log.error("handler %s raised; the whole batch stays in the queue:\n%s", _name(handler), traceback.format_exc())
        return all_ids
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    failed: set[str] = set()
    for item in response["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if identifier not in all_ids:
            log.error("handler %s reported unknown itemIdentifier %r: whole batch fails", _name(handler), identifier)
            return all_ids
        failed.add(identifier)
    return failed


def _name(handler: Any) -> str:
    func = getattr(handler, "func", handler)
    return getattr(func, "__name__", repr(handler))


class QueuePoller(threading.Thread):
    """Long-polls one queue and feeds its batches to one handler until ``stop()``."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        handler: Handler,
        *,
        function_name: str,
        batch_size: int = 10,
        wait_seconds: int = 1,
        timeout_seconds: float = 30.0,
    ) -> None:
        super().__init__(name=f"sqs-poller-{function_name}", daemon=True)
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.function_name = function_name
        self.batch_size = max(1, min(10, batch_size))
        self.wait_seconds = wait_seconds
        self.timeout_seconds = timeout_seconds
        self.arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._stopping = threading.Event()
        self.batches = 0
        self.failures = 0

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception as err:  # the queue endpoint went away (shutdown) or hiccuped: back off, go on
                if self._stopping.is_set():
                    return
                log.warning("polling %s failed: %s", self.function_name, type(err).__name__)
                self._stopping.wait(1.0)

    def poll_once(self) -> int:
        """Receive one batch, run the handler, delete what succeeded; returns the batch size."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        event = {"Records": records_from_messages(messages, self.arn)}
        context = LambdaContext(function_name=self.function_name, timeout_seconds=self.timeout_seconds)
        failed = failed_message_ids(self.handler, event, context)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self.batches += 1
        self.failures += len(failed)
        if failed:
            log.info("%s: %d of %d records failed; left for redelivery", self.function_name, len(failed), len(messages))
        return len(messages)


@dataclass(frozen=True)
class SqsSubscription:
    """One ``@app.on_sqs_message`` handler: the queue name it listens to and the callable."""

    function: str
    queue: str
    handler: Handler
    batch_size: int


def sqs_subscriptions(chalice_app: Any) -> list[SqsSubscription]:
    """The SQS handlers registered on a Chalice app, resolved to callables through their handler strings."""
    subscriptions = []
    for source in getattr(chalice_app, "event_sources", []):
        if type(source).__name__ != "SQSEventConfig":
            continue
        queue = source.queue or (source.queue_arn or "").rsplit(":", 1)[-1]
        module_name, _, attribute = source.handler_string.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        subscriptions.append(SqsSubscription(source.name, queue, handler, source.batch_size))
    return subscriptions


class PollerGroup:
    """Start one ``QueuePoller`` per subscription whose queue exists; ``stop()`` joins them all."""

    def __init__(self, pollers: list[QueuePoller]) -> None:
        self.pollers = pollers

    @classmethod
    def for_app(
        cls,
        sqs: Any,
        chalice_app: Any,
        *,
        app_name: str = "member-portal",
        stage: str = "local",
        queue_names: dict[str, str] | None = None,
        timeout_seconds: float = 30.0,
    ) -> PollerGroup:
        """``queue_names`` maps a handler's declared queue name to the name to poll instead."""
        pollers = []
        for sub in sqs_subscriptions(chalice_app):
            name = (queue_names or {}).get(sub.queue, sub.queue)
            try:
                url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            except sqs.exceptions.QueueDoesNotExist:
                log.warning("queue %s of handler %s does not exist locally: not polled", name, sub.function)
                continue
            pollers.append(
                QueuePoller(
                    sqs,
                    url,
                    sub.handler,
                    function_name=f"{app_name}-{stage}-{sub.function}",
                    batch_size=sub.batch_size,
                    timeout_seconds=timeout_seconds,
                )
            )
        return cls(pollers)

    def start(self) -> None:
        for poller in self.pollers:
            poller.start()

    def stop(self, timeout: float = 5.0) -> None:
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            with contextlib.suppress(RuntimeError):  # never started
                poller.join(timeout)
