"""What members and operators read of events: ``GET /v1/events`` (paged by cursor), the event page, my
registrations and invitations, who registered, the operators' list, and the events of a day (the reminders)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core import capacity, clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo import batch, keys, paging
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.errors import AppError
from chalicelib.events import reading, registration, rules
from chalicelib.events.models import (
    LISTED,
    MINE_PREFIX,
    PENDING,
    WAITLIST_SK,
    EventItem,
    InvitationItem,
    RegistrationItem,
    WaitlistItem,
)
from chalicelib.events.reading import time_of, utc_key
from chalicelib.identity import public as identity
from chalicelib.identity.public import CustomerItem

LIST_LOOKBACK = rules.MAX_DURATION  # an event still running started at most this long ago


def visible_on_page(page: reading.Page, customer_id: str) -> bool:
    event = page.event
    if event is None or page.profile is None:
        return False
    host = event.host_customer_id == customer_id
    if event.status in ("pending_approval", "rejected"):
        return host
    return rules.visible(reading.audience(event), page.profile.tier_code, reading.member_tags(page.profile),
                         invited=page.invited, registered=page.registration is not None, host=host)


def event_page(customer_id: str, event_id: str) -> dict[str, Any]:
    """``GET /v1/events/{id}``: one BatchGetItem (a merged-away customer's token adds the survivor's)."""
    reading.checked_id(event_id)
    page = reading.page_read(event_id, customer_id)
    if page.profile is not None and page.profile.merged_into:
        return event_page(identity.resolve_customer_id(page.profile.merged_into), event_id)
    if not visible_on_page(page, customer_id):
        raise AppError("not_found")
    assert page.event is not None
    out = reading.event_view(page.event, page.seats, page.waiting, page.registration, detail=True)
    out["invited"] = page.invited
    out["hosted_by_me"] = page.event.host_customer_id == customer_id
    return out


def mine_index(customer_id: str, since: str | None = None, newest_first: bool = False,
               limit: int = 500) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name, "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p" + (" AND gsi2sk >= :s" if since else ""),
        "ExpressionAttributeValues": {":p": {"S": f"{MINE_PREFIX}{customer_id}"},
                                      **({":s": {"S": since}} if since else {})},
        "ScanIndexForward": not newest_first, "Limit": limit,
    }
    items: list[dict[str, Any]] = shared_connection().client.query(**kwargs).get("Items", [])
    return items


def _counters(events: list[EventItem]) -> dict[str, tuple[capacity.Count, int]]:
    """Seat counters and waitlist lengths of listed events: one eventually consistent BatchGetItem per 50 events."""
    out: dict[str, tuple[capacity.Count, int]] = {e.event_id: (capacity.Count(), 0) for e in events}
    keys = [k for e in events for k in ((e.pk, f"{capacity.PREFIX}EVENT"), (e.pk, WAITLIST_SK))]
    for raw in batch.batch_get(keys, consistent=False).values():
        event_id = raw["pk"]["S"][3:]
        seats, waiting = out[event_id]
        if raw["sk"]["S"] == WAITLIST_SK:
            waiting = int(WaitlistItem.from_raw_data(raw).waiting or 0)
        else:
            seats = capacity.Count(int(raw.get("taken", {}).get("N", 0)), int(raw.get("taken_open", {}).get("N", 0)))
        out[event_id] = (seats, waiting)
    return out


LIST_READ = 200  # index items one listing page reads at most: one Query, whatever the circles
EVENT_KEY = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#ev_[0-9a-f]{8,40}$")  # gsi1sk of a listed event
MINE_KEY = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#ev_[0-9a-f]{8,40}#(REG|INV)$")  # gsi2sk of mine


def _cursor_key(cursor: str, shape: re.Pattern[str]) -> str:
    """The index sort key a cursor names (``core.dynamo.paging``'s codec); another shape is 400 validation_error."""
    key = paging.decode_cursor(cursor, "")
    if not shape.match(key):
        raise reading.bad_field("cursor", "is not a valid cursor")
    return key


def _page_cut(read: list[dict[str, Any]], shown: list[dict[str, Any]], limit: int, more: bool,
              key: str) -> tuple[list[dict[str, Any]], str | None]:
    """The page and its cursor, which names the last index item this page *examined*: the last one shown when more
    than ``limit`` were visible, else the last one read (when the Query stopped at its ``Limit``). The next page
    starts strictly after it, so across pages every index item is examined once: nothing skipped nor repeated,
    and a page may be shorter than ``limit`` (even empty) when the items read were for other circles."""
    if len(shown) > limit:
        return shown[:limit], paging.encode_cursor(shown[limit - 1][key]["S"])
    return shown, (paging.encode_cursor(read[-1][key]["S"]) if more and read else None)


def list_for(customer_id: str, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """``GET /v1/events``: upcoming and running events whose audience includes me, soonest first. The member's
    profile, a Query of their registrations and invitations (``gsi2``), one Query of the listing index (``gsi1``
    ``EVLIST``, by start, after the cursor; at most ``LIST_READ`` items) and one BatchGetItem of the shown events'
    counters: four calls, no Scan. The audience is filtered on the items read (see ``_page_cut`` for the cursor)."""
    profile = identity.load_customer(customer_id)
    if profile is None:
        raise AppError("not_found")
    after = _cursor_key(cursor, EVENT_KEY) if cursor else None
    cid = profile.customer_id
    now = clock.now()
    since = utc_key(now - LIST_LOOKBACK)
    mine_raw = mine_index(cid, since)
    regs: dict[str, RegistrationItem] = {}
    invited: set[str] = set()
    for raw in mine_raw:
        if raw.get("kind", {}).get("S") == "INV":
            invited.add(raw["event_id"]["S"])
        else:
            reg = RegistrationItem.from_raw_data(raw)
            regs[reg.event_id] = reg
    strictly_after = after is not None and after >= since
    page = shared_connection().client.query(
        TableName=settings().table_name, IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p AND gsi1sk " + (">" if strictly_after else ">=") + " :s",
        ExpressionAttributeValues={":p": {"S": LISTED}, ":s": {"S": after if strictly_after else since}},
        Limit=LIST_READ)
    read: list[dict[str, Any]] = page.get("Items", [])
    shown_raw = []
    for raw in read:
        event = EventItem.from_raw_data(raw)
        if time_of(event.ends_at) <= now or event.status != "approved":
            continue
        if rules.visible(reading.audience(event), profile.tier_code, reading.member_tags(profile),
                         invited=event.event_id in invited, registered=event.event_id in regs,
                         host=event.host_customer_id == cid):
            shown_raw.append(raw)
    shown_raw, next_cursor = _page_cut(read, shown_raw, limit, bool(page.get("LastEvaluatedKey")), "gsi1sk")
    shown = [EventItem.from_raw_data(r) for r in shown_raw]
    counts = _counters(shown)
    return {"items": [reading.event_view(e, *counts[e.event_id], regs.get(e.event_id)) for e in shown],
            "next_cursor": next_cursor}


def _mine_page(customer_id: str, kind: str, limit: int, cursor: str | None
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """One Query of the member's ``gsi2`` partition, newest event first, after the cursor: the ``kind`` items of
    the page, every item read (a page of invitations finds my registrations of the same events in it) and the next
    cursor (``_page_cut``). Newest first, an event's ``#REG`` item comes right before its ``#INV`` one: a read that
    stops on a registration leaves it to the next page, which reads the invitation with it."""
    pk = f"{MINE_PREFIX}{customer_id}"
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name, "IndexName": "gsi2", "KeyConditionExpression": "gsi2pk = :p",
        "ExpressionAttributeValues": {":p": {"S": pk}}, "ScanIndexForward": False, "Limit": LIST_READ,
    }
    if cursor:
        kwargs["KeyConditionExpression"] += " AND gsi2sk < :c"
        kwargs["ExpressionAttributeValues"][":c"] = {"S": _cursor_key(cursor, MINE_KEY)}
    page = shared_connection().client.query(**kwargs)
    read: list[dict[str, Any]] = page.get("Items", [])
    more = bool(page.get("LastEvaluatedKey"))
    if more and len(read) > 1 and read[-1].get("kind", {}).get("S") == "REG":
        read = read[:-1]
    wanted = [r for r in read if r.get("kind", {}).get("S") == kind]
    items, next_cursor = _page_cut(read, wanted, limit, more, "gsi2sk")
    return items, read, next_cursor


def my_registrations(customer_id: str, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """``GET /v1/me/registrations``: newest event first (a Query of ``gsi2``). Waiting registrations are read again
    in their events (one strongly consistent BatchGetItem for all of them: the index may lag a promotion), and a
    place still waiting is counted in its event's partition (one counting Query each)."""
    cid = identity.resolve_customer_id(customer_id)
    raw, _read, next_cursor = _mine_page(cid, "REG", limit, cursor)
    regs = [RegistrationItem.from_raw_data(r) for r in raw]
    fresh = _fresh([r for r in regs if r.status == "waitlisted"])
    out = []
    for reg in regs:
        reg = fresh.get((reg.pk, reg.sk), reg)
        position = _position(reg) if reg.status == "waitlisted" else None
        out.append(registration.registration_view(reg, position))
    return {"items": out, "next_cursor": next_cursor}


def _fresh(regs: list[RegistrationItem]) -> dict[tuple[str, str], RegistrationItem]:
    """These registrations as they are now: one strongly consistent BatchGetItem (a page is at most 100)."""
    if not regs:
        return {}
    found = RegistrationItem.batch_get([(r.pk, r.sk) for r in regs], consistent_read=True)
    return {(r.pk, r.sk): r for r in found}


def _position(reg: RegistrationItem) -> int | None:
    """1 + the waiting places before this one (a counting Query of the event's partition)."""
    if not reg.wait_sk:
        return None
    reply = shared_connection().client.query(
        TableName=settings().table_name, Select="COUNT", ConsistentRead=True,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
        ExpressionAttributeValues={":pk": {"S": reg.pk}, ":lo": {"S": "WAIT#"}, ":hi": {"S": reg.wait_sk}})
    return int(reply.get("Count", 1))


def my_invitations(customer_id: str, limit: int, cursor: str | None = None) -> dict[str, Any]:
    """``GET /v1/me/invitations``: newest event first (a Query of ``gsi2``); the times are the event's (a change
    rewrites its invitations, ``_refresh_invitations``)."""
    cid = identity.resolve_customer_id(customer_id)
    raw, read, next_cursor = _mine_page(cid, "INV", limit, cursor)
    regs = {r["event_id"]["S"]: r["status"]["S"] for r in read if r.get("kind", {}).get("S") == "REG"}
    out = []
    for r in raw:
        inv = InvitationItem.from_raw_data(r)
        status = regs.get(inv.event_id)
        out.append({"event_id": inv.event_id, "title": inv.title, "starts_at": inv.starts_at, "ends_at": inv.ends_at,
                    "invited_at": inv.invited_at,
                    "my_status": status if status and status != "cancelled" else None})
    return {"items": out, "next_cursor": next_cursor}


def registrations_of(event_id: str, host_customer_id: str | None = None) -> dict[str, Any]:
    """Who registered, in order (registered first, then the waitlist by position), with their member numbers:
    the event's Query and one BatchGetItem of the profiles. For a host, only their own event (else 404)."""
    reading.checked_id(event_id)
    snap = reading.snapshot(event_id)
    if snap.event is None:
        raise AppError("not_found")
    if host_customer_id is not None and snap.event.host_customer_id != identity.resolve_customer_id(
            host_customer_id):
        raise AppError("not_found")
    positions = rules.positions(snap.waiting_keys())
    order = {"checked_in": 0, "registered": 0, "check_in_revoked": 0, "waitlisted": 1}
    regs = sorted(snap.registrations.values(),
                  key=lambda r: (order.get(r.status, 2),
                                 positions.get(r.wait_sk or "", 0), r.created_at))
    profiles = _profiles([r.customer_id for r in regs])
    items = []
    for reg in regs:
        profile = profiles.get(reg.customer_id)
        row = registration.registration_view(reg, positions.get(reg.wait_sk or ""))
        row.update(member_no=profile.member_no if profile else None, name=profile.name if profile else None)
        if host_customer_id is None:
            row["customer_id"] = reg.customer_id
        items.append(row)
    counts = {"registered": sum(1 for r in regs if r.status in ("registered", "checked_in", "check_in_revoked")),
              "checked_in": sum(1 for r in regs if r.status == "checked_in"), "waitlisted": len(snap.waiting),
              "seats_taken": snap.seats.taken, "capacity": int(snap.event.capacity)}
    return {"event_id": event_id, "items": items, "counts": counts, "next_cursor": None}


def _profiles(customer_ids: list[str]) -> dict[str, CustomerItem]:
    out: dict[str, CustomerItem] = {}
    for start in range(0, len(customer_ids), 100):
        chunk = customer_ids[start:start + 100]
        for item in CustomerItem.batch_get([(keys.customer_pk(c), "M#PROFILE") for c in chunk]):
            out[item.customer_id] = item
    return out


def admin_list(status: str, limit: int) -> dict[str, Any]:
    """Operators' list: upcoming approved events, or those waiting for review (a Query of ``gsi1``)."""
    partition = PENDING if status == "pending_approval" else LISTED
    since = utc_key(clock.now() - LIST_LOOKBACK)
    raw = shared_connection().client.query(
        TableName=settings().table_name, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p AND gsi1sk >= :s",
        ExpressionAttributeValues={":p": {"S": partition}, ":s": {"S": since}}, Limit=limit,
    ).get("Items", [])
    return {"items": [reading.admin_view(EventItem.from_raw_data(r)) for r in raw], "next_cursor": None}


def admin_get(event_id: str) -> dict[str, Any]:
    snap = reading.snapshot(reading.checked_id(event_id))
    if snap.event is None:
        raise AppError("not_found")
    return reading.admin_view(snap.event, snap.seats, len(snap.waiting))


def upcoming_between(start: datetime, end: datetime) -> list[EventItem]:
    """Approved events starting in ``[start, end)`` (the listing index, by start)."""
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name, "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :p AND gsi1sk BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {":p": {"S": LISTED}, ":lo": {"S": utc_key(start)},
                                      ":hi": {"S": utc_key(end - timedelta(seconds=1)) + "~"}},
    }
    out: list[EventItem] = []
    while True:
        page = client.query(**kwargs)
        out += [EventItem.from_raw_data(r) for r in page.get("Items", [])]
        if not page.get("LastEvaluatedKey"):
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
