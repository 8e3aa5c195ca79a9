"""Buying Plus: the order and its payment parameters, settling it when the payment is confirmed (the provider's
notification, or a query when that was lost), closing it when never paid, and an agent's refund.

Ordering (``POST /v1/membership/orders``, Idempotency-Key)
    One GetItem (a replay is answered from it), the provider's order (``PaymentProvider.create``: the JSAPI
    parameters), one TransactWriteItems: the pending order and the idempotency record.

Settling (``POST /v1/integrations/payments/wechat/notify``, or the settling job's query)
    One Query of the member's Plus items and one TransactWriteItems: the order ``pending -> paid`` (conditioned on
    its status: a second delivery, concurrent or later, finds it paid and changes nothing), the membership activated
    or extended (conditioned on its version) and the member's notification. The amount and order number must match.

Refund (``POST /v1/agent/members/{customer_id}/membership/refund``, agents)
    Within 7 days of the purchase, no benefit used: the provider's refund first, under a refund number derived from
    the order (the provider refunds a number once, however often asked), then one transaction: the order
    ``paid -> refunded``, the membership ended at once, the notification. A repeat answers the same refund.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock, idempotency, notifications, results
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import keys, paging, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.membership import checkout, payments, plans, records, refunds, rules, wechatpay
from chalicelib.membership.models import ORDER_PREFIX, PENDING_INDEX, OrderItem
from chalicelib.membership.payments import Payment, PaymentOrder, PaymentRefused, ProviderUnavailable
from chalicelib.membership.rules import MembershipRefused, PlusPlan

ORDER_SCOPE = "POST /v1/membership/orders"
PAY_WITHIN = timedelta(minutes=15)
MAX_ATTEMPTS = 6
REFUND_LOOKBACK = 20  # the newest orders searched for the one to refund (the latest paid; unpaid ones are few)
SUCCESS = "SUCCESS"
UNPAYABLE = ("CLOSED", "PAYERROR", "REVOKED")


def new_order_id() -> str:
    """``po`` + epoch milliseconds (11 hex digits) + 16 random hex digits: 29 characters, WeChat's out_trade_no."""
    return f"po{int(clock.now().timestamp() * 1000):011x}{secrets.token_hex(8)}"


def order_view(order: OrderItem, payment: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"order_id": order.order_id, "plan_id": order.plan_id, "amount_fen": int(order.amount_fen),
                           "status": order.status, "created_at": order.created_at}
    if payment is not None:
        out["payment"] = payment
    return out


def create(customer_id: str, plan_id: str, idempotency_key: str | None, channel: str | None = None,
           client_ip: str | None = None, payment_kind: str | None = None) -> Result:
    """201 ``{order_id, amount_fen, payment: {kind, ...}}`` (the channel's WeChat Pay product: ``checkout.py``); 404
    ``plan_not_found``, 409 ``plan_not_on_sale``, 409 ``wechat_sign_in_required`` / ``payment_channel_unsupported``
    (this channel cannot pay), 409 ``payment_refused``; 503 when the provider cannot take it now. A replay is
    answered even if the plan was withdrawn since."""
    asked = {"plan_id": plan_id, **({"payment_kind": payment_kind} if payment_kind else {})}
    req = idempotency.request(keys.customer_pk(customer_id), ORDER_SCOPE, idempotency_key, asked)
    stored = idempotency.get(req)
    if stored is not None:
        return idempotency.replay_response(stored)
    plan = plans.plan(plan_id)
    items = records.load(customer_id)
    if items.deletion_pending:  # no Plus bought or renewed for an account about to be erased
        raise AppError("deletion_pending")
    cid = items.customer_id
    now = clock.now()
    order_id = new_order_id()
    identities = (items.profile.identities or []) if items.profile is not None else []
    pay = checkout.route(wechatpay.keys(), channel, identities, payment_kind)
    try:
        payment = payments.provider().create(PaymentOrder(
            order_id=order_id, customer_id=cid, description=plan.name, amount_fen=plan.price_fen,
            pay_by=now + PAY_WITHIN, openid=pay.openid, kind=pay.kind, app_id=pay.app_id, client_ip=client_ip))
    except PaymentRefused as refused:
        raise AppError("payment_refused", details=[{"field": "payment", "issue": refused.code}]) from None
    except ProviderUnavailable:
        raise payments.unavailable() from None
    at = clock.iso(now)
    order = OrderItem(
        pk=keys.customer_pk(cid), sk=f"{ORDER_PREFIX}{order_id}", order_id=order_id, customer_id=cid,
        plan_id=plan.plan_id, plan_name=plan.name, period=plan.period, amount_fen=plan.price_fen, status="pending",
        created_at=at, pay_by_epoch=int((now + PAY_WITHIN).timestamp()),
        gsi1pk=f"{PENDING_INDEX}{business_day(now).isoformat()}", gsi1sk=f"{at}#{cid}#{order_id}",
    )
    body = order_view(order, payment)
    tx = Tx()
    tx.put("order", order, OrderItem.pk.does_not_exist())
    idempotency.record_in(tx, req, "created", body)
    replayed = idempotency.commit_or_replay(tx, req)
    if replayed is not None:
        return replayed
    logger.info("plus order created", extra={"customer_id": cid, "order_id": order_id, "plan_id": plan.plan_id})
    return results.created(body)


# --- settling -------------------------------------------------------------------------------------------------------


def _plan_of(order: OrderItem) -> PlusPlan:
    return PlusPlan(order.plan_id, order.plan_name, int(order.amount_fen), order.period)  # type: ignore[arg-type]


def settle(customer_id: str, payment: Payment) -> str:
    """Apply what the provider says of an order, once: ``paid`` (activated now or before), ``closed``/``failed``, or
    ``pending``. 422 ``payment_mismatch`` for an order we do not have or an amount that differs (nothing changes)."""
    def once(_attempt: int) -> str:
        items = records.load_for_order(customer_id, payment.order_id)
        order = items.order(payment.order_id)
        if order is None:
            raise AppError("payment_mismatch", details=[{"field": "out_trade_no", "issue": "no such order"}])
        if order.status in ("paid", "refunded"):
            return "paid"  # a repeat: already applied
        if payment.trade_state != SUCCESS:
            if payment.trade_state in UNPAYABLE and order.status == "pending":
                return _finish_unpaid(order, "failed" if payment.trade_state == "PAYERROR" else "closed")
            return order.status
        if payment.amount_fen is None or not rules.payment_matches(int(order.amount_fen), payment.amount_fen,
                                                                   order.order_id, payment.order_id):
            logger.warning("plus payment mismatch", extra={"order_id": order.order_id, "customer_id": customer_id})
            raise AppError("payment_mismatch", details=[{"field": "amount.total", "issue": "differs from the order"}])
        now = clock.now()
        new = rules.activate(records.membership(items.record), _plan_of(order), now)
        at = clock.iso(now)
        tx = Tx()
        tx.update("order", order, [OrderItem.status.set("paid"), OrderItem.paid_at.set(at),
                                   OrderItem.transaction_id.set(payment.transaction_id or ""),
                                   OrderItem.gsi1pk.remove(), OrderItem.gsi1sk.remove()],
                  OrderItem.status.is_in("pending", "closed", "failed"))
        records.put_in(tx, items.customer_id, new, items.record)
        assert new.expires_at is not None
        notifications.put_in(tx, items.customer_id, "plus_activated", {
            "order_id": order.order_id, "status": "paid", "plan_id": order.plan_id, "plan_name": order.plan_name,
            "expires_on": rules.local(new.expires_at).date().isoformat()})
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed - {"order", records.LABEL}:
                raise
            # another delivery won (the next read finds it paid) or the membership changed: decide again
            raise retry.Again from None
        logger.info("plus order paid", extra={"customer_id": items.customer_id, "order_id": order.order_id})
        return "paid"
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="plus settle", customer_id=customer_id)


def _finish_unpaid(order: OrderItem, status: str) -> str:
    try:
        order.update(actions=[OrderItem.status.set(status), OrderItem.closed_at.set(clock.iso()),
                              OrderItem.gsi1pk.remove(), OrderItem.gsi1sk.remove()],
                     condition=OrderItem.status == "pending")
    except UpdateError as exc:  # settled meanwhile: the next read tells
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    return status


def notified(headers: dict[str, str], body: bytes) -> None:
    """``POST /v1/integrations/payments/wechat/notify``: verify, decrypt, settle. Raises the refusal to answer."""
    wechatpay.require_signature_headers(headers)  # an unsigned request is refused before any key is needed
    k = wechatpay.keys()
    opened = wechatpay.open_notification(k, headers, body, clock.epoch(), payments.key_for)
    transaction = opened["transaction"]
    if str(opened["event_type"]).startswith("REFUND."):
        if transaction.get("mchid") != k.mch_id:
            raise AppError("payment_mismatch", details=[{"field": "mchid", "issue": "not this merchant"}])
        refunds.notified(transaction)  # the end of a refund that answered PROCESSING
        return
    if opened["event_type"] != "TRANSACTION.SUCCESS":
        return  # other events need nothing from us: acknowledged
    if transaction.get("mchid") != k.mch_id or transaction.get("appid") not in k.app_ids:
        raise AppError("payment_mismatch", details=[{"field": "mchid", "issue": "not this merchant"}])
    payment = payments.payment_of(transaction)
    if not payment.customer_id:
        raise AppError("payment_mismatch", details=[{"field": "attach", "issue": "missing"}])
    settle(payment.customer_id, payment)


# --- the settling job -----------------------------------------------------------------------------------------------


def pending_orders(day: str) -> list[OrderItem]:
    """One day's unsettled orders: one Query of the sparse index (settled orders left it)."""
    return [OrderItem.from_raw_data(r) for r in paging.index_all("gsi1", f"{PENDING_INDEX}{day}")]


def settle_pending(now: datetime | None = None, older_than: timedelta = timedelta(minutes=1)) -> dict[str, int]:
    """Orders pending for a minute or more: ask the provider (a lost notification is settled), close those past
    their payment window (a payment that raced the close is settled instead)."""
    now = now or clock.now()
    counts = {"paid": 0, "closed": 0, "failed": 0, "pending": 0, "unavailable": 0}
    today = business_day(now)
    for day in (today - timedelta(days=1), today):
        for order in pending_orders(day.isoformat()):
            if order.status != "pending" or datetime.fromisoformat(order.created_at) > now - older_than:
                continue
            try:
                payment = payments.provider().query(order.order_id)
                if payment.trade_state != SUCCESS and int(order.pay_by_epoch) <= int(now.timestamp()):
                    payment = payments.provider().close(order.order_id)
                outcome = settle(order.customer_id, Payment(
                    order_id=order.order_id, trade_state=payment.trade_state, amount_fen=payment.amount_fen,
                    transaction_id=payment.transaction_id))
            except (ProviderUnavailable, AppError) as exc:
                logger.warning("plus order not settled", extra={"order_id": order.order_id,
                                                                "error": getattr(exc, "code", type(exc).__name__)})
                counts["unavailable"] += 1
                continue
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- refunds --------------------------------------------------------------------------------------------------------


def refund(customer_id: str, staff_id: str, reason: str, role: str = "agent",
           decide: Callable[[Tx], object] | None = None) -> dict[str, Any] | Result:
    """An agent refunds the member's latest paid order: 409 ``membership_not_active`` / ``refund_window_passed`` /
    ``benefit_already_used``; a repeat after it succeeded answers the same refund. Over ``APPROVAL_THRESHOLD_FEN`` the
    refund waits for a supervisor (``points/approvals.py``: 202, nothing refunded); approved, it runs here with
    ``decide`` adding the approval's conditional update to the refund's own transaction."""
    def once(_attempt: int) -> dict[str, Any] | Result:
        items = records.load(customer_id, consistent=True)
        recent = {o.order_id: o for o in (*items.orders, *records.recent_orders(items.customer_id, REFUND_LOOKBACK,
                                                                               consistent=True))}
        paid = sorted((o for o in recent.values() if o.status in ("paid", "refunded")), key=lambda o: o.paid_at or "")
        if not paid:
            raise AppError("membership_not_active")
        order = paid[-1]
        if order.status == "refunded":
            return _refund_view(order)
        now = clock.now()
        held = records.membership(items.record)
        paid_at = datetime.fromisoformat(order.paid_at or order.created_at)
        lines = sum(1 for s in records.lines_since(items, paid_at) if int(s.saved_fen) > 0)
        used = lines + int(items.plus_only_used_since(paid_at))
        why = rules.refundable(held, paid_at, used, now)
        if why is not None:
            raise AppError(why)
        refund_id = f"rf{order.order_id}"
        if decide is None:
            from chalicelib.points import public as points

            if points.money_needs_approval(int(order.amount_fen)):
                return points.ask("refund", items.customer_id, 0, reason, staff_id, role, refund_id,
                                     amount_fen=int(order.amount_fen))
        try:
            outcome = payments.provider().refund(order.order_id, refund_id, int(order.amount_fen),
                                                 int(order.amount_fen))
        except ProviderUnavailable:
            raise payments.unavailable() from None
        try:
            ended = rules.end_now(held, now)
        except MembershipRefused as refused:
            raise AppError(refused.code) from None
        at = clock.iso(now)
        tx = Tx()
        provider_ref = outcome.refund_id
        tx.update("order", order, [OrderItem.status.set("refunded"), OrderItem.refunded_at.set(at),
                                   OrderItem.refund_id.set(provider_ref), OrderItem.refunded_by.set(staff_id),
                                   *refunds.actions_for(order, outcome)],
                  OrderItem.status == "paid")
        follow_up = refunds.record_in(tx, order, outcome)  # ABNORMAL / CLOSED: an agent arranges the money
        records.put_in(tx, items.customer_id, ended, items.record)
        notifications.put_in(tx, items.customer_id, "plus_refunded", {
            "order_id": order.order_id, "status": "refunded", "amount_yuan": f"{int(order.amount_fen) / 100:.2f}"})
        if decide is not None:
            decide(tx)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed - {"order", records.LABEL}:
                raise
            raise retry.Again from None
        refunds.hand_over(follow_up)
        logger.info("plus order refunded", extra={"customer_id": items.customer_id, "order_id": order.order_id,
                                                  "staff_id": staff_id, "reason_chars": len(reason),
                                                  "refund_status": outcome.status})
        order.status, order.refund_id, order.refunded_at = "refunded", provider_ref, at
        order.refund_status = outcome.status
        return _refund_view(order)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="plus refund", customer_id=customer_id)


def execute_approved_refund(approval: Any, decide: Callable[[Tx], object]) -> dict[str, Any]:
    """An approved refund (``points/approvals.py``), made by its maker's name, the decision in its transaction."""
    refund(approval.customer_id, approval.maker, approval.reason, approval.maker_role, decide)
    return {}


def _refund_view(order: OrderItem) -> dict[str, Any]:
    return {"order_id": order.order_id, "status": "refunded", "amount_fen": int(order.amount_fen),
            "refund_id": order.refund_id, "refunded_at": order.refunded_at, "membership_status": "expired",
            "refund_status": order.refund_status}
