"""The delivery's scheduled work: release what quiet hours held (``gsi1`` partitions ``NHOLD#<day>``, no Scan)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import paging
from chalicelib.core.notifications import NotificationItem
from chalicelib.core.observability import logger
from chalicelib.notifications import claims, delivery
from chalicelib.notifications.models import HoldItem


def release_held() -> dict[str, Any]:
    """Every held message whose release time has come (yesterday's partition too: a run may have been missed)."""
    now = clock.now()
    released = failed = 0
    for day in (business_day(now) - timedelta(days=1), business_day(now)):
        for raw in paging.index_all("gsi1", claims.hold_partition(day)):
            hold = HoldItem.from_raw_data(raw)
            if not clock.is_due(hold.release_at, now):  # +08:00 (the member's wall clock) against now: instants
                continue
            try:
                item = NotificationItem.get(hold.pk, hold.notification_sk)
                delivery.deliver(item, released=True)
                hold.delete(add_version_condition=False)
                released += 1
            except Exception:
                failed += 1
                logger.warning("held notification not released; next run", exc_info=True,
                               extra={"notification_id": hold.notification_id})
    return {"released": released, "failed": failed}
