"""Member-hosted events: a member whose held tier allows it proposes one (``EVENTS_HOST_MIN_TIER``, default
gold and above), and an operator approves or rejects it with a reason (the host is told either way)."""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock, notifications
from chalicelib.core.config import settings
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.events import rules
from chalicelib.events.editing import event_of, new_event, tier_rank
from chalicelib.events.models import LISTED, EventItem
from chalicelib.events.registration import notice_data
from chalicelib.points import public as points


def propose(customer_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/events``: a member whose held tier allows it proposes an invite-only event; it waits for an
    operator (``pending_approval``: seen by its host only)."""
    items = points.load_member(customer_id, consistent=True)
    tier = points.held_tier(items)
    if not rules.may_host(tier.rank, tier_rank(settings().events_host_min_tier)):
        raise AppError("tier_not_eligible")
    fields = {**fields, "invite_only": True}
    item, _code = new_event(fields, f"member:{items.customer_id}", "pending_approval", items.customer_id)
    logger.info("event proposed", extra={"event_id": item.event_id, "customer_id": items.customer_id})
    return {"event_id": item.event_id, "status": item.status}


def review(event_id: str, staff_id: str, approve: bool, reason: str | None) -> dict[str, Any]:
    """Approve (listed from now on) or reject, with the reason; the host is told either way."""
    event = event_of(event_id)
    if event.status != "pending_approval":
        raise AppError("event_not_pending")
    status = "approved" if approve else "rejected"
    at = clock.iso()
    tx = Tx()
    actions: list[Any] = [EventItem.status.set(status), EventItem.reviewed_by.set(staff_id),
                          EventItem.reviewed_at.set(at), EventItem.updated_at.set(at)]
    if reason:
        actions.append(EventItem.review_reason.set(reason))
    actions.append(EventItem.gsi1pk.set(LISTED) if approve else EventItem.gsi1pk.remove())
    if not approve:
        actions.append(EventItem.gsi1sk.remove())
    tx.update("event", event, actions, EventItem.status == "pending_approval")
    if event.host_customer_id:
        notifications.put_in(tx, event.host_customer_id, "event_approved" if approve else "event_rejected",
                             notice_data(event, status=status, reason=reason))
    try:
        tx.commit()
    except TxCancelled:
        raise AppError("event_not_pending") from None
    logger.info("event reviewed", extra={"event_id": event_id, "status": status, "staff_id": staff_id})
    return {"event_id": event_id, "status": status, "reason": reason}

