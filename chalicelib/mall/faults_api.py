"""Faults on demand (local stage only): make the simulated fulfilment partner fail a share of its calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.mall import fulfillment
else:  # loaded when a view first runs (core/lazy.py)
    fulfillment = lazy_module("chalicelib.mall.fulfillment")


api = Api(__name__, "dev")


@api.route("/v1/dev/faults", "PUT", auth="public", local_only=True, body="FaultsIn",
           response="FaultsOut",
           errors=("validation_error", "malformed_json", "route_not_found"),
           summary="Set the share of calls the simulated fulfilment partner fails (local stage only; every process "
                   "of the stack sees it within a second)",
           examples={"request": {"fulfillment_failure_rate": 1.0}, "response": {"fulfillment_failure_rate": 1.0}})
def put_faults(ctx: RequestContext) -> dict:
    saved = fulfillment.set_faults(fulfillment_failure_rate=ctx.body.fulfillment_failure_rate)
    return {"fulfillment_failure_rate": float(saved.get("fulfillment_failure_rate", 0.0))}


@api.route("/v1/dev/faults", "GET", auth="public", local_only=True, response="FaultsOut",
           errors=("route_not_found",), summary="The faults switched on (local stage only)",
           examples={"response": {"fulfillment_failure_rate": 0.0}})
def get_faults(ctx: RequestContext) -> dict:
    return {"fulfillment_failure_rate": fulfillment.failure_rate()}
