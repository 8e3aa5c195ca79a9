"""A Plus refund after WeChat Pay took it: followed to its end.

WeChat Pay answers a refund ``SUCCESS``, ``PROCESSING`` (the money is on its way: a bank card can take days),
``ABNORMAL`` (the payer's account cannot take it, e.g. a closed card: a person must arrange it) or ``CLOSED``. The
agent's refund ends the membership in every case (``orders.refund``) and records the provider's status on the order:

- ``PROCESSING``: the order waits on ``gsi1`` ``PLUSREFUNDING``; its end comes from the refund notification
  (``REFUND.SUCCESS`` / ``REFUND.ABNORMAL`` / ``REFUND.CLOSED``) or from the settling job's query, whichever is first.
- ``ABNORMAL`` / ``CLOSED`` (at once or at the end): a ``plus_refund`` transaction goes straight to the agents'
  follow-up queue (``outbox.escalate``), where it becomes a case: the member is told, an agent arranges the money.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger
from chalicelib.core.retry import outbox
from chalicelib.core.retry.transactions import Transaction
from chalicelib.membership import payments, records
from chalicelib.membership.models import REFUNDING_INDEX, OrderItem
from chalicelib.membership.payments import ProviderUnavailable, Refund

KIND = "plus_refund"
FINAL = ("SUCCESS", "ABNORMAL", "CLOSED")
NEEDS_AGENT = ("ABNORMAL", "CLOSED")


def transaction_of(order: OrderItem, status: str) -> Transaction:
    """The follow-up transaction of a refund WeChat Pay could not pay out; one per order."""
    return Transaction(transaction_id=f"plusrefund_{order.order_id}", customer_id=order.customer_id, kind=KIND,
                       reference=order.order_id,
                       payload={"order_id": order.order_id, "refund_status": status,
                                "amount_fen": int(order.amount_fen), "plan_name": order.plan_name})


def actions_for(order: OrderItem, outcome: Refund) -> list[Any]:
    """The order's update for the provider's answer: its status, and the in-flight index while PROCESSING."""
    actions: list[Any] = [OrderItem.refund_status.set(outcome.status)]
    if outcome.status == "PROCESSING":
        actions += [OrderItem.gsi1pk.set(REFUNDING_INDEX),
                    OrderItem.gsi1sk.set(f"{order.order_id}#{order.customer_id}")]
    return actions


def record_in(tx: Tx, order: OrderItem, outcome: Refund) -> Transaction | None:
    """Put the follow-up transaction in ``tx`` when the refund needs an agent; send it with ``hand_over`` after the
    commit."""
    if outcome.status not in NEEDS_AGENT:
        return None
    txn = transaction_of(order, outcome.status)
    outbox.retry_port().record_in(tx, txn)
    return txn


def hand_over(txn: Transaction | None) -> None:
    if txn is not None:
        outbox.escalate(txn)


def finish(customer_id: str, order_id: str, status: str) -> str:
    """Apply the end of an in-flight refund, once (conditioned on it still being ``PROCESSING``)."""
    if status not in FINAL:
        return "processing"
    order = records.load_for_order(customer_id, order_id).order(order_id)
    if order is None or order.refund_status != "PROCESSING":
        return "done"
    tx = Tx()
    tx.update("order", order, [OrderItem.refund_status.set(status), OrderItem.gsi1pk.remove(),
                               OrderItem.gsi1sk.remove()], OrderItem.refund_status == "PROCESSING")
    txn = record_in(tx, order, Refund(order.refund_id or "", status))
    try:
        tx.commit()
    except TxCancelled:
        return "done"  # the notification and the job raced: the other applied it
    hand_over(txn)
    logger.info("plus refund ended", extra={"order_id": order_id, "customer_id": customer_id,
                                            "refund_status": status})
    return "needs_agent" if status in NEEDS_AGENT else "refunded"


def in_flight(order_id: str | None = None) -> list[OrderItem]:
    """Orders whose refund is in flight (one Query of a small partition), or the one of ``order_id``."""
    found = [OrderItem.from_raw_data(r) for r in paging.index_all("gsi1", REFUNDING_INDEX)]
    return [o for o in found if order_id is None or o.order_id == order_id]


def notified(resource: dict[str, Any]) -> None:
    """A refund notification (``REFUND.*``): the refund's end for its order, if we are still waiting for it."""
    order_id = str(resource.get("out_trade_no") or "")
    for order in in_flight(order_id):
        finish(order.customer_id, order.order_id, str(resource.get("refund_status") or ""))


def follow_pending() -> dict[str, int]:
    """The settling job's part: ask WeChat Pay about each refund still in flight."""
    counts = {"refunded": 0, "needs_agent": 0, "processing": 0, "unavailable": 0}
    for order in in_flight():
        try:
            outcome = payments.provider().query_refund(f"rf{order.order_id}")
        except ProviderUnavailable:
            counts["unavailable"] += 1
            continue
        result = finish(order.customer_id, order.order_id, outcome.status)
        counts[result] = counts.get(result, 0) + 1
    logger.info("plus refunds followed", extra={**counts, "at": clock.iso()})
    return counts


def retry_handover(message: dict[str, Any]) -> None:
    """The retry queue's handler for ``plus_refund`` (reached only when the direct hand-over failed and the sweeper
    sent the outbox entry there): retrying cannot pay the money out, so it fails until the redrive policy moves it
    to the follow-up queue, where the case opens."""
    raise RuntimeError("a refund WeChat Pay could not pay out needs an agent")


def describe(case: Any) -> dict[str, Any] | None:
    """The case page's record: the order and the refund's status."""
    payload = dict(getattr(case, "message", None) or {})
    return {"kind": "plus_refund", "order_id": payload.get("order_id"), "status": payload.get("refund_status"),
            "amount_fen": payload.get("amount_fen"), "title": payload.get("plan_name")}
