"""Local stage only: settle a Plus order at the WeChat Pay simulator (``PUT /v1/dev/payments/{order_id}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.membership import dev
else:  # loaded when a view first runs (core/lazy.py)
    dev = lazy_module("chalicelib.membership.dev")

api = Api(__name__, "dev", schemas="chalicelib.membership.http.schemas")


@api.route("/v1/dev/payments/{order_id}", "PUT", auth="public", local_only=True, body="DevPaymentIn",
           response="DevPaymentOut",
           errors=("validation_error", "malformed_json", "route_not_found", "not_found", "invalid_token",
                   "payments_not_configured", "upstream_unavailable", "payment_mismatch", "service_unavailable"),
           summary="Settle a Plus order at the simulated WeChat Pay (local stage only): paid makes it send its signed "
                   "notification to the notify route a moment later (202; the order is paid when it lands); failed "
                   "fails the payment (the order is failed at once)", status=202,
           examples={"request": {"result": "paid"},
                     "response": {"order_id": "po19a7f0c3b2e0123456789abcdef", "result": "paid",
                                  "order_status": "pending", "notification": "sending"}})
def settle_dev_payment(ctx: RequestContext, order_id: str) -> dict:
    return dev.settle(order_id, ctx.body.result)
