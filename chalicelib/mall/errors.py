"""The mall area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "out_of_stock": ErrorSpec(409, "库存不足，已兑完", "Out of stock"),
    "redemption_limit_reached": ErrorSpec(
        409, "已达到该礼品的每人兑换上限", "You have reached this reward's per-member limit"
    ),
    "stock_removal_exceeds_unsold": ErrorSpec(
        409, "减少的库存超过了尚未售出的库存，未做任何修改",
        "Cannot remove more stock than is still unsold: nothing was changed",
    ),
    "reward_edit_conflict": ErrorSpec(
        409, "该礼品已被他人修改，请刷新后重试", "This reward was changed by someone else: reload it and try again"
    ),
    "reward_not_available": ErrorSpec(
        409, "该礼品不在可兑换时间内", "This reward cannot be redeemed at this time"
    ),
}
