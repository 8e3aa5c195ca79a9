"""The notifications area's stream handler: new notification records (``INSERT`` of an ``N#`` item) go to
``delivery``.

``core/stream.py`` (the table stream's one consumer) calls ``handle_raw`` for the ``INSERT``s of ``N#`` items, as the
manifest's ``StreamHandler`` declares; records that are not new notifications of a customer are ignored here too.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.notifications import NOTIFICATION_PREFIX, NotificationItem
from chalicelib.core.observability import logger, metrics
from chalicelib.notifications import delivery


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
