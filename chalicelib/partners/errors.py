"""The partners area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "partner_token_invalid": ErrorSpec(
        400, "会员识别凭证无效或已过期，请重新识别",
        "The recognition token is invalid or has expired; recognise the member again"),
    "partner_role_missing": ErrorSpec(
        403, "该联盟商家未开通此项业务", "This partner is not enabled for this operation"),
    "partner_redemption_closed": ErrorSpec(
        409, "该积分抵扣请求已处理或已过期", "This redemption request was already decided or has expired"),
    "partner_order_used": ErrorSpec(
        409, "该订单号已用于另一笔积分抵扣", "This order number was already used for another redemption"),
    "partner_earning_not_found": ErrorSpec(404, "没有该订单的积分记录", "No earning recorded for this order"),
    "partner_otp_invalid": ErrorSpec(400, "短信验证码错误", "The SMS code is wrong"),
}
