"""The local stage's deliveries: everything sent to a member, for client teams testing against ``make run``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.notifications import dev
else:  # loaded when a view first runs (core/lazy.py)
    dev = lazy_module("chalicelib.notifications.dev")

api = Api(__name__, "notifications")


@api.route("/v1/dev/deliveries", "GET", auth="public", local_only=True, query="DeliveriesQuery",
           response="DeliveryList", errors=("validation_error", "route_not_found"),
           summary="Everything sent to a member on every channel (SMS, WeChat subscription and template messages), "
                   "newest first (local stage only)",
           examples={"response": {"items": [{
               "notification_id": "ntf_3f9a0c1d2e4b5a69", "channel": "sms", "status": "sent", "attempts": 1,
               "error": None, "to": "138****8000", "template_id": None, "content": "【会员中心】积分已退回：…",
               "created_at": "2026-12-01T12:00:00.000+00:00", "updated_at": "2026-12-01T12:00:00.200+00:00"}]}})
def dev_notification_deliveries(ctx: RequestContext) -> dict:
    return dev.deliveries(ctx.query.customer_id)
