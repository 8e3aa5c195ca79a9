"""An agent revokes an event check-in (a check-in made for someone who was not there, a code passed on):
``POST /v1/agent/events/{event_id}/registrations/{customer_id}/check-in-revocations`` ``{reason}``.

One transaction, through the points area (``points.take_back_in``): the registration ``check_in_revoked``
(conditioned on ``status = checked_in``: two agents at once, one revocation), the event's check-in points taken back
(ledger kind ``event_reversal``, reference ``event:<id>``) and every interested area's part of the voided service
(``core.services.voided``: the surveys area withdraws the survey, and takes its points back when it was answered).
Points are taken back by the points area's refund rule: what the member holds, the rest as a debt. The seat stays
taken and the member cannot check in again; the profile tags the check-in gave stay (the member did register for
the event's circle). A part read stale cancels the transaction, and the whole is read and decided again.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.core import clock, services
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.events import reading
from chalicelib.events.models import REG_PREFIX, RegistrationItem, event_pk
from chalicelib.identity import public as identity
from chalicelib.points import public as points
from chalicelib.points.public import PointsState

MAX_ATTEMPTS = 8
REVERSAL_KIND = "event_reversal"
_CUSTOMER_ID = re.compile(r"^c_[0-9a-f]{20}$")


def _registration(event_id: str, customer_id: str) -> RegistrationItem:
    """The member's registration; a customer merged away reaches the survivor's (registrations move with a merge)."""
    try:
        return RegistrationItem.get(event_pk(event_id), f"{REG_PREFIX}{customer_id}", consistent_read=True)
    except RegistrationItem.DoesNotExist:
        live = identity.resolve_customer_id(customer_id)
        if live == customer_id:
            raise AppError("not_found") from None
        return _registration(event_id, live)


def revoke_check_in(event_id: str, customer_id: str, staff_id: str, reason: str) -> dict[str, Any]:
    """201 ``{event_id, customer_id, status: check_in_revoked, ...}``; 404 for an unknown event or registration,
    409 ``not_checked_in`` unless the member is checked in (a revoked check-in included)."""
    reading.checked_id(event_id)
    if not _CUSTOMER_ID.match(customer_id):
        raise AppError("not_found")
    def once(_attempt: int) -> dict[str, Any]:
        try:
            body = _once(_registration(event_id, customer_id), staff_id, reason)
        except TxCancelled as exc:
            if "registration" in exc.failed or services.raced(exc.failed):
                raise retry.Again from None  # revoked meanwhile (then 409 on the next read), or a part raced
            raise
        logger.info("event check-in revoked", extra={"event_id": event_id, "customer_id": body["customer_id"],
                                                     "staff_id": staff_id, "points_reversed": body["points_reversed"]})
        return body
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="event check-in revocation", event_id=event_id)


def _once(reg: RegistrationItem, staff_id: str, reason: str) -> dict[str, Any]:
    if reg.status != "checked_in":
        raise AppError("not_checked_in")
    at = clock.iso()
    parts = services.voided(services.Voiding(kind="event", customer_id=reg.customer_id, service_id=reg.event_id,
                                             at=at, by=staff_id, reason=reason))
    reversals = tuple(r for part in parts for r in part.reversals)
    awarded = int(reg.points_awarded or 0)
    if awarded > 0:
        month = business_day(datetime.fromisoformat(str(reg.checked_in_at))).isoformat()[:7]
        reversals = (services.Reversal(awarded, REVERSAL_KIND, f"event:{reg.event_id}", month), *reversals)

    def step(tx: Tx, state: PointsState) -> None:
        points.take_back_in(tx, state, reversals, actor=staff_id, reason=reason)
        tx.update("registration", RegistrationItem(pk=reg.pk, sk=reg.sk), [
            RegistrationItem.status.set("check_in_revoked"), RegistrationItem.revoked_at.set(at),
            RegistrationItem.revoked_by.set(staff_id), RegistrationItem.revoke_reason.set(reason),
            RegistrationItem.updated_at.set(at)], RegistrationItem.status == "checked_in")
        services.voided_in(tx, parts)

    points.execute_with(reg.customer_id, step)
    return {"event_id": reg.event_id, "customer_id": reg.customer_id, "registration_id": reg.registration_id,
            "status": "check_in_revoked", "revoked_at": at, "revoked_by": staff_id, "reason": reason,
            "points_reversed": sum(r.points for r in reversals)}
