"""The events area's error codes: HTTP status and messages (zh-CN, en). ``tier_not_eligible`` and
``check_in_not_open`` are the core's (shared with other areas); ``already_checked_in`` is the points area's."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "already_registered": ErrorSpec(409, "您已报名该活动", "You are already registered for this event"),
    "registration_closed": ErrorSpec(409, "该活动报名已截止", "Registration for this event is closed"),
    "invitation_required": ErrorSpec(403, "该活动仅限受邀会员报名", "This event is open to invited members only"),
    "invalid_check_in_code": ErrorSpec(400, "签到码不正确", "The check-in code is not correct"),
    "not_registered": ErrorSpec(403, "您未报名该活动或仍在候补中", "You are not registered for this event"),
    "event_not_pending": ErrorSpec(409, "该活动不在待审核状态", "This event is not waiting for approval"),
    "not_checked_in": ErrorSpec(409, "该会员未在此活动签到，没有可撤销的签到",
                                "The member is not checked in at this event: there is no check-in to revoke"),
    "check_in_revoked": ErrorSpec(409, "您在该活动的签到已被撤销，请联系客服",
                                  "Your check-in at this event was revoked; contact customer service"),
    "event_not_open": ErrorSpec(409, "该活动未开放或已取消", "This event is not open or was cancelled"),
}
