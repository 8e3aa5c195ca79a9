"""At the store: the till's check-in (``POST /v1/integrations/appointments/{id}/check-in``, on the appointment's
store-local day only; the service received goes to the surveys area in its transaction) and the day's queue in
serving order."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.appointments import catalogue
from chalicelib.appointments.booking import MAX_ATTEMPTS
from chalicelib.appointments.member_state import release_in
from chalicelib.appointments.models import ID_INDEX_PREFIX, QUEUE_PREFIX, AppointmentItem
from chalicelib.core import clock, services
from chalicelib.core.calendar import business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError

ACTIVE = ("booked", "checked_in")


def by_id(appointment_id: str) -> AppointmentItem:
    if not appointment_id.startswith("apt_") or len(appointment_id) > 64:
        raise AppError("not_found")
    raw = shared_connection().client.query(
        TableName=settings().table_name, IndexName="gsi2",
        KeyConditionExpression="gsi2pk = :p",
        ExpressionAttributeValues={":p": {"S": f"{ID_INDEX_PREFIX}{appointment_id}"}},
    ).get("Items", [])
    if not raw:
        raise AppError("not_found")
    item = AppointmentItem.from_raw_data(raw[0])
    try:  # the index is eventually consistent: the item itself decides
        return AppointmentItem.get(item.pk, item.sk, consistent_read=True)
    except AppointmentItem.DoesNotExist:
        raise AppError("not_found") from None


def check_in(appointment_id: str) -> dict[str, Any]:
    """``POST /v1/integrations/appointments/{id}/check-in`` (the till): on the appointment's store-local day only;
    checking in twice answers the first check-in."""
    def once(_attempt: int) -> dict[str, Any]:
        item = by_id(appointment_id)
        if item.status == "checked_in":
            return _checked_in(item)
        if item.status != "booked":
            raise AppError("appointment_not_active")
        now = clock.now()
        if business_day(now).isoformat() != item.day:
            raise AppError("check_in_not_open", details=[{"field": "appointment_id", "issue": f"is on {item.day}"}])
        at = clock.iso(now)
        tx = Tx()
        tx.update("appointment", item, [AppointmentItem.status.set("checked_in"),
                                        AppointmentItem.checked_in_at.set(at), AppointmentItem.updated_at.set(at)],
                  AppointmentItem.status == "booked")
        release_in(tx, item)
        services.completed_in(tx, _attended(item, at))
        try:
            tx.commit()
        except TxCancelled:
            raise retry.Again from None
        item.status, item.checked_in_at = "checked_in", at
        return _checked_in(item)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="appointment check-in")


def _attended(item: AppointmentItem, at: str) -> services.Completion:
    """The member came: a service received (the surveys area asks how it was, in the check-in's transaction)."""
    try:
        store, service = catalogue.service(item.store_id, item.service_id)
        title = f"{service.name} · {store.name}"
    except AppError:  # a service since removed from the catalogue: still a service received
        title = item.service_id
    return services.Completion(kind="appointment", customer_id=item.customer_id, service_id=item.appointment_id,
                               title=title, at=at, groups={"store": item.store_id})


def _checked_in(item: AppointmentItem) -> dict[str, Any]:
    return {"appointment_id": item.appointment_id, "status": "checked_in", "checked_in_at": item.checked_in_at,
            "priority": bool(item.priority), "slot_start": item.slot_start}


def serving_order(items: list[AppointmentItem]) -> list[AppointmentItem]:
    """Priority first (hotline bookings, priority tiers), then by arrival (check-in time); those not yet arrived
    after, by their slot."""
    active = [i for i in items if i.status in ACTIVE]
    return sorted(active, key=lambda i: (not i.priority, i.checked_in_at is None,
                                         i.checked_in_at or i.slot_start, i.slot_start, i.appointment_id))


def queue(store_id: str, day: date) -> dict[str, Any]:
    """``GET /v1/integrations/stores/{id}/queue?date=``: the day's appointments in serving order (one Query)."""
    catalogue.store(store_id)
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name, "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": {"S": f"{QUEUE_PREFIX}{store_id}#{day.isoformat()}"}},
    }
    found: list[AppointmentItem] = []
    while True:
        page = client.query(**kwargs)
        found += [AppointmentItem.from_raw_data(r) for r in page.get("Items", [])]
        if not page.get("LastEvaluatedKey"):
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    ordered = serving_order(found)
    return {"date": day.isoformat(), "store_id": store_id, "items": [
        {"position": n, "appointment_id": i.appointment_id, "customer_id": i.customer_id, "service_id": i.service_id,
         "slot_start": i.slot_start, "slot_end": i.slot_end, "status": i.status, "priority": bool(i.priority),
         "channel": i.channel, "checked_in_at": i.checked_in_at}
        for n, i in enumerate(ordered, start=1)]}
