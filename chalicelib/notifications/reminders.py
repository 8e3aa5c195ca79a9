"""Reminders, each reaching its members through an index partition of one day (never a Scan), each sent once.

- Points expiring in 30 and in 7 days: the points area's expiry index (``gsi1`` ``EXPIRY#<day>`` / customer id, one
  item per live bucket) gives the members and the amount of that day.
- Vouchers expiring in 3 days: the benefits vouchers' expiry index (``gsi1`` ``VEXP#<day>``), available ones only.

Once: the notification is put in a transaction with a marker ``NREM#<reminder>#<day>#<lead>`` (conditioned not to
exist), so a second or overlapping run writes nothing. The delivery itself (channels, quiet hours) is the stream's.

The reminders live here, not in the points and benefits areas: those areas own the indexes (read only here), this
area owns what members are told and when; one job keeps the marker pattern in one place.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.core import clock, notifications
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger

POINTS_LEADS = (30, 7)
VOUCHER_LEAD = 3
MARKER_TTL_DAYS = 60


class ReminderMarkerItem(Item):
    """``CUST#<id>`` / ``NREM#<reminder>#<day>#<lead>``: that reminder was written."""

    created_at = UnicodeAttribute()


def remind_once(customer_id: str, marker: str, template: str, data: dict[str, Any]) -> bool:
    """The notification and its marker in one transaction; False when the marker was there already."""
    tx = Tx()
    tx.put("marker", ReminderMarkerItem(pk=keys.customer_pk(customer_id), sk=f"NREM#{marker}", created_at=clock.iso(),
                                        ttl=clock.epoch() + MARKER_TTL_DAYS * 86400),
           ReminderMarkerItem.pk.does_not_exist())
    notifications.put_in(tx, customer_id, template, data)
    try:
        tx.commit()
    except TxCancelled as exc:
        if "marker" in exc.failed:
            return False
        raise
    return True


def points_expiring(on: date) -> dict[str, int]:
    sent = already = 0
    for lead in POINTS_LEADS:
        day = on + timedelta(days=lead)
        for raw in paging.index_all("gsi1", f"EXPIRY#{day.isoformat()}"):
            customer_id, points = raw["gsi1sk"]["S"], int(raw.get("points", {}).get("N", "0"))
            if points <= 0:
                continue
            if remind_once(customer_id, f"points#{day.isoformat()}#{lead}", "points_expiring",
                           {"points": points, "expires_on": day.isoformat(), "days_left": lead}):
                sent += 1
            else:
                already += 1
    return {"points_reminders": sent, "points_already": already}


def vouchers_expiring(on: date) -> dict[str, int]:
    day = on + timedelta(days=VOUCHER_LEAD)
    sent = already = 0
    for raw in paging.index_all("gsi1", f"VEXP#{day.isoformat()}"):
        if raw.get("status", {}).get("S") != "available":
            continue
        customer_id = raw["customer_id"]["S"]
        voucher_id = raw.get("voucher_id", {}).get("S", raw["sk"]["S"])
        name = raw.get("name", {}).get("S") or raw.get("benefit_name", {}).get("S") or "优惠券"
        if remind_once(customer_id, f"voucher#{voucher_id}#{VOUCHER_LEAD}", "voucher_expiring",
                       {"voucher_id": voucher_id, "name": name, "expires_on": day.isoformat()}):
            sent += 1
        else:
            already += 1
    return {"voucher_reminders": sent, "vouchers_already": already}


def run_daily(on: date | None = None) -> dict[str, Any]:
    """Today's reminders (Shanghai), as of ``clock.as_of()``: on the local stage ``REMINDERS_ON=<yyyy-mm-dd>`` runs them
    as of another day (``python -m tools.run_job notifications_reminders --env REMINDERS_ON=...``, or ``--as-of``)."""
    on = on or business_day(clock.as_of())
    result: dict[str, Any] = {}
    for job in (points_expiring, vouchers_expiring):
        try:
            result.update(job(on))
        except Exception:
            logger.exception("reminder job failed; the next run covers it", extra={"job": job.__name__})
    logger.info("reminders done", extra=result)
    return result
