"""The events' daily job: tomorrow's events remind everyone registered, once.

Tomorrow's events come from the listing index (``gsi1`` ``EVLIST``, by start: one Query), each event's
registrations from its own partition (one Query each): never a Scan. Each reminder is its own small transaction,
the registration's ``reminded_at`` set conditioned on none and on the registration still being ``registered``, with
the notification: a re-run, or two jobs at once, remind nobody twice.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.core import clock, notifications
from chalicelib.core.calendar import business_day, start_of_day
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger
from chalicelib.events import listing, reading
from chalicelib.events.models import RegistrationItem
from chalicelib.events.registration import notice_data


def send_reminders(on: date | None = None) -> dict[str, int]:
    """Everyone registered for an event starting the day after ``on`` (default today, Shanghai) is reminded."""
    day = (on or business_day(clock.now())) + timedelta(days=1)
    start = start_of_day(day)
    sent = skipped = 0
    for event in listing.upcoming_between(start, start + timedelta(days=1)):
        snap = reading.snapshot(event.event_id)
        for reg in snap.registrations.values():
            if reg.status != "registered" or reg.reminded_at:
                continue
            tx = Tx()
            tx.update("registration", RegistrationItem(pk=reg.pk, sk=reg.sk),
                      [RegistrationItem.reminded_at.set(clock.iso())],
                      RegistrationItem.reminded_at.does_not_exist() & (RegistrationItem.status == "registered"))
            notifications.put_in(tx, reg.customer_id, "event_reminder", notice_data(event))
            try:
                tx.commit()
            except TxCancelled:
                skipped += 1
                continue
            sent += 1
    logger.info("event reminders", extra={"day": day.isoformat(), "sent": sent, "skipped": skipped})
    return {"sent": sent, "skipped": skipped}


def run_daily(on: date | None = None) -> dict[str, Any]:
    return {"reminders": send_reminders(on)}
