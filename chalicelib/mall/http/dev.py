"""Faults on demand (local stage only): make the simulated fulfilment partner fail a share of its calls, the WeChat
simulator fail a share of its message sends, the simulated SMS gateway refuse notification texts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.core import faults
    from chalicelib.notifications import public as notifications
else:  # loaded when a view first runs (core/lazy.py)
    faults = lazy_module("chalicelib.core.faults")
    notifications = lazy_module("chalicelib.notifications.public")


api = Api(__name__, "dev")


def _view(saved: dict[str, Any]) -> dict[str, Any]:
    """The fulfilment rate always; the notification simulators' faults once they were ever set."""
    out: dict[str, Any] = {"fulfillment_failure_rate": float(saved.get("fulfillment_failure_rate", 0.0) or 0.0)}
    if "wechat_failure_rate" in saved:
        out["wechat_failure_rate"] = float(saved["wechat_failure_rate"])
    if "sms_down" in saved:
        out["sms_down"] = bool(saved["sms_down"])
    return out


@api.route("/v1/dev/faults", "PUT", auth="public", local_only=True, body="FaultsIn",
           response="FaultsOut",
           errors=("validation_error", "malformed_json", "route_not_found", "upstream_unavailable"),
           summary="Set the share of calls the simulated fulfilment partner fails, the share of message sends the "
                   "WeChat simulator fails (-1 or 45009), whether the simulated SMS gateway is down (local stage "
                   "only; every process of the stack sees it within a second)",
           examples={"request": {"fulfillment_failure_rate": 1.0}, "response": {"fulfillment_failure_rate": 1.0}})
def put_faults(ctx: RequestContext) -> dict:
    body = ctx.body
    if body.wechat_failure_rate is not None:
        notifications.set_wechat_failure_rate(body.wechat_failure_rate)
    saved = faults.set_faults(fulfillment_failure_rate=body.fulfillment_failure_rate,
                                   wechat_failure_rate=body.wechat_failure_rate, sms_down=body.sms_down)
    return _view(saved)


@api.route("/v1/dev/faults", "GET", auth="public", local_only=True, response="FaultsOut",
           errors=("route_not_found",), summary="The faults switched on (local stage only)",
           examples={"response": {"fulfillment_failure_rate": 0.0}})
def get_faults(ctx: RequestContext) -> dict:
    return _view(faults.faults())
