"""An agent marks a checked-in appointment a no-show (the till checked in the wrong booking, the member left before
the service): ``POST /v1/agent/appointments/{id}/no-show`` ``{reason}``.

One transaction, through the points area (``points.take_back_in``): the appointment ``no_show`` (conditioned on
``status = checked_in``: two agents at once, one no-show), the member's no-shows counted as the daily job counts them
(``jobs.no_show_fields``: self-service booking suspended at the store's limit), and every interested area's part of
the voided service (``core.services.voided``: the surveys area withdraws the survey and takes its points back). A
part read stale (the survey answered meanwhile) cancels the transaction, and the whole is read and decided again.
"""

from __future__ import annotations

from typing import Any

from chalicelib.appointments import catalogue, jobs
from chalicelib.appointments.member_state import state_put
from chalicelib.appointments.models import AppointmentItem
from chalicelib.appointments.till import by_id
from chalicelib.core import clock, services
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.points import public as points
from chalicelib.points.public import PointsState

MAX_ATTEMPTS = 8


def mark_no_show(appointment_id: str, staff_id: str, reason: str) -> dict[str, Any]:
    """409 ``appointment_not_checked_in`` unless the appointment is checked in (a no-show already marked included)."""
    def once(_attempt: int) -> dict[str, Any]:
        try:
            body = _once(by_id(appointment_id), staff_id, reason)
        except TxCancelled as exc:
            if exc.failed & {"appointment", "member"} or services.raced(exc.failed):
                # marked meanwhile (then 409 on the next read), the booking state or a part raced
                raise retry.Again from None
            raise
        logger.info("appointment marked a no-show after check-in", extra={
            "appointment_id": appointment_id, "staff_id": staff_id, "points_reversed": body["points_reversed"]})
        return body
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="appointment no-show", appointment_id=appointment_id)


def _once(item: AppointmentItem, staff_id: str, reason: str) -> dict[str, Any]:
    if item.status != "checked_in":
        raise AppError("appointment_not_checked_in")
    now = clock.now()
    at = clock.iso(now)
    parts = services.voided(services.Voiding(kind="appointment", customer_id=item.customer_id,
                                             service_id=item.appointment_id, at=at, by=staff_id, reason=reason))
    reversals = tuple(r for part in parts for r in part.reversals)
    state = jobs.state_of(item.customer_id)
    fields = jobs.no_show_fields(state, item.day, catalogue.store(item.store_id), now)

    def step(tx: Tx, points_state: PointsState) -> None:
        points.take_back_in(tx, points_state, reversals, actor=staff_id, reason=reason)
        tx.update("appointment", AppointmentItem(pk=item.pk, sk=item.sk), [
            AppointmentItem.status.set("no_show"), AppointmentItem.no_show_at.set(at),
            AppointmentItem.no_show_by.set(staff_id), AppointmentItem.no_show_reason.set(reason),
            AppointmentItem.updated_at.set(at)], AppointmentItem.status == "checked_in")
        state_put(tx, item.pk, state, **fields)
        services.voided_in(tx, parts)

    points.execute_with(item.customer_id, step)
    return {"appointment_id": item.appointment_id, "status": "no_show", "no_show_at": at, "marked_by": staff_id,
            "reason": reason, "points_reversed": sum(r.points for r in reversals)}
