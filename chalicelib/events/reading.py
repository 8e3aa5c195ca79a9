"""Reading events: the whole partition of one event (one Query), the event page's few keys (one BatchGetItem), and
the event views members and operators read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.core import capacity
from chalicelib.core.config import settings
from chalicelib.core.dynamo import batch, keys
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.errors import AppError
from chalicelib.events import rules
from chalicelib.events.models import (
    EVENT_SK,
    INV_PREFIX,
    REG_PREFIX,
    WAIT_PREFIX,
    WAITLIST_SK,
    EventItem,
    RegistrationItem,
    WaitEntryItem,
    WaitlistItem,
    event_pk,
)
from chalicelib.identity.public import PROFILE_SK, CustomerItem

EVENT_ID = re.compile(r"^ev_[0-9a-f]{8,40}$")


def checked_id(event_id: str) -> str:
    """An event ID as issued, or 404 (never a key built from arbitrary input)."""
    if not EVENT_ID.match(event_id):
        raise AppError("not_found")
    return event_id


def bad_field(field: str, issue: str) -> AppError:
    """400 ``validation_error`` naming the field and what is wrong with it."""
    return AppError("validation_error", details=[{"field": field, "issue": issue}])


def time_of(value: str) -> datetime:
    return datetime.fromisoformat(value)


def utc_key(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seat_slot(event: EventItem) -> capacity.Slot:
    """The event's seat counter, kept in the event's partition so that its one Query reads it."""
    return capacity.Slot(f"EVENT#{event.event_id}", date.fromisoformat(event.day), "EVENT",
                         partition=event.pk)


def audience(event: EventItem) -> rules.Audience:
    return rules.Audience(tuple(event.tiers or ()), tuple(event.tags or ()), bool(event.invite_only))


def open_now(event: EventItem, now: datetime) -> bool:
    return rules.registration_open(event.status, time_of(event.registration_closes_at), time_of(event.ends_at), now)


@dataclass
class Snapshot:
    """One event's partition as one consistent Query read it."""

    event_id: str
    raw: list[dict[str, Any]]
    event: EventItem | None = None
    waitlist: WaitlistItem | None = None
    seats: capacity.Count = field(default_factory=capacity.Count)
    registrations: dict[str, RegistrationItem] = field(default_factory=dict)
    invited: set[str] = field(default_factory=set)
    waiting: list[WaitEntryItem] = field(default_factory=list)  # in waitlist order

    @property
    def pk(self) -> str:
        return event_pk(self.event_id)

    def first_waiting(self) -> WaitEntryItem | None:
        return self.waiting[0] if self.waiting else None

    def waiting_keys(self) -> list[str]:
        return [w.sk for w in self.waiting]

    def registered_count(self) -> int:
        return sum(1 for r in self.registrations.values() if r.status in ("registered", "checked_in"))


def _query_all(pk: str) -> list[dict[str, Any]]:
    client = shared_connection().client
    kwargs: dict[str, Any] = {"TableName": settings().table_name, "KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": pk}}, "ConsistentRead": True}
    out: list[dict[str, Any]] = []
    while True:
        page = client.query(**kwargs)
        out.extend(page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def snapshot(event_id: str) -> Snapshot:
    """The event, its seats, waitlist, registrations and invitations: one strongly consistent Query (more pages
    only past 1 MB, some thousands of registrations)."""
    snap = Snapshot(event_id, _query_all(event_pk(event_id)))
    for raw in snap.raw:
        sk = raw["sk"]["S"]
        if sk == EVENT_SK:
            snap.event = EventItem.from_raw_data(raw)
        elif sk == WAITLIST_SK:
            snap.waitlist = WaitlistItem.from_raw_data(raw)
        elif sk.startswith(REG_PREFIX):
            reg = RegistrationItem.from_raw_data(raw)
            snap.registrations[reg.customer_id] = reg
        elif sk.startswith(INV_PREFIX):
            snap.invited.add(sk[len(INV_PREFIX):])
        elif sk.startswith(WAIT_PREFIX):
            snap.waiting.append(WaitEntryItem.from_raw_data(raw))
    if snap.event is not None:
        snap.seats = capacity.count_of(seat_slot(snap.event), snap.raw)
    snap.waiting.sort(key=lambda w: w.sk)
    return snap


@dataclass
class Page:
    """What the event page needs of one member and one event, read with one BatchGetItem."""

    event: EventItem | None
    seats: capacity.Count
    waiting: int
    registration: RegistrationItem | None
    invited: bool
    profile: CustomerItem | None


def page_read(event_id: str, customer_id: str) -> Page:
    """One BatchGetItem (strongly consistent): the event, its seat counter and waitlist state, the member's
    registration and invitation, and the member's profile (tier, tags, consents)."""
    pk = event_pk(event_id)
    seat_sk = f"{capacity.PREFIX}EVENT"
    wanted = [(pk, EVENT_SK), (pk, seat_sk), (pk, WAITLIST_SK), (pk, f"{REG_PREFIX}{customer_id}"),
              (pk, f"{INV_PREFIX}{customer_id}"), (keys.customer_pk(customer_id), PROFILE_SK)]
    found = batch.batch_get(wanted)  # unprocessed keys asked again with the core's pause and limit
    event_raw = found.get((pk, EVENT_SK))
    seat_raw = found.get((pk, seat_sk))
    wl_raw = found.get((pk, WAITLIST_SK))
    reg_raw = found.get((pk, f"{REG_PREFIX}{customer_id}"))
    prof_raw = found.get((keys.customer_pk(customer_id), PROFILE_SK))
    seats = capacity.count_of(capacity.Slot("", date.min, "EVENT", partition=pk), [seat_raw] if seat_raw else [])
    return Page(
        event=EventItem.from_raw_data(event_raw) if event_raw else None,
        seats=seats,
        waiting=int(WaitlistItem.from_raw_data(wl_raw).waiting or 0) if wl_raw else 0,
        registration=RegistrationItem.from_raw_data(reg_raw) if reg_raw else None,
        invited=(pk, f"{INV_PREFIX}{customer_id}") in found,
        profile=CustomerItem.from_raw_data(prof_raw) if prof_raw else None,
    )


def member_tags(profile: CustomerItem | None) -> set[str]:
    return set(profile.tags or ()) if profile is not None else set()


def my_status(reg: RegistrationItem | None) -> str | None:
    return reg.status if reg is not None and reg.status != "cancelled" else None


def event_view(event: EventItem, seats: capacity.Count, waiting: int, reg: RegistrationItem | None,
               detail: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event_id": event.event_id, "title": event.title, "starts_at": event.starts_at, "ends_at": event.ends_at,
        "venue": event.venue, "capacity": int(event.capacity), "remaining": seats.remaining(int(event.capacity)),
        "waitlist_length": waiting, "my_status": my_status(reg), "status": event.status,
        "registration_closes_at": event.registration_closes_at, "invite_only": bool(event.invite_only),
        "check_in_points": int(event.check_in_points or 0), "hosted_by_member": event.host_customer_id is not None,
    }
    if event.store_id:
        out["store_id"] = event.store_id
    if detail:
        out["description"] = event.description
    return out


def admin_view(event: EventItem, seats: capacity.Count | None = None, waiting: int = 0) -> dict[str, Any]:
    out = event_view(event, seats or capacity.Count(), waiting, None, detail=True)
    del out["my_status"]
    out.update(tiers=list(event.tiers or []), tags=list(event.tags or []),
               participant_tags=list(event.participant_tags or []), waitlist_order=event.waitlist_order,
               priority_tiers=list(event.priority_tiers or []), host_customer_id=event.host_customer_id,
               review_reason=event.review_reason, reviewed_by=event.reviewed_by, created_at=event.created_at)
    return out
