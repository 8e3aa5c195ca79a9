"""The member's notifications (``chalicelib/core/notifications.py``): what happened to their requests."""

from __future__ import annotations

from chalicelib.core import notifications
from chalicelib.core.http.routing import Api, RequestContext

api = Api(__name__, "member")

MEMBER_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


@api.route("/v1/me/notifications", "GET", auth="member", query="notifications.schemas.NotificationQuery",
           response="notifications.schemas.NotificationPage", errors=(*MEMBER_ERRORS, "validation_error"),
           summary="My notifications, newest first (e.g. a request handed to an agent, points returned), each "
                   "with every delivery attempt (channel, status, at, error)",
           examples={"response": {"items": [{
               "notification_id": "ntf_3f9a0c1d2e4b5a69", "kind": "transaction_refunded", "title": "积分已退回",
               "body": "您的请求未能完成，所扣积分已全部退回您的账户。",
               "data": {"transaction_id": "txn_19a7f0c3b2e4f1a2b3c4d", "status": "refunded",
                        "kind": "redemption_fulfillment"},
               "read": False, "created_at": "2026-11-23T05:06:00.000+00:00",
               "deliveries": [{"channel": "in_app", "status": "delivered", "at": "2026-11-23T05:06:00.400+00:00",
                               "error": None},
                              {"channel": "sms", "status": "sent", "at": "2026-11-23T05:06:00.700+00:00",
                               "error": None}]}], "next_cursor": None}})
def list_my_notifications(ctx: RequestContext) -> dict:
    return notifications.page(ctx.customer_id, ctx.query.limit, ctx.query.cursor, ctx.english)
