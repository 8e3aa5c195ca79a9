"""Registering for an event, leaving it, and the waitlist moving by itself.

Registering (``POST /v1/events/{id}/registrations``, Idempotency-Key): one Query and one TransactWriteItems
    1. one strongly consistent Query of the event's partition (``reading.snapshot``): the event, its seat counter, the
       waitlist state and places, the member's registration and invitation, and this key's idempotency record (kept
       in the event's partition, scoped by the member, so the same Query finds it: a replay is answered here);
    2. one TransactWriteItems. A free seat: the seat taken in the ledger (``core.capacity``: ``taken < capacity``).
       No free seat: a waiting place with the next ticket, the waitlist state updated conditioned on its version
       (every join, leave and promotion bumps it, so the position answered, 1 + the places ahead in the snapshot,
       is exact at commit), and a check that every seat is still taken (a seat freed meanwhile is taken, never
       queued for). Either way: the registration (conditioned on none being active), the idempotency record (and
       the key's claim in the member's partition: the same key for another event is 422), the member's
       notification, and a condition check on the member's profile: in the event's audience (tier, tags; waived
       for the invited) and, for a ``tiers_first`` waitlist, the priority group assumed.

    The member's tier is the profile's ``tier_code`` (what every change of tier writes), checked in the transaction
    rather than read: a refused check costs one GetItem of the profile to say why (not in the circle: 404, or 403
    ``tier_not_eligible`` to a member who registered before; a merged-away customer: the survivor registers; the
    other priority group: planned again). A cancelled transaction is decided again from a fresh snapshot.

Leaving (``POST /v1/events/{id}/registrations/cancel``), and every other way out (host or operator cancelling the
event, a merge keeping one of two registrations): ``plan_leave``
    A waiting member's place is deleted. A registered member's seat goes, in the same transaction, to the first
    waiting member (their registration becomes ``registered`` and they are told), so the seat is never free while
    someone waits; with nobody waiting (or once registration has closed: nobody is promoted after) the seat is
    freed in the ledger. Both bump the waitlist version, conditioned on the one read: a member joining the
    waitlist at that moment makes the leave decided again (and promoted), or sees the freed seat.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.core import capacity, clock, idempotency, notifications, results
from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.events import reading, rules
from chalicelib.events.models import (
    MINE_PREFIX,
    REG_PREFIX,
    EventItem,
    RegistrationItem,
    WaitEntryItem,
    WaitlistItem,
    event_pk,
)
from chalicelib.events.reading import Snapshot, time_of, utc_key
from chalicelib.identity import public as identity
from chalicelib.identity.public import PROFILE_SK, CustomerItem

SCOPE = "POST /v1/events/{event_id}/registrations"
MAX_ATTEMPTS = 24  # joins of one waitlist are serialised on its version: a burst retries (jittered backoff)


def new_registration_id() -> str:
    return f"reg_{int(clock.now().timestamp() * 1000):011x}{secrets.token_hex(4)}"


def notice_data(event: EventItem, **extra: Any) -> dict[str, Any]:
    start = time_of(event.starts_at).astimezone(SHANGHAI)
    return {"event_id": event.event_id, "title": event.title, "venue": event.venue,
            "date": start.date().isoformat(), "time": start.strftime("%H:%M"), "starts_at": event.starts_at,
            **extra}


def mine_keys(customer_id: str, event: EventItem, kind: str) -> tuple[str, str]:
    return f"{MINE_PREFIX}{customer_id}", f"{utc_key(time_of(event.starts_at))}#{event.event_id}#{kind}"


def registration_view(reg: RegistrationItem, position: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"registration_id": reg.registration_id, "event_id": reg.event_id, "status": reg.status,
                           "waitlist_position": position if reg.status == "waitlisted" else None,
                           "title": reg.title, "starts_at": reg.starts_at, "ends_at": reg.ends_at,
                           "created_at": reg.created_at}
    for name in ("promoted_at", "cancelled_at", "cancelled_by", "checked_in_at", "revoked_at"):
        if getattr(reg, name):
            out[name] = getattr(reg, name)
    if reg.points_awarded is not None:
        out["points_awarded"] = int(reg.points_awarded)
    return out


# --- the member's profile, checked in the transaction ------------------------------------------------------------


def _audience_condition(event: EventItem) -> Condition:
    condition: Condition = CustomerItem.pk.exists() & CustomerItem.merged_into.does_not_exist()
    if event.tiers:
        condition &= CustomerItem.tier_code.is_in(*event.tiers)
    if event.tags:
        any_tag: Condition | None = None
        for tag in event.tags:
            one = CustomerItem.tags.contains(tag)
            any_tag = one if any_tag is None else any_tag | one
        assert any_tag is not None
        condition &= any_tag
    return condition


def _group_condition(event: EventItem, group: str) -> Condition | None:
    if event.waitlist_order != "tiers_first" or not event.priority_tiers:
        return None
    in_priority = CustomerItem.tier_code.is_in(*event.priority_tiers)
    return in_priority if group == rules.PRIORITY_GROUP else ~in_priority


def _profile(customer_id: str) -> CustomerItem:
    found = identity.load_customer(customer_id, follow_merges=False)
    if found is None:
        raise AppError("not_found")
    return found


def _refuse_outsider(snap: Snapshot, event: EventItem, customer_id: str, profile: CustomerItem) -> None:
    """404 to a member outside the event's circle (unless they registered before: then 403)."""
    host = event.host_customer_id == customer_id
    invited = customer_id in snap.invited
    if reading.audience(event).includes(profile.tier_code, reading.member_tags(profile)) or invited or host:
        return
    if customer_id in snap.registrations:
        raise AppError("tier_not_eligible")
    raise AppError("not_found")


def _visible_or_404(snap: Snapshot, event: EventItem, customer_id: str) -> CustomerItem:
    profile = _profile(customer_id)
    _refuse_outsider(snap, event, customer_id, profile)
    return profile


# --- registering ---------------------------------------------------------------------------------------------------


def register(customer_id: str, event_id: str, idempotency_key: str | None) -> Result:
    """201 ``{registration_id, status, waitlist_position}``; a repeat of the key replays it. 409
    ``already_registered`` / ``registration_closed``, 403 ``invitation_required`` / ``tier_not_eligible``."""
    reading.checked_id(event_id)
    req = idempotency.request(event_pk(event_id), f"{SCOPE} by {customer_id}", idempotency_key,
                              {"event_id": event_id})
    # The same key's claim in the member's own partition (written, never read on the way in): the key reused for
    # another event fails on it and is 422, as a key reused with another body is everywhere.
    claim = idempotency.request(keys.customer_pk(customer_id), SCOPE, idempotency_key, {"event_id": event_id})
    cid = customer_id
    group: str | None = None  # the priority group, once a refused check told it
    registration_id = new_registration_id()
    def once(_attempt: int) -> Result:
        nonlocal cid, group
        snap = reading.snapshot(event_id)
        stored = idempotency.lookup(req, snap.raw)
        if stored is not None:
            return idempotency.replay_response(stored)
        event = snap.event
        if event is None or (event.status in ("pending_approval", "rejected") and event.host_customer_id != cid):
            raise AppError("not_found")
        now = clock.now()
        mine = snap.registrations.get(cid)
        invited = cid in snap.invited or event.host_customer_id == cid
        if mine is not None and mine.status != "cancelled":
            _visible_or_404(snap, event, cid)
            raise AppError("already_registered")
        if not reading.open_now(event, now):
            _visible_or_404(snap, event, cid)
            raise AppError("registration_closed")
        if event.invite_only and not invited:
            _visible_or_404(snap, event, cid)
            raise AppError("invitation_required")
        condition = (CustomerItem.pk.exists() & CustomerItem.merged_into.does_not_exist()) if invited \
            else _audience_condition(event)
        tx = Tx()
        at = clock.iso(now)
        gsi2pk, gsi2sk = mine_keys(cid, event, "REG")
        reg = RegistrationItem(
            pk=snap.pk, sk=f"{REG_PREFIX}{cid}", registration_id=registration_id, event_id=event_id,
            customer_id=cid, title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, created_at=at,
            updated_at=at, gsi2pk=gsi2pk, gsi2sk=gsi2sk, told_ver=int(event.ver or 1))
        slot = reading.seat_slot(event)
        cap = int(event.capacity)
        position: int | None = None
        if snap.seats.taken < cap:
            reg.status = "registered"
            reg.counted_open = capacity.take_in(tx, slot, capacity=cap)
        else:
            my_group = group or rules.OPEN_GROUP
            extra = _group_condition(event, my_group)
            if extra is not None:
                condition &= extra
            wl = snap.waitlist
            ticket = int(wl.next_ticket or 0) + 1 if wl else 1
            sk = rules.wait_sk(my_group, ticket)
            position = rules.position(sk, snap.waiting_keys())
            _waitlist_update(tx, snap, next_ticket=ticket, waiting_delta=1)
            capacity.full_check_in(tx, slot, capacity=cap)
            tx.put("wait", WaitEntryItem(pk=snap.pk, sk=sk, customer_id=cid, ticket=ticket),
                   WaitEntryItem.pk.does_not_exist())
            reg.status, reg.wait_sk = "waitlisted", sk
        tx.check("member", CustomerItem, keys.customer_pk(cid), PROFILE_SK, condition)
        reg_condition = RegistrationItem.pk.does_not_exist() if mine is None \
            else RegistrationItem.status == "cancelled"
        tx.put("registration", reg, reg_condition)
        body = {"registration_id": registration_id, "status": reg.status, "waitlist_position": position}
        idempotency.record_in(tx, req, "created", body)
        idempotency.record_in(tx, claim, "created", body, label="key_claim")
        notifications.put_in(tx, cid, "event_registered" if position is None else "event_waitlisted",
                             notice_data(event, status=reg.status, waitlist_position=position))
        try:
            tx.commit()
        except TxCancelled as exc:
            if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
                return replayed
            if "key_claim" in exc.failed:
                return idempotency.replay_after_race(claim)  # 422 if the key was used for another event
            if "member" in exc.failed:
                profile = _profile(cid)
                if profile.merged_into:
                    cid = identity.resolve_customer_id(profile.merged_into)
                    raise retry.Again from None
                if not invited:
                    _refuse_outsider(snap, event, cid, profile)
                group = rules.waitlist_group(event.waitlist_order, event.priority_tiers or (), profile.tier_code)
            raise retry.Again from None  # a seat, the waitlist or the member's registration raced: decide again
        logger.info("event registration", extra={"customer_id": cid, "event_id": event_id, "status": reg.status,
                                                 "waitlist_position": position})
        return results.created(body)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="event registration", customer_id=customer_id)


def _waitlist_update(tx: Tx, snap: Snapshot, *, next_ticket: int | None = None, waiting_delta: int = 0,
                     label: str = "waitlist") -> None:
    """Bump the waitlist's version (conditioned on the one read), and its ticket and waiting count."""
    wl = snap.waitlist
    ver = int(wl.ver or 0) if wl else 0
    actions: list[Any] = [WaitlistItem.ver.set(ver + 1)]
    if next_ticket is not None:
        actions.append(WaitlistItem.next_ticket.set(next_ticket))
    if waiting_delta:
        actions.append(WaitlistItem.waiting.set(max(0, (int(wl.waiting or 0) if wl else 0) + waiting_delta)))
    condition = (WaitlistItem.ver == ver) if wl else WaitlistItem.pk.does_not_exist()
    tx.update(label, WaitlistItem(pk=snap.pk, sk="WAITLIST"), actions, condition)


# --- leaving -------------------------------------------------------------------------------------------------------


def plan_leave(tx: Tx, snap: Snapshot, reg: RegistrationItem, now: datetime, by: str, *, tag: str = "",
               promote: bool = True) -> str | None:
    """Add to ``tx`` ``reg`` leaving its event (see the module docstring); the promoted member's ID, if any."""
    assert snap.event is not None
    event = snap.event
    at = clock.iso(now)
    promoted: str | None = None
    if reg.status == "waitlisted" and reg.wait_sk:
        tx.delete(f"wait{tag}", WaitEntryItem(pk=snap.pk, sk=reg.wait_sk), WaitEntryItem.pk.exists())
        _waitlist_update(tx, snap, waiting_delta=-1, label=f"waitlist{tag}")
    elif reg.status == "registered":
        first = snap.first_waiting() if promote and reading.open_now(event, now) else None
        if first is not None:
            promoted = first.customer_id
            nxt = snap.registrations[first.customer_id]
            tx.update(f"promoted{tag}", RegistrationItem(pk=snap.pk, sk=nxt.sk), [
                RegistrationItem.status.set("registered"), RegistrationItem.promoted_at.set(at),
                RegistrationItem.updated_at.set(at), RegistrationItem.counted_open.set(bool(reg.counted_open)),
                RegistrationItem.wait_sk.remove()], RegistrationItem.status == "waitlisted")
            tx.delete(f"wait{tag}", first, WaitEntryItem.pk.exists())
            _waitlist_update(tx, snap, waiting_delta=-1, label=f"waitlist{tag}")
            notifications.put_in(tx, promoted, "event_promoted", notice_data(event, status="registered"),
                                 label=f"notification_promoted{tag}")
        else:
            capacity.free_in(tx, reading.seat_slot(event), counted_open=bool(reg.counted_open), label=f"seat{tag}")
            _waitlist_update(tx, snap, label=f"waitlist{tag}")
    tx.update(f"registration{tag}", RegistrationItem(pk=snap.pk, sk=reg.sk), [
        RegistrationItem.status.set("cancelled"), RegistrationItem.cancelled_at.set(at),
        RegistrationItem.cancelled_by.set(by), RegistrationItem.updated_at.set(at), RegistrationItem.wait_sk.remove()],
        RegistrationItem.status == reg.status)
    return promoted


def cancel(customer_id: str, event_id: str) -> dict[str, Any]:
    """The member leaves (seat or waiting place); the first waiting member is registered at once and told."""
    reading.checked_id(event_id)
    cid = customer_id
    def once(_attempt: int) -> dict[str, Any]:
        nonlocal cid
        snap = reading.snapshot(event_id)
        event = snap.event
        if event is None:
            raise AppError("not_found")
        mine = snap.registrations.get(cid)
        if mine is None:
            profile = _profile(cid)
            if profile.merged_into:
                cid = identity.resolve_customer_id(profile.merged_into)
                raise retry.Again from None
            _refuse_outsider(snap, event, cid, profile)
            raise AppError("not_registered")
        if mine.status == "cancelled":
            return registration_view(mine, None)
        if mine.status == "checked_in":
            raise AppError("already_checked_in")
        if mine.status == "check_in_revoked":
            raise AppError("check_in_revoked")
        now = clock.now()
        tx = Tx()
        promoted = plan_leave(tx, snap, mine, now, "member")
        notifications.put_in(tx, cid, "event_registration_cancelled", notice_data(event, status="cancelled"))
        try:
            tx.commit()
        except TxCancelled:
            raise retry.Again from None
        logger.info("event registration cancelled", extra={"customer_id": cid, "event_id": event_id,
                                                           "promoted": promoted})
        mine.status, mine.cancelled_at, mine.cancelled_by = "cancelled", clock.iso(now), "member"
        return registration_view(mine, None)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="event cancel", customer_id=customer_id)


def position_of(snap: Snapshot, reg: RegistrationItem) -> int | None:
    if reg.status != "waitlisted" or not reg.wait_sk:
        return None
    return rules.position(reg.wait_sk, snap.waiting_keys())
