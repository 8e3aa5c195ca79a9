"""The table stream's consumer: new notification records (``INSERT`` of an ``N#`` item) go to ``delivery``.

``handle_batch(event_dict, context)`` is what ``app.py``'s ``@app.on_dynamodb_record`` handler calls: Powertools'
batch processor runs ``handle_record`` on each record and answers ``{"batchItemFailures": [...]}`` with the sequence
numbers that failed, so Lambda (``FunctionResponseTypes: [ReportBatchItemFailures]``, in ``infra/``) retries from
the first failure only. Records that are not new notifications are ignored here too (the event-source filter in
``infra/`` already drops them in AWS; the local stack's poller feeds everything).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from chalicelib.core.notifications import NOTIFICATION_PREFIX, NotificationItem
from chalicelib.core.observability import logger, metrics
from chalicelib.notifications import delivery

_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def is_new_notification(raw: dict[str, Any]) -> bool:
    image = (raw.get("dynamodb") or {}).get("NewImage") or {}
    sk = (image.get("sk") or {}).get("S", "")
    pk = (image.get("pk") or {}).get("S", "")
    return raw.get("eventName") == "INSERT" and sk.startswith(NOTIFICATION_PREFIX) and pk.startswith("CUST#")


def handle_raw(raw: dict[str, Any]) -> str | None:
    """One stream record (Lambda's shape); what the delivery did, or None for a record that is not ours."""
    if not is_new_notification(raw):
        return None
    item = NotificationItem.from_raw_data(raw["dynamodb"]["NewImage"])
    logger.append_keys(notification_id=item.notification_id)
    try:
        result = delivery.deliver(item)
    finally:
        logger.remove_keys(["notification_id"])
    metrics.add_metric(name="NotificationsDispatched", unit="Count", value=1)
    return result


def handle_record(record: Any) -> None:
    handle_raw(record.raw_event)


def handle_batch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(process_partial_response(event=event, record_handler=handle_record, processor=_processor,
                                         context=context))
