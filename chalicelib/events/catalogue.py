"""Events as operators create them and members host them: creation, review, invitations, the check-in code,
cancelling an event, and what members list (``GET /v1/events``, the event page, their registrations and
invitations)."""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core import capacity, clock, notifications
from chalicelib.core.calendar import business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, paging, retry
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.events import registration, rules, store
from chalicelib.events.models import (
    EVENT_SK,
    INV_PREFIX,
    LISTED,
    MINE_PREFIX,
    PENDING,
    WAITLIST_SK,
    EventItem,
    InvitationItem,
    RegistrationItem,
    WaitlistItem,
    event_pk,
)
from chalicelib.events.registration import notice_data
from chalicelib.events.store import time_of, utc_key
from chalicelib.identity import public as identity
from chalicelib.identity.public import CustomerItem
from chalicelib.points import public as points

MAX_INVITES = 25  # one transaction: an invitation and its notification each
LIST_LOOKBACK = rules.MAX_DURATION  # an event still running started at most this long ago


def host_min_tier() -> str:
    """The lowest tier that may host (``EVENTS_HOST_MIN_TIER``, default gold: gold and above)."""
    return os.environ.get("EVENTS_HOST_MIN_TIER", "gold")


def new_event_id() -> str:
    return f"ev_{int(clock.now().timestamp() * 1000):011x}{secrets.token_hex(5)}"


def _bad(field: str, issue: str) -> AppError:
    return AppError("validation_error", details=[{"field": field, "issue": issue}])


def _known_tiers(codes: list[str] | None, field: str) -> list[str] | None:
    if not codes:
        return None
    known = {t.code for t in points.catalogue()}
    unknown = sorted(set(codes) - known)
    if unknown:
        raise _bad(field, f"unknown tiers: {', '.join(unknown)}")
    return sorted(set(codes))


def new_event(fields: dict[str, Any], created_by: str, status: str, host: str | None,
               event_id: str | None = None) -> tuple[EventItem, str]:
    now = clock.now()
    starts, ends = fields["starts_at"], fields["ends_at"]
    closes = fields.get("registration_closes_at")
    issue = rules.schedule_issue(starts, ends, closes, now)
    if issue is not None:
        raise _bad(*issue)
    order = fields.get("waitlist_order") or "first_come"
    priority = _known_tiers(fields.get("priority_tiers"), "priority_tiers")
    if order == "tiers_first" and not priority:
        priority = [t.code for t in points.catalogue() if t.rank >= _rank(host_min_tier())]
    event_id = event_id or new_event_id()
    code = rules.new_code()
    salt = secrets.token_hex(8)
    at = clock.iso(now)
    item = EventItem(
        pk=event_pk(event_id), sk=EVENT_SK, event_id=event_id, title=fields["title"],
        description=fields.get("description"), venue=fields["venue"], store_id=fields.get("store_id"),
        starts_at=starts.isoformat(), ends_at=ends.isoformat(),
        registration_closes_at=(closes or starts).isoformat(), day=business_day(starts).isoformat(),
        capacity=int(fields["capacity"]), tiers=_known_tiers(fields.get("tiers"), "tiers"),
        tags=sorted(set(fields["tags"])) if fields.get("tags") else None,
        invite_only=bool(fields.get("invite_only", False)), check_in_points=int(fields.get("check_in_points") or 0),
        participant_tags=sorted(set(fields["participant_tags"])) if fields.get("participant_tags") else None,
        waitlist_order=order, priority_tiers=priority, status=status, host_customer_id=host,
        code_salt=salt, code_hash=rules.hash_code(salt, code), ver=1, created_by=created_by, created_at=at,
        updated_at=at, gsi1pk=LISTED if status == "approved" else PENDING,
        gsi1sk=f"{utc_key(starts)}#{event_id}",
    )
    item.save(EventItem.pk.does_not_exist())  # a seed's fixed ID that exists: PutError (the seeder skips it)
    return item, code


def _rank(code: str) -> int:
    return next((t.rank for t in points.catalogue() if t.code == code), 10**6)


def create(fields: dict[str, Any], staff_id: str) -> dict[str, Any]:
    """``POST /v1/admin/events``: listed at once; the check-in code is answered once (only its hash is kept)."""
    item, code = new_event(fields, staff_id, "approved", None)
    logger.info("event created", extra={"event_id": item.event_id, "staff_id": staff_id})
    return {"event_id": item.event_id, "check_in_code": code, "status": item.status}


def propose(customer_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/events``: a member whose held tier allows it proposes an invite-only event; it waits for an
    operator (``pending_approval``: seen by its host only)."""
    items = points.load_member(customer_id, consistent=True)
    tier = points.held_tier(items)
    if not rules.may_host(tier.rank, _rank(host_min_tier())):
        raise AppError("tier_not_eligible")
    fields = {**fields, "invite_only": True}
    item, _code = new_event(fields, f"member:{items.customer_id}", "pending_approval", items.customer_id)
    logger.info("event proposed", extra={"event_id": item.event_id, "customer_id": items.customer_id})
    return {"event_id": item.event_id, "status": item.status}


def event_of(event_id: str) -> EventItem:
    store.checked_id(event_id)
    try:
        return EventItem.get(event_pk(event_id), EVENT_SK, consistent_read=True)
    except EventItem.DoesNotExist:
        raise AppError("not_found") from None


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


def host_event(customer_id: str, event_id: str) -> EventItem:
    """The member's own hosted event; anyone else's is 404."""
    event = event_of(event_id)
    if event.host_customer_id != identity.resolve_customer_id(customer_id):
        raise AppError("not_found")
    return event


def rotate_code(event: EventItem, by: str) -> dict[str, Any]:
    """A new check-in code (the old one stops working at once); answered once, kept as a hash."""
    code = rules.new_code()
    salt = secrets.token_hex(8)
    at = clock.iso()
    event.update(actions=[EventItem.code_salt.set(salt), EventItem.code_hash.set(rules.hash_code(salt, code)),
                          EventItem.code_rotated_at.set(at), EventItem.updated_at.set(at)])
    logger.info("event check-in code rotated", extra={"event_id": event.event_id, "by": by})
    return {"event_id": event.event_id, "check_in_code": code, "rotated_at": at}


def invite(customer_id: str, event_id: str, member_nos: list[str]) -> dict[str, Any]:
    """The host invites members by member number: each gets an invitation and a notification (one transaction)."""
    event = host_event(customer_id, event_id)
    if event.status != "approved":
        raise AppError("event_not_open")
    wanted = sorted(set(member_nos))
    if len(wanted) > MAX_INVITES:
        raise _bad("member_nos", f"at most {MAX_INVITES} at a time")
    found = identity.lookup_many([identity.member_no_key(n) for n in wanted])
    by_no = {n: found[identity.member_no_key(n)] for n in wanted if identity.member_no_key(n) in found}
    unknown = [n for n in wanted if n not in by_no]
    at = clock.iso()
    tx = Tx()
    invited: list[str] = []
    for n, (member_no, cid) in enumerate(sorted(by_no.items())):
        if cid == event.host_customer_id:
            continue
        gsi2pk, gsi2sk = registration.mine_keys(cid, event, "INV")
        tx.put(f"invitation:{n}", InvitationItem(
            pk=event.pk, sk=f"{INV_PREFIX}{cid}", event_id=event_id, customer_id=cid, title=event.title,
            starts_at=event.starts_at, ends_at=event.ends_at, invited_by=event.host_customer_id or customer_id,
            invited_at=at, gsi2pk=gsi2pk, gsi2sk=gsi2sk))
        notifications.put_in(tx, cid, "event_invited", notice_data(event), label=f"notification:{n}")
        invited.append(member_no)
    if tx.size:
        tx.commit()
    logger.info("event invitations", extra={"event_id": event_id, "invited": len(invited), "unknown": len(unknown)})
    return {"event_id": event_id, "invited": invited, "unknown": unknown}


def cancel_event(event: EventItem, by: str, reason: str) -> dict[str, Any]:
    """The host or an operator cancels: the event stops, then everyone registered or waiting is told (one small
    transaction each, conditioned on their registration still being active: a re-run tells nobody twice)."""
    at = clock.iso()
    if event.status in ("cancelled", "rejected"):
        raise AppError("event_not_open")
    tx = Tx()
    tx.update("event", event, [EventItem.status.set("cancelled"), EventItem.cancel_reason.set(reason),
                               EventItem.updated_at.set(at), EventItem.ver.add(1)], EventItem.status == event.status)
    try:
        tx.commit()
    except TxCancelled:  # cancelled or reviewed meanwhile
        raise AppError("event_not_open") from None
    told = _tell_cancelled(event.event_id, by)
    logger.info("event cancelled", extra={"event_id": event.event_id, "by": by, "told": told})
    return {"event_id": event.event_id, "status": "cancelled", "told": told}


def _tell_cancelled(event_id: str, by: str) -> int:
    """One transaction per member, planned on one snapshot kept up to date (read again only after a race)."""
    told = 0
    snap = store.snapshot(event_id)
    active = ("registered", "waitlisted")
    for cid in [c for c, r in snap.registrations.items() if r.status in active]:
        for _attempt in retry.attempts(registration.MAX_ATTEMPTS):
            current = snap.registrations.get(cid)
            if current is None or current.status not in active or snap.event is None:
                break
            tx = Tx()
            registration.plan_leave(tx, snap, current, clock.now(), by, promote=False)
            notifications.put_in(tx, cid, "event_cancelled",
                                 notice_data(snap.event, status="cancelled", reason=snap.event.cancel_reason))
            try:
                tx.commit()
            except TxCancelled:
                snap = store.snapshot(event_id)  # a member left meanwhile: plan on what is there now
                continue
            _left(snap, current)
            told += 1
            break
    return told


def _left(snap: store.Snapshot, reg: RegistrationItem) -> None:
    """What ``plan_leave`` (without promotion) committed, applied to the snapshot it was planned on."""
    if snap.waitlist is None:
        snap.waitlist = WaitlistItem(pk=snap.pk, sk=WAITLIST_SK, ver=0, waiting=0, next_ticket=0)
    snap.waitlist.ver = int(snap.waitlist.ver or 0) + 1
    if reg.status == "waitlisted":
        snap.waitlist.waiting = max(0, int(snap.waitlist.waiting or 0) - 1)
        snap.waiting = [w for w in snap.waiting if w.sk != reg.wait_sk]
    reg.status = "cancelled"


def change(event_id: str, changes: dict[str, Any], staff_id: str) -> dict[str, Any]:
    """``PATCH /v1/admin/events/{id}``: title, description, venue or times; everyone registered or waiting is told
    (one small transaction each, conditioned on the version they were last told about: told once per change)."""
    event = event_of(event_id)
    if event.status != "approved":
        raise AppError("event_not_open")
    starts = changes.get("starts_at") or time_of(event.starts_at)
    ends = changes.get("ends_at") or time_of(event.ends_at)
    old_closes = time_of(event.registration_closes_at)
    closes = changes.get("registration_closes_at") or (
        starts if old_closes == time_of(event.starts_at) else old_closes)  # a close at the start moves with it
    issue = rules.schedule_issue(starts, ends, closes, clock.now())
    if issue is not None and (issue[0] != "starts_at" or "starts_at" in changes):
        raise _bad(*issue)
    texts = {n: changes[n] for n in ("title", "description", "venue")
             if changes.get(n) is not None and changes[n] != getattr(event, n)}
    if not texts and (starts.isoformat(), ends.isoformat(), closes.isoformat()) == (
            event.starts_at, event.ends_at, event.registration_closes_at):
        return {**admin_get(event_id), "told": 0}  # nothing changed: nobody is told
    at = clock.iso()
    ver = int(event.ver or 1) + 1
    actions: list[Any] = [EventItem.ver.set(ver), EventItem.updated_at.set(at),
                          EventItem.starts_at.set(starts.isoformat()), EventItem.ends_at.set(ends.isoformat()),
                          EventItem.registration_closes_at.set(closes.isoformat()),
                          EventItem.day.set(business_day(starts).isoformat()),
                          EventItem.gsi1sk.set(f"{utc_key(starts)}#{event_id}")]
    actions += [getattr(EventItem, name).set(value) for name, value in texts.items()]
    tx = Tx()
    tx.update("event", event, actions, (EventItem.ver == int(event.ver or 1)) & (EventItem.status == "approved"))
    try:
        tx.commit()
    except TxCancelled:
        raise AppError("event_not_open") from None
    told = _tell_changed(event_id)
    logger.info("event changed", extra={"event_id": event_id, "staff_id": staff_id, "told": told})
    return {**admin_get(event_id), "told": told}


def _tell_changed(event_id: str) -> int:
    snap = store.snapshot(event_id)
    event = snap.event
    assert event is not None
    _refresh_invitations(snap, event)
    ver = int(event.ver or 1)
    told = 0
    for reg in snap.registrations.values():
        if reg.status not in ("registered", "waitlisted") or int(reg.told_ver or 0) >= ver:
            continue
        gsi2pk, gsi2sk = registration.mine_keys(reg.customer_id, event, "REG")
        tx = Tx()
        tx.update("registration", RegistrationItem(pk=reg.pk, sk=reg.sk), [
            RegistrationItem.told_ver.set(ver), RegistrationItem.title.set(event.title),
            RegistrationItem.starts_at.set(event.starts_at), RegistrationItem.ends_at.set(event.ends_at),
            RegistrationItem.gsi2sk.set(gsi2sk)],
            (RegistrationItem.told_ver.does_not_exist() | (RegistrationItem.told_ver < ver))
            & RegistrationItem.status.is_in("registered", "waitlisted") & (RegistrationItem.gsi2pk == gsi2pk))
        notifications.put_in(tx, reg.customer_id, "event_changed", notice_data(event, status=reg.status))
        try:
            tx.commit()
        except TxCancelled:
            continue
        told += 1
    return told


def _refresh_invitations(snap: store.Snapshot, event: EventItem) -> int:
    """Invitations carry the event's title and times (and sort by its start in ``gsi2``): after a change, one
    UpdateItem per invitation still showing the old ones, on the snapshot the change already read. An invitation
    moved meanwhile (a merge) is not brought back (``attribute_exists``). Cheaper than reading every listed
    invitation's event at each ``GET /v1/me/invitations``: changes are rare, listings are not."""
    client = shared_connection().client
    done = 0
    for raw in snap.raw:
        if not raw["sk"]["S"].startswith(INV_PREFIX):
            continue
        inv = InvitationItem.from_raw_data(raw)
        _pk, gsi2sk = registration.mine_keys(inv.customer_id, event, "INV")
        if (inv.title, inv.starts_at, inv.ends_at, inv.gsi2sk) == (event.title, event.starts_at, event.ends_at,
                                                                     gsi2sk):
            continue
        try:
            client.update_item(
                TableName=settings().table_name, Key={"pk": {"S": inv.pk}, "sk": {"S": inv.sk}},
                UpdateExpression="SET title = :t, starts_at = :s, ends_at = :e, gsi2sk = :k",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":t": {"S": event.title}, ":s": {"S": event.starts_at},
                                           ":e": {"S": event.ends_at}, ":k": {"S": gsi2sk}})
        except client.exceptions.ConditionalCheckFailedException:
            continue
        done += 1
    return done


# --- what members read ---------------------------------------------------------------------------------------------


def visible_on_page(page: store.Page, customer_id: str) -> bool:
    event = page.event
    if event is None or page.profile is None:
        return False
    host = event.host_customer_id == customer_id
    if event.status in ("pending_approval", "rejected"):
        return host
    return rules.visible(store.audience(event), page.profile.tier_code, store.member_tags(page.profile),
                         invited=page.invited, registered=page.registration is not None, host=host)


def event_page(customer_id: str, event_id: str) -> dict[str, Any]:
    """``GET /v1/events/{id}``: one BatchGetItem (a merged-away customer's token adds the survivor's)."""
    store.checked_id(event_id)
    page = store.page_read(event_id, customer_id)
    if page.profile is not None and page.profile.merged_into:
        return event_page(identity.resolve_customer_id(page.profile.merged_into), event_id)
    if not visible_on_page(page, customer_id):
        raise AppError("not_found")
    assert page.event is not None
    out = store.event_view(page.event, page.seats, page.waiting, page.registration, detail=True)
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
    """Seat counters and waitlist lengths of listed events: one BatchGetItem per 50 events."""
    out: dict[str, tuple[capacity.Count, int]] = {e.event_id: (capacity.Count(), 0) for e in events}
    table = settings().table_name
    client = shared_connection().client
    for start in range(0, len(events), 50):
        chunk = events[start:start + 50]
        request: dict[str, Any] = {table: {"Keys": [
            k for e in chunk for k in ({"pk": {"S": e.pk}, "sk": {"S": f"{capacity.PREFIX}EVENT"}},
                                       {"pk": {"S": e.pk}, "sk": {"S": WAITLIST_SK}})]}}
        while request:
            reply = client.batch_get_item(RequestItems=request)
            for raw in reply.get("Responses", {}).get(table, []):
                event_id = raw["pk"]["S"][3:]
                seats, waiting = out[event_id]
                if raw["sk"]["S"] == WAITLIST_SK:
                    waiting = int(WaitlistItem.from_raw_data(raw).waiting or 0)
                else:
                    seats = capacity.Count(int(raw.get("taken", {}).get("N", 0)),
                                           int(raw.get("taken_open", {}).get("N", 0)))
                out[event_id] = (seats, waiting)
            request = reply.get("UnprocessedKeys") or {}
    return out


LIST_READ = 200  # index items one listing page reads at most: one Query, whatever the circles
EVENT_KEY = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#ev_[0-9a-f]{8,40}$")  # gsi1sk of a listed event
MINE_KEY = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#ev_[0-9a-f]{8,40}#(REG|INV)$")  # gsi2sk of mine


def _cursor_key(cursor: str, shape: re.Pattern[str]) -> str:
    """The index sort key a cursor names (``core.dynamo.paging``'s codec); another shape is 400 validation_error."""
    key = paging.decode_cursor(cursor, "")
    if not shape.match(key):
        raise _bad("cursor", "is not a valid cursor")
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
        if rules.visible(store.audience(event), profile.tier_code, store.member_tags(profile),
                         invited=event.event_id in invited, registered=event.event_id in regs,
                         host=event.host_customer_id == cid):
            shown_raw.append(raw)
    shown_raw, next_cursor = _page_cut(read, shown_raw, limit, bool(page.get("LastEvaluatedKey")), "gsi1sk")
    shown = [EventItem.from_raw_data(r) for r in shown_raw]
    counts = _counters(shown)
    return {"items": [store.event_view(e, *counts[e.event_id], regs.get(e.event_id)) for e in shown],
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
    store.checked_id(event_id)
    snap = store.snapshot(event_id)
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
    return {"items": [store.admin_view(EventItem.from_raw_data(r)) for r in raw], "next_cursor": None}


def admin_get(event_id: str) -> dict[str, Any]:
    snap = store.snapshot(store.checked_id(event_id))
    if snap.event is None:
        raise AppError("not_found")
    return store.admin_view(snap.event, snap.seats, len(snap.waiting))


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
