"""The benefits area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "quota_exhausted": ErrorSpec(
        409, "本周期的领取次数已用完", "You have used up this benefit's quota for the current period"
    ),
    "benefit_not_available": ErrorSpec(
        409, "该权益暂不可领取（已停用或自动发放）", "This benefit cannot be claimed (disabled or issued automatically)"
    ),
    "voucher_already_used": ErrorSpec(409, "该券已使用", "This voucher has already been used"),
    "voucher_expired": ErrorSpec(409, "该券已过期", "This voucher has expired"),
}
