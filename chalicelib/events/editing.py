"""Events as operators create them and hosts run them: creating an event, the check-in code, invitations,
changing and cancelling an event (everyone registered or waiting is told, once)."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.core import clock, notifications
from chalicelib.core.calendar import business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.events import reading, registration, rules
from chalicelib.events.listing import admin_get
from chalicelib.events.models import (
    EVENT_SK,
    INV_PREFIX,
    LISTED,
    PENDING,
    WAITLIST_SK,
    EventItem,
    InvitationItem,
    RegistrationItem,
    WaitlistItem,
    event_pk,
)
from chalicelib.events.reading import time_of, utc_key
from chalicelib.events.registration import notice_data
from chalicelib.identity import public as identity
from chalicelib.points import public as points

MAX_INVITES = 25  # one transaction: an invitation and its notification each


def new_event_id() -> str:
    return f"ev_{int(clock.now().timestamp() * 1000):011x}{secrets.token_hex(5)}"


def _known_tiers(codes: list[str] | None, field: str) -> list[str] | None:
    if not codes:
        return None
    known = {t.code for t in points.catalogue()}
    unknown = sorted(set(codes) - known)
    if unknown:
        raise reading.bad_field(field, f"unknown tiers: {', '.join(unknown)}")
    return sorted(set(codes))


def new_event(fields: dict[str, Any], created_by: str, status: str, host: str | None,
               event_id: str | None = None) -> tuple[EventItem, str]:
    now = clock.now()
    starts, ends = fields["starts_at"], fields["ends_at"]
    closes = fields.get("registration_closes_at")
    issue = rules.schedule_issue(starts, ends, closes, now)
    if issue is not None:
        raise reading.bad_field(*issue)
    order = fields.get("waitlist_order") or "first_come"
    priority = _known_tiers(fields.get("priority_tiers"), "priority_tiers")
    if order == "tiers_first" and not priority:
        priority = [t.code for t in points.catalogue() if t.rank >= tier_rank(settings().events_host_min_tier)]
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


def tier_rank(code: str) -> int:
    """A tier code's rank in the points catalogue (an unknown code ranks above every tier: nobody reaches it)."""
    return next((t.rank for t in points.catalogue() if t.code == code), 10**6)


def create(fields: dict[str, Any], staff_id: str) -> dict[str, Any]:
    """``POST /v1/admin/events``: listed at once; the check-in code is answered once (only its hash is kept)."""
    item, code = new_event(fields, staff_id, "approved", None)
    logger.info("event created", extra={"event_id": item.event_id, "staff_id": staff_id})
    return {"event_id": item.event_id, "check_in_code": code, "status": item.status}


def event_of(event_id: str) -> EventItem:
    reading.checked_id(event_id)
    try:
        return EventItem.get(event_pk(event_id), EVENT_SK, consistent_read=True)
    except EventItem.DoesNotExist:
        raise AppError("not_found") from None


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
        raise reading.bad_field("member_nos", f"at most {MAX_INVITES} at a time")
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
    snap = reading.snapshot(event_id)
    active = ("registered", "waitlisted")

    def tell(cid: str) -> bool:
        def attempt(_n: int) -> bool:
            nonlocal snap
            current = snap.registrations.get(cid)
            if current is None or current.status not in active or snap.event is None:
                return False  # left meanwhile: nothing to tell
            tx = Tx()
            registration.plan_leave(tx, snap, current, clock.now(), by, promote=False)
            notifications.put_in(tx, cid, "event_cancelled",
                                 notice_data(snap.event, status="cancelled", reason=snap.event.cancel_reason))
            try:
                tx.commit()
            except TxCancelled:
                snap = reading.snapshot(event_id)  # a member left meanwhile: plan on what is there now
                raise retry.Again from None
            _left(snap, current)
            return True
        # Still racing after every try: this member is left as they are, the others are still told.
        return retry.until_committed_or(lambda _last: False, attempt, limit=registration.MAX_ATTEMPTS,
                                        what="event cancellation notice", event_id=event_id, customer_id=cid)

    for cid in [c for c, r in snap.registrations.items() if r.status in active]:
        told += tell(cid)
    return told


def _left(snap: reading.Snapshot, reg: RegistrationItem) -> None:
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
        raise reading.bad_field(*issue)
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
    snap = reading.snapshot(event_id)
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


def _refresh_invitations(snap: reading.Snapshot, event: EventItem) -> int:
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

