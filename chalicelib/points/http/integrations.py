"""Machine callers (``X-Api-Key``): orders from tills and shops, and their refunds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.points import orders
else:  # loaded when a view first runs (core/lazy.py)
    orders = lazy_module("chalicelib.points.orders")


api = Api(__name__, "integrations")

KEY_ERRORS = ("invalid_api_key", "validation_error", "malformed_json")


@api.route("/v1/integrations/orders", "POST", auth="api_key", status=201, body="OrderBody",
           response="OrderOut",
           errors=(*KEY_ERRORS, "not_found", "service_unavailable"),
           other_statuses={200: "The order_no was already recorded: the first answer, nothing more awarded"},
           summary="Award an order's points (idempotent on order_no: a repeat is 200 and awards nothing); "
                   "an unknown phone enrols a store member",
           examples={"request": {"order_no": "SO20261123001", "customer": {"phone": "13800138000"},
                                 "amount_fen": 19900, "channel": "store", "store_id": "sh-xujiahui",
                                 "paid_at": "2026-11-23T11:15:00+08:00"},
                     "response": {"order_no": "SO20261123001", "customer_id": "c_8f14e45fceea167a5a36",
                                  "points_awarded": 199, "duplicate": False, "balance_after": 1280,
                                  "tier": "base", "promotion_id": None, "new_member": False}})
def post_order(ctx: RequestContext) -> Reply:
    body = ctx.body
    result, created = orders.ingest_order(
        body.order_no, customer_id=body.customer.customer_id, phone=body.customer.phone,
        amount_fen=body.amount_fen, channel=body.channel, store_id=body.store_id, paid_at=body.paid_at,
    )
    return Reply(result, 201 if created else 200)


@api.route("/v1/integrations/orders/{order_no}/refunds", "POST", auth="api_key", status=201,
           body="RefundBody",
           response="RefundOut", optional_idempotency_key=True,
           errors=(*KEY_ERRORS, "order_not_found", "refund_exceeds_order", "idempotency_key_reused",
                   "service_unavailable"),
           summary="Reverse the points of a (partial) refund in proportion; spent points become a debt. "
                   "With refund_no or Idempotency-Key a repeat returns the first answer",
           examples={"request": {"amount_fen": 9950, "refund_no": "RF20261124001"},
                     "response": {"order_no": "SO20261123001", "refund_no": "RF20261124001", "amount_fen": 9950,
                                  "points_reversed": 99, "balance_after": 1181, "debt_after": 0,
                                  "refunded_fen_total": 9950}})
def post_refund(ctx: RequestContext, order_no: str) -> Reply:
    if len(order_no) > 64:
        raise AppError("order_not_found")
    refund_no = ctx.body.refund_no or ctx.idempotency_key
    if refund_no is not None and len(refund_no) > 64:
        raise AppError("validation_error", details=[{"field": "Idempotency-Key", "issue": "must be 1-64 characters"}])
    result, replayed = orders.refund_order(order_no, ctx.body.amount_fen, refund_no)
    return Reply(result, 201, {"Idempotent-Replayed": "true"} if replayed else {})
