"""Back-fill claims: a member asks for the points of a purchase that was not credited; an agent decides.

* Filing checks, in one transaction: the order has not earned points (``ORDER#<order_no>`` absent), no other
  claim for that order is open (``CLAIMLOCK#<order_no>``), and the member has fewer than ``max_open_claims``
  open claims (``claims_open`` on the points state, changed only by atomic ADD). The purchase day must be
  within the last ``claim_window_days`` days and not in the future.
* Approving puts ``ORDER#<order_no>`` (if absent) in the same transaction as the points, exactly as the order
  integration does: an approved claim and a later arrival of the same order never pay twice, whichever comes
  first. If the order arrived while the claim waited, approval closes the claim (``duplicate``) and answers 409.
* Claims earn like an order of their amount at the member's tier multiplier (no promotion: the purchase time
  is known only to the day).
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from chalicelib.core.dynamo import keys, paging, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity import public as identity
from chalicelib.points import committing, planning, programme, reading, tier_standing
from chalicelib.points.earn_and_spend import expiry_for
from chalicelib.points.models import CLAIM_SK, ORDER_SK, POINTS_SK, ClaimItem, ClaimLockItem, OrderItem, PointsStateItem
from chalicelib.points.orders import order_pk
from chalicelib.points.planning import Plan
from chalicelib.points.reading import PointsState
from chalicelib.points.rules import earn_for_order

STATUSES = ("pending", "approved", "rejected")
LOCK_SK = "LOCK"


def claim_pk(claim_id: str) -> str:
    return f"CLAIM#{claim_id}"


def lock_pk(order_no: str) -> str:
    return f"CLAIMLOCK#{order_no}"


def claim_view(item: ClaimItem) -> dict[str, Any]:
    return {
        "claim_id": item.claim_id,
        "customer_id": item.customer_id,
        "order_no": item.order_no,
        "store_id": item.store_id,
        "amount_fen": int(item.amount_fen),
        "purchased_on": item.purchased_on,
        "note": item.note,
        "status": item.status,
        "created_at": item.created_at,
        "decided_at": item.decided_at,
        "reason": item.reason,
        "points_awarded": int(item.points_awarded) if item.points_awarded is not None else None,
    }


def file_claim(
    customer_id: str,
    *,
    order_no: str,
    amount_fen: int,
    purchased_on: date,
    store_id: str | None,
    note: str | None,
    channel: str | None,
) -> dict[str, Any]:
    settings = programme.current().settings
    on = reading.today()
    if purchased_on > on:
        raise AppError("validation_error", details=[{"field": "purchased_on", "issue": "must not be in the future"}])
    if purchased_on < on - timedelta(days=settings.claim_window_days):
        raise AppError(
            "validation_error",
            details=[{"field": "purchased_on", "issue": f"must be within the last {settings.claim_window_days} days"}],
        )
    def once(_attempt: int) -> dict[str, Any]:
        nonlocal customer_id
        claim_id = "clm_" + secrets.token_hex(8)
        at = reading.now_iso()
        claim = ClaimItem(
            pk=claim_pk(claim_id), sk=CLAIM_SK, claim_id=claim_id, customer_id=customer_id, order_no=order_no,
            store_id=store_id, amount_fen=amount_fen, purchased_on=purchased_on.isoformat(), note=note,
            status="pending", channel=channel, created_at=at,
            gsi1pk="CLAIMQ#pending", gsi1sk=f"{at}#{claim_id}", gsi2pk=f"CUSTCLAIM#{customer_id}",
            gsi2sk=f"{at}#{claim_id}",
        )
        limit_ok = PointsStateItem.claims_open.does_not_exist() | (
            PointsStateItem.claims_open < settings.max_open_claims
        )
        tx = Tx()
        tx.check("order", OrderItem, order_pk(order_no), ORDER_SK, OrderItem.pk.does_not_exist())
        tx.put("lock", ClaimLockItem(pk=lock_pk(order_no), sk=LOCK_SK, claim_id=claim_id, customer_id=customer_id),
               ClaimLockItem.pk.does_not_exist())
        tx.put("claim", claim, ClaimItem.pk.does_not_exist())
        tx.update(
            "points",
            PointsStateItem(pk=keys.customer_pk(customer_id), sk=POINTS_SK),
            [PointsStateItem.customer_id.set(customer_id), PointsStateItem.claims_open.add(1)],
            limit_ok & PointsStateItem.merged_into.does_not_exist(),
        )
        try:
            tx.commit()
        except TxCancelled as exc:
            if "order" in exc.failed:
                raise AppError("order_already_credited") from None
            if "lock" in exc.failed:
                raise AppError("claim_already_filed") from None
            if "points" in exc.failed:
                survivor = identity.resolve_customer_id(customer_id)
                if survivor != customer_id:  # a merged account's token: file for the survivor
                    customer_id = survivor
                    raise retry.Again from None
                raise AppError("too_many_open_claims") from None
            if exc.conflict:
                raise retry.Again from None
            raise
        logger.info("points claim filed", extra={"claim_id": claim_id, "customer_id": customer_id})
        return claim_view(claim)
    return retry.until_committed(once, limit=3, what="points claim", customer_id=customer_id)


def _page(index: str, partition: str, limit: int, cursor: str | None, ascending: bool) -> dict[str, Any]:
    start = None
    if cursor:
        sort_key = paging.decode_cursor(cursor, "")
        claim_id = sort_key.rsplit("#", 1)[-1]
        start = {"pk": claim_pk(claim_id), "sk": CLAIM_SK, f"{index}pk": partition, f"{index}sk": sort_key}
    raw, more = paging.index_page(index, partition, limit, ascending=ascending, start=start)
    items = [ClaimItem.from_raw_data(r) for r in raw]
    last = getattr(items[-1], f"{index}sk") if items else None
    next_cursor = paging.encode_cursor(last) if more and last else None
    return {"items": [claim_view(i) for i in items], "next_cursor": next_cursor}


def my_claims(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first (an index: a claim filed a moment ago may take a second to appear)."""
    return _page("gsi2", f"CUSTCLAIM#{customer_id}", limit, cursor, ascending=False)


def claims_by_status(status: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Pending claims oldest first (the agents' queue); decided ones newest first."""
    return _page("gsi1", f"CLAIMQ#{status}", limit, cursor, ascending=status == "pending")


def _load(claim_id: str) -> ClaimItem:
    try:
        return ClaimItem.get(claim_pk(claim_id), CLAIM_SK, consistent_read=True)
    except ClaimItem.DoesNotExist:
        raise AppError("not_found") from None


def _decide_actions(status: str, staff_id: str, at: str, reason: str | None, points: int | None) -> list[Any]:
    actions = [
        ClaimItem.status.set(status),
        ClaimItem.decided_at.set(at),
        ClaimItem.decided_by.set(staff_id),
        ClaimItem.gsi1pk.set(f"CLAIMQ#{status}"),
    ]
    if reason:
        actions.append(ClaimItem.reason.set(reason))
    if points is not None:
        actions.append(ClaimItem.points_awarded.set(points))
    return actions


def approve(claim_id: str, staff_id: str, note: str | None = None) -> dict[str, Any]:
    claim = _load(claim_id)
    if claim.status != "pending":
        raise AppError("claim_not_pending")
    config = programme.current()
    on = reading.today()
    expires_on = expiry_for(on)
    purchased_on = date.fromisoformat(claim.purchased_on)

    def plan(state: PointsState) -> Plan:
        tier = tier_standing.tier_decision(state, config, on).tier
        points = earn_for_order(int(claim.amount_fen), tier.multiplier, 1, config.settings.points_per_yuan)
        change = state.account.earn(points, expires_on, kind="claim", reference=claim.order_no, today=on)
        stats = tier_standing.stats_with(
            state.tier_stats, tier_standing.month_key(purchased_on), spend=int(claim.amount_fen), orders=1,
            points=points, on=on,
        )
        at = reading.now_iso()
        order = OrderItem(
            pk=order_pk(claim.order_no), sk=ORDER_SK, order_no=claim.order_no, customer_id=state.customer_id,
            amount_fen=int(claim.amount_fen), points_awarded=points, refunded_fen=0, points_reversed=0,
            stats_month=tier_standing.month_key(purchased_on), store_id=claim.store_id, source="claim",
            claim_id=claim_id,
            tier_code=tier.code, created_at=at, channel=claim.channel,
        )

        def add(tx: Tx) -> None:
            tx.put("order", order, OrderItem.pk.does_not_exist())
            tx.update("claim", ClaimItem(pk=claim.pk, sk=CLAIM_SK), _decide_actions("approved", staff_id, at, note,
                                                                                    points),
                      ClaimItem.status == "pending")
            tx.delete("lock", ClaimLockItem(pk=lock_pk(claim.order_no), sk=LOCK_SK))

        result = Plan(
            change,
            [PointsStateItem.tier_stats.set(stats), PointsStateItem.claims_open.add(-1)],
            add=add,
            entry_fields={"actor": staff_id, "reason": f"claim {claim_id}"},
            result=points,
        )
        planning.add_tier_update(result, state, config, on, stats)
        return result

    try:
        outcome = committing.execute(claim.customer_id, plan)
    except TxCancelled as exc:
        if "claim" in exc.failed:
            raise AppError("claim_not_pending") from None
        if "order" in exc.failed:
            _close(claim, staff_id, "rejected", "order_already_credited")
            raise AppError("order_already_credited") from None
        raise
    logger.info("points claim approved", extra={"claim_id": claim_id, "staff_id": staff_id})
    claim.status, claim.points_awarded, claim.reason = "approved", outcome.plan.result, note
    claim.decided_at = reading.now_iso()
    return {**claim_view(claim), "balance_after": outcome.balance_after}


def _close(claim: ClaimItem, staff_id: str, status: str, reason: str) -> None:
    tx = Tx()
    tx.update("claim", ClaimItem(pk=claim.pk, sk=CLAIM_SK),
              _decide_actions(status, staff_id, reading.now_iso(), reason, None), ClaimItem.status == "pending")
    tx.delete("lock", ClaimLockItem(pk=lock_pk(claim.order_no), sk=LOCK_SK))
    tx.update("points", PointsStateItem(pk=keys.customer_pk(claim.customer_id), sk=POINTS_SK),
              [PointsStateItem.claims_open.add(-1)], PointsStateItem.claims_open > 0)
    try:
        tx.commit()
    except TxCancelled as exc:
        if "claim" in exc.failed:
            raise AppError("claim_not_pending") from None
        if "points" in exc.failed:  # the counter moved to a survivor by a merge: close without it
            tx = Tx()
            tx.update("claim", ClaimItem(pk=claim.pk, sk=CLAIM_SK),
                      _decide_actions(status, staff_id, reading.now_iso(), reason, None),
                      ClaimItem.status == "pending")
            tx.delete("lock", ClaimLockItem(pk=lock_pk(claim.order_no), sk=LOCK_SK))
            tx.commit()
            return
        raise


def reject(claim_id: str, staff_id: str, reason: str) -> dict[str, Any]:
    claim = _load(claim_id)
    if claim.status != "pending":
        raise AppError("claim_not_pending")
    _close(claim, staff_id, "rejected", reason)
    logger.info("points claim rejected", extra={"claim_id": claim_id, "staff_id": staff_id})
    claim.status, claim.reason, claim.decided_at = "rejected", reason, reading.now_iso()
    return claim_view(claim)
