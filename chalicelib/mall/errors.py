"""The mall area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "out_of_stock": ErrorSpec(409, "库存不足，已兑完", "Out of stock"),
    "redemption_limit_reached": ErrorSpec(
        409, "已达到该礼品的每人兑换上限", "You have reached this reward's per-member limit"
    ),
    "reward_not_available": ErrorSpec(
        409, "该礼品不在可兑换时间内", "This reward cannot be redeemed at this time"
    ),
}
