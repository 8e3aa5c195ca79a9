"""The member's notification settings, WeChat subscription grants and reading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.notifications import preferences
else:  # loaded when a view first runs (core/lazy.py)
    preferences = lazy_module("chalicelib.notifications.preferences")

api = Api(__name__, "notifications")

SETTINGS_EXAMPLE = {"channels": {"sms": True, "wechat": True, "in_app": True},
                    "quiet_hours": {"start": "22:00", "end": "08:00"}}


@api.route("/v1/me/notification-settings", "GET", auth="member", response="SettingsOut", errors=(),
           summary="My notification channels and quiet hours (Asia/Shanghai; default 22:00-08:00)",
           examples={"response": SETTINGS_EXAMPLE})
def get_notification_settings(ctx: RequestContext) -> dict:
    return preferences.get_settings(ctx.customer_id)


@api.route("/v1/me/notification-settings", "PUT", auth="member", body="SettingsIn", response="SettingsOut",
           errors=("validation_error", "malformed_json"),
           summary="Switch channels off or on and set my quiet hours (only urgent service messages go in them)",
           examples={"request": {"channels": {"sms": False}, "quiet_hours": {"start": "23:00", "end": "07:30"}},
                     "response": {"channels": {"sms": False, "wechat": True, "in_app": True},
                                  "quiet_hours": {"start": "23:00", "end": "07:30"}}})
def put_notification_settings(ctx: RequestContext) -> dict:
    return preferences.put_settings(ctx.customer_id, ctx.body.model_dump(exclude_none=True))


@api.route("/v1/me/wechat-subscriptions", "POST", auth="member", status=201, body="SubscriptionsIn",
           response="SubscriptionsOut", errors=("validation_error", "malformed_json"),
           summary="The mini-program templates I accepted in wx.requestSubscribeMessage: each acceptance allows one "
                   "message of that template",
           examples={"request": {"accepted": ["tmpl_member_notice"]},
                     "response": {"grants": [{"template_id": "tmpl_member_notice", "remaining": 1}]}})
def accept_wechat_subscriptions(ctx: RequestContext) -> Result:
    return preferences.accept_subscriptions(ctx.customer_id, ctx.body.accepted)


@api.route("/v1/me/notifications/{notification_id}/read", "POST", auth="member", response="ReadOut",
           errors=("not_found",), summary="Mark one of my notifications read (again: no change)",
           examples={"response": {"notification_id": "ntf_3f9a0c1d2e4b5a69", "read": True, "unread": 2}})
def read_notification(ctx: RequestContext, notification_id: str) -> dict:
    return preferences.mark_read(ctx.customer_id, notification_id)


