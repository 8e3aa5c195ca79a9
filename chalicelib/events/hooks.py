"""What a merge does with a customer's event registrations and invitations, and the events' section of the agents'
360 view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.area import Section360
from chalicelib.core.dynamo.tx import Tx
from chalicelib.events import listing, reading, registration
from chalicelib.events.models import INV_PREFIX, REG_PREFIX, InvitationItem, RegistrationItem, WaitEntryItem
from chalicelib.identity.public import CustomerItem

RECENT_360 = 20
ACTIVE = ("registered", "waitlisted", "checked_in")


def merge(tx: Tx, absorbed: CustomerItem, survivor: CustomerItem) -> None:
    """``Area.merge``: the absorbed customer's registrations and invitations of events not yet over move to the
    survivor, in the merge transaction (same registration, same seat or waiting place). When the survivor is
    registered for the same event already, theirs stays and the absorbed one leaves the event the way a cancel
    does (its seat goes to the first waiting member), so the survivor is never registered twice for one event."""
    now = clock.now()
    since = reading.utc_key(now - listing.LIST_LOOKBACK)
    raw = listing.mine_index(absorbed.customer_id, since, limit=40)
    sid = survivor.customer_id
    for n, r in enumerate(raw):
        event_id = r["event_id"]["S"]
        snap = reading.snapshot(event_id)
        event = snap.event
        if event is None or reading.time_of(event.ends_at) <= now:
            continue
        if r.get("kind", {}).get("S") == "INV":
            inv = InvitationItem.from_raw_data(r)
            moved_inv = InvitationItem.from_raw_data(inv.serialize())
            moved_inv.sk, moved_inv.customer_id = f"{INV_PREFIX}{sid}", sid
            moved_inv.gsi2pk, moved_inv.gsi2sk = registration.mine_keys(sid, event, "INV")
            tx.delete(f"event_inv_out:{n}", inv)
            if sid not in snap.invited:
                tx.put(f"event_inv_in:{n}", moved_inv)
            continue
        mine = snap.registrations.get(absorbed.customer_id)
        if mine is None or mine.status not in ACTIVE:
            continue
        theirs = snap.registrations.get(sid)
        if theirs is not None and theirs.status in ACTIVE:
            if mine.status != "checked_in":
                registration.plan_leave(tx, snap, mine, now, "merge", tag=f":merge{n}")
            continue
        _move(tx, mine, theirs, sid, event, n)


def _move(tx: Tx, mine: RegistrationItem, theirs: RegistrationItem | None, sid: str, event: Any, n: int) -> None:
    moved = RegistrationItem.from_raw_data(mine.serialize())
    moved.sk, moved.customer_id = f"{REG_PREFIX}{sid}", sid
    moved.gsi2pk, moved.gsi2sk = registration.mine_keys(sid, event, "REG")
    tx.delete(f"event_reg_out:{n}", mine, RegistrationItem.status == mine.status)
    tx.put(f"event_reg_in:{n}", moved,
           RegistrationItem.pk.does_not_exist() if theirs is None else RegistrationItem.status == "cancelled")
    if mine.status == "waitlisted" and mine.wait_sk:
        place = WaitEntryItem(pk=mine.pk, sk=mine.wait_sk, customer_id=sid, ticket=int(mine.wait_sk.rsplit("#", 1)[1]))
        tx.put(f"event_wait_in:{n}", place, WaitEntryItem.pk.exists())


def _render_360(raw: list[dict[str, Any]], _member: Any, now: Any) -> dict[str, Any]:
    moment = now if isinstance(now, datetime) else clock.now()
    regs, invs = [], []
    for r in raw:
        if r.get("kind", {}).get("S") == "INV":
            inv = InvitationItem.from_raw_data(r)
            invs.append({"event_id": inv.event_id, "title": inv.title, "starts_at": inv.starts_at,
                         "invited_at": inv.invited_at})
        else:
            reg = RegistrationItem.from_raw_data(r)
            row = registration.registration_view(reg, None)
            row["upcoming"] = reading.time_of(reg.ends_at) > moment
            regs.append(row)
    return {"events": {"registrations": regs, "invitations": invs}}


member_360 = Section360(
    read=lambda customer_id: listing.mine_index(customer_id, newest_first=True, limit=RECENT_360),
    render=_render_360,
    keys="chalicelib.events.http.schemas:Member360Events",
)
