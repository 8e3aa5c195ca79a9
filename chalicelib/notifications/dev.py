"""The local stage's view of what was sent: every delivery of a member, every channel, newest first; and the
simulators' faults (the WeChat simulator's share of failed calls is set on the simulator itself)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.notifications.models import DELIVERY_PREFIX, DeliveryItem


def deliveries(customer_id: str) -> dict[str, Any]:
    items = list(DeliveryItem.query(keys.customer_pk(customer_id), DeliveryItem.sk.startswith(DELIVERY_PREFIX)))
    items.sort(key=lambda d: (d.updated_at, d.created_at), reverse=True)
    return {"items": [{
        "notification_id": d.notification_id, "channel": d.channel, "status": d.status,
        "attempts": int(d.attempts or 0), "error": d.error, "to": d.to, "template_id": d.template_id,
        "content": d.content, "created_at": d.created_at, "updated_at": d.updated_at,
    } for d in items]}


def set_wechat_failure_rate(rate: float) -> None:
    """Tell the WeChat simulator (``WECHAT_API_BASE``) to fail this share of its message sends (-1 or 45009)."""
    import urllib3

    try:
        urllib3.PoolManager().request(
            "POST", settings().wechat_api_base + "/__sim/faults", body=json.dumps({"message_failure_rate": rate}),
            headers={"Content-Type": "application/json"}, timeout=urllib3.Timeout(total=2),
            retries=urllib3.Retry(total=1),
        )
    except urllib3.exceptions.HTTPError:
        logger.warning("the WeChat simulator did not take the fault (is it running?)")
        raise AppError("upstream_unavailable") from None
