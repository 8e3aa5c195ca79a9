"""The points area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "self_approval": ErrorSpec(403, "不能审批自己提交的申请", "You cannot approve or reject your own request"),
    "approval_decided": ErrorSpec(409, "该申请已被审批", "This request has already been decided"),
    "insufficient_points": ErrorSpec(409, "积分余额不足", "Not enough points"),
    "already_checked_in": ErrorSpec(409, "今天已经签到过了", "You have already checked in today"),
    "order_not_found": ErrorSpec(404, "订单不存在或未获得积分", "No such order has earned points"),
    "refund_exceeds_order": ErrorSpec(
        409, "退款金额超过订单剩余可退金额", "The refund exceeds what is left of the order amount"
    ),
    "order_already_credited": ErrorSpec(
        409, "该订单已经获得过积分", "This order has already earned points"
    ),
    "claim_already_filed": ErrorSpec(
        409, "该订单已有待处理的补登申请", "A claim for this order is already pending"
    ),
    "too_many_open_claims": ErrorSpec(
        409, "待处理的补登申请过多，请等待审核后再提交", "Too many claims are pending; wait for them to be reviewed"
    ),
    "claim_not_pending": ErrorSpec(409, "该补登申请已处理", "This claim has already been decided"),
}
