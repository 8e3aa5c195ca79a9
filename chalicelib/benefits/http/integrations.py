"""Tills and checkout systems (``X-Api-Key``): redeeming a member's voucher at checkout."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.benefits.http.member import VOUCHER_EXAMPLE
from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.benefits import vouchers
else:  # loaded when a view first runs (core/lazy.py)
    vouchers = lazy_module("chalicelib.benefits.vouchers")

api = Api(__name__, "benefits")


@api.route("/v1/integrations/vouchers/{voucher_id}/redemptions", "POST", auth="api_key", status=201,
           body="VoucherRedeemBody", response="benefits.http.member_schemas.VoucherOut",
           errors=("validation_error", "malformed_json", "not_found", "voucher_already_used", "voucher_expired",
                   "service_unavailable"),
           other_statuses={200: "The same order_no again: the voucher as it was redeemed"},
           summary="Redeem a member's voucher at checkout; the same order_no again answers 200 with the same "
                   "voucher, another order 409 voucher_already_used",
           examples={"request": {"customer_id": "c_0123456789abcdef0123", "order_no": "SO20261123001"},
                     "response": {**VOUCHER_EXAMPLE, "status": "used", "used_at": "2026-11-23T05:00:00.000+00:00",
                                  "order_no": "SO20261123001"}})
def redeem_voucher(ctx: RequestContext, voucher_id: str) -> Reply:
    view, replayed = vouchers.redeem_at_checkout(ctx.body.customer_id, voucher_id, ctx.body.order_no)
    return Reply(view, 200 if replayed else 201)
