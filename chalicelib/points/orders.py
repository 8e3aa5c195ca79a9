"""Orders from the till and the online shop: points for purchases, reversed by refunds.

* **Idempotent on ``order_no``.** The ``ORDER#<order_no>`` item is put, if absent, in the same transaction as the
  points, so an order earns once whichever path claims it first (this integration or an approved back-fill
  claim). A repeated ``order_no`` awards nothing more.
* **Unknown phone.** A phone no member owns enrols a new member (channel ``store``, identity ``store/pos``);
  the points wait on that account, and the person finds them when they first sign in with that phone.
* **Points** = ``earn_for_order(amount, tier multiplier, promotion multiplier, points per yuan)``, the tier being
  the one held before the order and the promotion the best one active at ``paid_at`` for the order's channel
  and tier. The order then counts toward the rolling 12-month spend, which upgrades the tier at once when it
  crosses a threshold.
* **Refunds** reverse ``points_for_refund`` on the running total of money refunded, so partial refunds add up to
  exactly the points awarded. Points already spent leave the balance at zero and the shortfall as debt, repaid
  from later earnings before anything reaches a bucket.

DynamoDB calls on the common path: a known ``customer_id`` is one Query (points state) and one transaction; a
phone adds one GetItem (``PHONE#`` key), which an in-process cache saves for phones seen in the last minutes.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.core import clock
from chalicelib.core.calendar import business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.overlay import overlay
from chalicelib.identity import public as identity
from chalicelib.points import committing, planning, programme, reading, tier_standing
from chalicelib.points.earn_and_spend import expiry_for
from chalicelib.points.models import ORDER_SK, OrderItem, PointsStateItem, RefundItem
from chalicelib.points.planning import Plan
from chalicelib.points.reading import PointsState
from chalicelib.points.rules import earn_for_order, points_for_refund

PHONE_CACHE_SECONDS = 300.0
MAX_CLOCK_SKEW = timedelta(minutes=10)
STORE_IDENTITY_APP = "pos"

_phone_cache: dict[tuple[str, str], tuple[float, str]] = {}  # (table, phone) -> (valid until, customer_id)
_phone_lock = threading.Lock()


def order_pk(order_no: str) -> str:
    return f"ORDER#{order_no}"


def reset_cache() -> None:
    with _phone_lock:
        _phone_cache.clear()


def customer_for_phone(phone: str) -> tuple[str, bool]:
    """``(customer_id, enrolled)`` of the member owning ``phone``, enrolling a store member if nobody does."""
    now = time.monotonic()
    cache_key = (settings().table_name, phone)
    cached = _phone_cache.get(cache_key)
    if cached is not None and cached[0] > now:
        return cached[1], False
    enrolled = False
    customer_id = identity.lookup(identity.phone_key(phone))
    if customer_id is None:
        store_identity = identity.Identity("store", STORE_IDENTITY_APP, phone)
        try:
            customer_id = identity.create_customer(store_identity, phone=phone, channel="store").customer_id
            enrolled = True
        except TxCancelled:  # enrolled by a concurrent order (or a sign-in) a moment ago
            customer_id = identity.lookup(identity.phone_key(phone)) or identity.lookup(store_identity.key)
            if customer_id is None:
                raise AppError("service_unavailable") from None
    with _phone_lock:
        _phone_cache[cache_key] = (now + PHONE_CACHE_SECONDS, customer_id)
    return customer_id, enrolled


def order_view(order: OrderItem) -> dict[str, Any]:
    return {
        "order_no": order.order_no,
        "customer_id": order.customer_id,
        "amount_fen": int(order.amount_fen),
        "points_awarded": int(order.points_awarded),
        "refunded_fen": int(order.refunded_fen or 0),
        "points_reversed": int(order.points_reversed or 0),
        "source": order.source,
        "created_at": order.created_at,
    }


def ingest_order(
    order_no: str,
    *,
    customer_id: str | None,
    phone: str | None,
    amount_fen: int,
    channel: str,
    store_id: str | None,
    paid_at: datetime,
) -> tuple[dict[str, Any], bool]:
    """Award the order's points; returns ``(body, created)`` (``created`` False for a repeated ``order_no``)."""
    if paid_at > clock.now() + MAX_CLOCK_SKEW:
        raise AppError("validation_error", details=[{"field": "paid_at", "issue": "must not be in the future"}])
    enrolled = False
    if customer_id is None:
        assert phone is not None
        customer_id, enrolled = customer_for_phone(phone)
    config = programme.current()
    on = reading.today()
    expires_on = expiry_for(on)
    stats_month = tier_standing.month_key(business_day(paid_at))
    paid_iso = clock.iso(paid_at.astimezone(UTC))

    def plan(state: PointsState) -> Plan:
        tier = tier_standing.tier_decision(state, config, on).tier
        promotion = config.promotion_for(paid_at, channel, tier.code)
        promo = promotion.multiplier if promotion else 1
        points = earn_for_order(amount_fen, tier.multiplier, promo, config.settings.points_per_yuan)
        plus_extra = 0
        if overlay().holds(state.others, paid_at):  # Plus: a multiplier on top; its extra is a saving
            plus_points = earn_for_order(amount_fen, tier.multiplier, Decimal(str(promo)) *
                                         overlay().points_multiplier(), config.settings.points_per_yuan)
            plus_extra, points = plus_points - points, plus_points
        change = state.account.earn(points, expires_on, kind="purchase", reference=order_no, today=on)
        stats = tier_standing.stats_with(state.tier_stats, stats_month, spend=amount_fen, orders=1, points=points,
                                         on=on)
        order = OrderItem(
            pk=order_pk(order_no), sk=ORDER_SK, order_no=order_no, customer_id=state.customer_id,
            amount_fen=amount_fen, points_awarded=points, refunded_fen=0, points_reversed=0,
            stats_month=stats_month, paid_at=paid_iso, channel=channel, store_id=store_id, source="integration",
            tier_code=tier.code, promotion_id=promotion.promotion_id if promotion else None,
            plus_extra_points=plus_extra or None, created_at=reading.now_iso(),
        )

        def add(tx: Tx) -> None:
            tx.put("order", order, OrderItem.pk.does_not_exist())
            if plus_extra:
                overlay().record_points_saving(tx, state.customer_id, plus_extra, order_no, state.others)

        result = Plan(
            change,
            [PointsStateItem.tier_stats.set(stats)],
            add=add,
            entry_fields={"channel": channel},
            result=(order, promotion),
        )
        decision = planning.add_tier_update(result, state, config, on, stats)
        result.result = (order, promotion, decision.tier.code)
        return result

    try:
        outcome = committing.execute(customer_id, plan)
    except TxCancelled as exc:
        if "order" not in exc.failed:
            raise
        first = OrderItem.get(order_pk(order_no), ORDER_SK, consistent_read=True)
        logger.info("repeated order ignored", extra={"order_no": order_no, "source": first.source})
        return {
            "order_no": order_no,
            "customer_id": first.customer_id,
            "points_awarded": 0,
            "duplicate": True,
            "original": order_view(first),
        }, False
    order, promotion, tier_code = outcome.plan.result
    logger.info(
        "order earned points",
        extra={"order_no": order_no, "customer_id": order.customer_id, "points": int(order.points_awarded)},
    )
    return {
        "order_no": order_no,
        "customer_id": order.customer_id,
        "points_awarded": int(order.points_awarded),
        "balance_after": outcome.balance_after,
        "tier": tier_code,
        "promotion_id": promotion.promotion_id if promotion else None,
        "new_member": enrolled,
        "duplicate": False,
    }, True


def refund_order(order_no: str, amount_fen: int, refund_no: str | None) -> tuple[dict[str, Any], bool]:
    """Reverse the points of a refund; returns ``(body, replayed)``.

    With a ``refund_no`` (or the request's Idempotency-Key) a repeated refund returns the first answer.
    """
    on = reading.today()
    def once(_attempt: int) -> tuple[dict[str, Any], bool]:
        try:
            order = OrderItem.get(order_pk(order_no), ORDER_SK, consistent_read=True)
        except OrderItem.DoesNotExist:
            raise AppError("order_not_found") from None
        if refund_no:
            replay = _refund_replay(order_no, refund_no, amount_fen)
            if replay is not None:
                return replay, True
        try:
            return _refund_once(order, amount_fen, refund_no, on), False
        except TxCancelled as exc:
            if exc.failed & {"order", "refund"}:  # another refund of this order committed meanwhile
                raise retry.Again from None
            raise
    return retry.until_committed(once, limit=committing.MAX_ATTEMPTS, what="refund", order_no=order_no)


def _refund_once(order: OrderItem, amount_fen: int, refund_no: str | None, on: date) -> dict[str, Any]:
    refunded = int(order.refunded_fen or 0)
    if amount_fen > int(order.amount_fen) - refunded:
        raise AppError(
            "refund_exceeds_order",
            details=[{"field": "amount_fen", "issue": f"at most {int(order.amount_fen) - refunded} is refundable"}],
        )
    reversed_before = int(order.points_reversed or 0)
    points = points_for_refund(
        int(order.points_awarded), int(order.amount_fen), amount_fen, reversed_before, already_refunded_fen=refunded
    )
    fully = refunded + amount_fen >= int(order.amount_fen)

    def add(tx: Tx, member_items: list[dict[str, Any]]) -> None:
        tx.update(
            "order",
            OrderItem(pk=order.pk, sk=ORDER_SK),
            [
                OrderItem.refunded_fen.set(refunded + amount_fen),
                OrderItem.points_reversed.set(reversed_before + points),
                OrderItem.updated_at.set(reading.now_iso()),
            ],
            OrderItem.refunded_fen == refunded,
        )
        extra = int(order.plus_extra_points or 0)
        if extra:  # the Plus saving netted in proportion, on the running total as the points are
            total = int(order.amount_fen)
            netted = extra * (refunded + amount_fen) // total - extra * refunded // total
            if netted:
                overlay().record_points_saving(tx, order.customer_id, -netted, order.order_no, member_items)
        if refund_no:
            tx.put(
                "refund",
                RefundItem(pk=order.pk, sk=f"REFUND#{refund_no}", refund_no=refund_no, amount_fen=amount_fen,
                           points_reversed=points, created_at=reading.now_iso()),
                RefundItem.pk.does_not_exist(),
            )

    def plan(state: PointsState) -> Plan:
        change = state.account.reverse(points, reference=order.order_no, today=on)
        stats = tier_standing.stats_with(
            state.tier_stats, order.stats_month, spend=-amount_fen, orders=-1 if fully else 0, points=-points, on=on
        )
        result = Plan(change, [PointsStateItem.tier_stats.set(stats)], add=lambda tx: add(tx, state.others))
        planning.add_tier_update(result, state, programme.current(), on, stats)
        return result

    outcome = committing.execute(order.customer_id, plan)
    change = outcome.plan.change
    logger.info("refund reversed points", extra={"order_no": order.order_no, "points": points})
    return {
        "order_no": order.order_no,
        "refund_no": refund_no,
        "amount_fen": amount_fen,
        "points_reversed": points,
        "balance_after": outcome.balance_after,
        "debt_after": change.account.debt if change is not None else outcome.state.debt,
        "refunded_fen_total": refunded + amount_fen,
    }


def _refund_replay(order_no: str, refund_no: str, amount_fen: int) -> dict[str, Any] | None:
    try:
        first = RefundItem.get(order_pk(order_no), f"REFUND#{refund_no}", consistent_read=True)
    except RefundItem.DoesNotExist:
        return None
    if int(first.amount_fen) != amount_fen:
        raise AppError("idempotency_key_reused")
    return {
        "order_no": order_no,
        "refund_no": refund_no,
        "amount_fen": amount_fen,
        "points_reversed": int(first.points_reversed),
        "replayed": True,
    }
