"""The appointments' daily jobs: reminders the day before, no-shows after the day (and the suspension of
self-service booking after repeated no-shows), and the agent's lifting of a suspension.

Both jobs walk each store's day through the queue index (``gsi1``: ``APPTQ#<store>#<day>``), one Query per store,
and write each appointment in its own small transaction, so a re-run (or an overlapping one) changes nothing twice:
a reminder is conditioned on none being sent, a no-show on the appointment still being ``booked``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.appointments import catalogue, rules
from chalicelib.appointments.member_state import state_put
from chalicelib.appointments.models import QUEUE_PREFIX, STATE_SK, AppointmentItem, BookingStateItem
from chalicelib.appointments.reading import notice_data
from chalicelib.core import clock, notifications
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import keys, paging, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger
from chalicelib.points import public as points

MAX_ATTEMPTS = 5


class _Reminded(AppointmentItem):
    """The appointment with the attribute the reminder job sets (kept out of the model the API reads)."""

    reminded_at = UnicodeAttribute(null=True)


def _day_of(store_id: str, day: date) -> list[AppointmentItem]:
    raw = paging.index_all("gsi1", f"{QUEUE_PREFIX}{store_id}#{day.isoformat()}")
    return [AppointmentItem.from_raw_data(r) for r in raw]


# --- reminders -------------------------------------------------------------------------------------------------------


def send_reminders(on: date | None = None) -> dict[str, int]:
    """Every booked appointment of the day after ``on`` (default: today in Shanghai) gets one reminder."""
    day = (on or business_day(clock.now())) + timedelta(days=1)
    sent = skipped = 0
    current = catalogue.current()
    for store in current.stores.values():
        for item in _day_of(store.store_id, day):
            if item.status != "booked":
                continue
            service = current.services.get((item.store_id, item.service_id))
            if service is None:
                continue
            tx = Tx()
            tx.update("appointment", _Reminded(pk=item.pk, sk=item.sk), [_Reminded.reminded_at.set(clock.iso())],
                      _Reminded.reminded_at.does_not_exist() & (_Reminded.status == "booked"))
            notifications.put_in(tx, item.customer_id, "appointment_reminder", notice_data(item, store, service))
            try:
                tx.commit()
            except TxCancelled:
                skipped += 1
                continue
            sent += 1
    logger.info("appointment reminders", extra={"day": day.isoformat(), "sent": sent, "skipped": skipped})
    return {"sent": sent, "skipped": skipped}


# --- no-shows --------------------------------------------------------------------------------------------------------


def state_of(customer_id: str) -> BookingStateItem | None:
    try:
        return BookingStateItem.get(keys.customer_pk(customer_id), STATE_SK, consistent_read=True)
    except BookingStateItem.DoesNotExist:
        return None


def no_show_fields(state: BookingStateItem | None, day: str, store: rules.Store, now: datetime) -> dict[str, Any]:
    """The member's booking state after a no-show on ``day``: counted, and self-service booking suspended at the
    store's limit (the daily job's no-shows and an agent's no-show after a check-in alike)."""
    today = business_day(now)
    kept = [d for d in (state.no_shows if state and state.no_shows else []) if
            date.fromisoformat(d) > today - timedelta(days=store.no_show_days)]
    kept.append(day)
    fields: dict[str, Any] = {"no_shows": kept}
    if rules.recent_no_shows(kept, today, store.no_show_days) >= store.no_show_limit:
        fields["suspended_until"] = clock.iso(now + timedelta(days=store.suspension_days))
        fields["lifted_by"] = None
    return fields


def mark_no_show(item: AppointmentItem, store: rules.Store, now: datetime) -> bool:
    """The appointment ``no_show`` and the member's no-shows counted (suspended at the store's limit), in one
    transaction; False if it was no longer booked."""
    def once(_attempt: int) -> bool:
        state = state_of(item.customer_id)
        fields = no_show_fields(state, item.day, store, now)
        tx = Tx()
        tx.update("appointment", item, [AppointmentItem.status.set("no_show"),
                                        AppointmentItem.updated_at.set(clock.iso(now))],
                  AppointmentItem.status == "booked")
        state_put(tx, item.pk, state, **fields)
        try:
            tx.commit()
        except TxCancelled as exc:
            if "appointment" in exc.failed:
                return False
            raise retry.Again from None
        if "suspended_until" in fields:
            logger.info("self-service booking suspended", extra={"customer_id": item.customer_id,
                                                                 "until": fields["suspended_until"]})
        return True
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="no-show", customer_id=item.customer_id)


def mark_no_shows(on: date | None = None) -> dict[str, int]:
    """Every appointment of the day before ``on`` (default: today in Shanghai) still ``booked`` is a no-show."""
    now = clock.now()
    day = (on or business_day(now)) - timedelta(days=1)
    marked = 0
    current = catalogue.current()
    for store in current.stores.values():
        for item in _day_of(store.store_id, day):
            if item.status == "booked" and mark_no_show(item, store, now):
                marked += 1
    logger.info("appointment no-shows", extra={"day": day.isoformat(), "marked": marked})
    return {"marked": marked}


def run_daily(on: date | None = None) -> dict[str, Any]:
    """``appointments_daily_job``: yesterday's no-shows, tomorrow's reminders."""
    return {"no_shows": mark_no_shows(on), "reminders": send_reminders(on)}


def lift_suspension(customer_id: str, staff_id: str, reason: str) -> dict[str, Any]:
    """``POST /v1/agent/members/{id}/booking-suspension/lift``: self-service booking open again, recorded with who
    and why; the no-show count starts again."""
    items = points.load_member(customer_id, consistent=True)
    cid = items.customer_id
    def once(_attempt: int) -> dict[str, Any]:
        state = state_of(cid)
        if state is None or not state.suspended_until or datetime.fromisoformat(state.suspended_until) <= clock.now():
            return {"customer_id": cid, "suspended_until": None, "lifted_by": state.lifted_by if state else None}
        tx = Tx()
        state_put(tx, keys.customer_pk(cid), state, suspended_until=None, lifted_by=staff_id, lift_reason=reason,
                  no_shows=[])
        try:
            tx.commit()
        except TxCancelled:
            raise retry.Again from None
        logger.info("booking suspension lifted", extra={"customer_id": cid, "staff_id": staff_id, "reason": reason})
        return {"customer_id": cid, "suspended_until": None, "lifted_by": staff_id}
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="booking suspension lift", customer_id=cid)
