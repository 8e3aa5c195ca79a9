"""The member's own profile: ``GET /v1/me`` and ``PATCH /v1/me``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core import notifications
from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.profile import own_view
else:  # loaded when a view first runs (core/lazy.py)
    own_view = lazy_module("chalicelib.profile.own_view")

api = Api(__name__, "member")


ME_EXAMPLE = {
    "customer_id": "c_8f14e45fceea167a5a36",
    "member_no": "5203948172",
    "name": "李雷",
    "phone_masked": "138****8000",
    "birthday": None,
    "gender": None,
    "consents": {"marketing": False, "profiling": False},
    "preferences": {},
    "tags": [],
    "channels": ["miniprogram", "app"],
    "tier": {"code": "base", "name": "普通会员", "badge": "badge-base"},
    "tier_progress": {"next_tier": "silver", "metric": "spend_12m_fen", "current": 0, "required": 200000},
    "points": {"balance": 0, "expiring": {"points": 0, "on": None}},
    "plus": {"status": "active", "expires_at": "2027-12-01T10:15:00+08:00"},
    "unread_notifications": 0,
    "privacy_policy": {"version": "2027-01", "accepted_version": "2026-01", "needs_acceptance": True},
}


@api.route("/v1/me", "GET", auth="member", response="Me", summary="My membership: profile, tier, points",
           errors=("not_found",),
           examples={"response": ME_EXAMPLE})
def get_me(ctx: RequestContext) -> dict:
    return own_view.me(ctx.customer_id)


@api.route("/v1/me", "PATCH", auth="member", body="ProfilePatch", response="Profile",
           summary="Edit my profile; birthday, gender and preferences need the profiling consent",
           errors=("validation_error", "malformed_json", "consent_required", "birthday_locked", "concurrent_update",
                   "not_found"),
           examples={"request": {"name": "李雷", "consents": {"profiling": True}, "birthday": "1990-05-01"},
                     "response": {k: v for k, v in ME_EXAMPLE.items()
                                  if k not in ("tier", "tier_progress", "points", "plus", "unread_notifications",
                                               "privacy_policy")}})
def patch_me(ctx: RequestContext) -> dict:
    return own_view.update_profile(ctx.customer_id, ctx.body.model_dump(exclude_unset=True), channel=ctx.channel)




@api.route("/v1/me/notifications", "GET", auth="member", query="notifications.http.member_schemas.NotificationQuery",
           response="notifications.http.member_schemas.NotificationPage", errors=("validation_error",),
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
