"""The appointments area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "slot_full": ErrorSpec(409, "该时段已约满，请选择其他时段", "This slot is fully booked; choose another time"),
    "already_booked": ErrorSpec(
        409, "您在该时间已有预约", "You already hold an appointment that overlaps this time"
    ),
    "outside_booking_window": ErrorSpec(
        409, "该时段暂未开放预约（超出您的会员等级可预约范围）",
        "This slot is not open to you yet (beyond your tier's booking window)",
    ),
    "too_late_to_cancel": ErrorSpec(
        409, "距预约开始时间过近，无法取消或改期，请联系门店",
        "It is too close to the appointment to cancel or move it; contact the store",
    ),
    "booking_suspended": ErrorSpec(
        409, "因多次预约未到店，自助预约暂停，请联系客服",
        "Self-service booking is suspended after repeated no-shows; contact customer service",
    ),
    "appointment_not_active": ErrorSpec(
        409, "该预约已取消或已完成", "This appointment was already cancelled or completed"
    ),
    "appointment_not_checked_in": ErrorSpec(
        409, "只有已到店签到的预约才能改为未到店", "Only a checked-in appointment can be marked a no-show"
    ),
}
