"""The member's Plus membership: reading it, the 7-day trial, merges, and its part of ``GET /v1/me`` and the 360 view.

Trial (``POST /v1/membership/trial``)
    One Query (``records.load``) and one TransactWriteItems: the membership (conditioned on the version read), a
    trial marker per identity the person has (their phone, their WeChat unionid; conditioned on absence) and the
    notification. A person takes the trial once: across channels (the markers), across merged accounts (``merge``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from chalicelib.core import clock, notifications, results
from chalicelib.core.area import Section360
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.identity.public import CustomerItem
from chalicelib.membership import records, rules
from chalicelib.membership.models import MEMBERSHIP_SK, TRIAL_MARKER_PREFIX, MarkerItem, MembershipItem
from chalicelib.membership.rules import MembershipRefused

MAX_ATTEMPTS = 6


def my_membership(customer_id: str) -> dict[str, Any]:
    """``GET /v1/me/membership``: one Query."""
    return records.view(records.load(customer_id))


def _markers(customer: CustomerItem | None) -> list[str]:
    """One marker key per identity that names a person (a phone, a unionid), hashed: no phone in a key."""
    if customer is None:
        return []
    found = [f"phone:{customer.phone}" if customer.phone else "", f"unionid:{customer.unionid}" if customer.unionid
             else ""]
    return [TRIAL_MARKER_PREFIX + hashlib.sha256(f.encode()).hexdigest()[:32] for f in found if f]


def start_trial(customer_id: str) -> Result:
    """201 with the membership; 409 ``trial_already_used`` (also when another account of the person used it),
    409 ``already_member``."""
    def once(_attempt: int) -> Result:
        items = records.load(customer_id, consistent=True)
        now = clock.now()
        try:
            held = rules.start_trial(records.membership(items.record), now)
        except MembershipRefused as refused:
            raise AppError(refused.code) from None
        cid = items.customer_id
        tx = Tx()
        records.put_in(tx, cid, held, items.record)
        markers = _markers(items.profile)
        for n, pk in enumerate(markers):
            tx.put(f"marker:{n}", MarkerItem(pk=pk, sk="TRIAL", customer_id=cid, at=clock.iso(now)),
                   MarkerItem.pk.does_not_exist())
        assert held.expires_at is not None
        notifications.put_in(tx, cid, "plus_trial_started",
                             {"status": "trial", "expires_on": rules.local(held.expires_at).date().isoformat()})
        try:
            tx.commit()
        except TxCancelled as exc:
            if any(label.startswith("marker:") for label in exc.failed):
                raise AppError("trial_already_used") from None
            if exc.failed - {records.LABEL}:
                raise
            raise retry.Again from None
        logger.info("plus trial started", extra={"customer_id": cid})
        return results.created(_view_of(held, now))
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="plus trial", customer_id=customer_id)


def _view_of(held: rules.Membership, now: datetime) -> dict[str, Any]:
    return {"status": held.status(now), "plan_id": held.plan_id if held.kind == "paid" else None,
            "expires_at": records.iso(held.expires_at), "trial_used": held.trial_used,
            "savings": records.savings_view(held, None, now)}


# --- merges, GET /v1/me and the 360 view ---------------------------------------------------------------------------


def merge(tx: Tx, absorbed: CustomerItem, survivor: CustomerItem) -> None:
    """``Area.merge``: the survivor keeps the later expiry; the trial counts as used if either used it. The absorbed
    customer's orders and savings stay under its ID (its history; refunds of them find them there), under ``H#``."""
    gone = records.load(absorbed.customer_id, consistent=True) if absorbed.customer_id else None
    if gone is None or gone.record is None:
        return
    kept = records.query_member(survivor.customer_id, consistent=True)
    new = rules.merged(records.membership(gone.record), records.membership(kept.record))
    records.put_in(tx, survivor.customer_id, new, kept.record, label="membership_merge")


def plus_badge(record: MembershipItem | None, now: datetime) -> dict[str, Any]:
    held = records.membership(record)
    return {"status": held.status(now), "expires_at": records.iso(held.expires_at)}


def me_contribution(others: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """``Area.member_view``: ``{"plus": {status, expires_at}}`` for ``GET /v1/me``, from the items its one Query of the
    member's ``M#`` keys already read (no call of its own)."""
    raw = next((r for r in others if r.get("sk", {}).get("S") == MEMBERSHIP_SK), None)
    return {"plus": plus_badge(MembershipItem.from_raw_data(raw) if raw else None, now)}


def _render_360(recent: list[Any], member: Any, now: Any) -> dict[str, Any]:
    """The membership and its savings from the member's ``M#`` items the console reads for every section; the
    orders from the section's own Query of theirs (with the old layout's, under ``M#``)."""
    moment = now if isinstance(now, datetime) else clock.now()
    items = records.add_raw(records.PlusItems(member.customer_id, None, None), member.others)
    out = records.view(items, moment)
    orders = {o.order_id: o for o in (*items.orders, *recent)}.values()
    out["orders"] = [{"order_id": o.order_id, "plan_id": o.plan_id, "amount_fen": int(o.amount_fen),
                      "status": o.status, "created_at": o.created_at, "paid_at": o.paid_at}
                     for o in sorted(orders, key=lambda o: o.created_at, reverse=True)[:RECENT_360]]
    return {"plus": out}


RECENT_360 = 10
member_360 = Section360(read=lambda customer_id: records.recent_orders(customer_id, RECENT_360),
                        render=_render_360, keys="chalicelib.membership.http.schemas:Member360Plus")
