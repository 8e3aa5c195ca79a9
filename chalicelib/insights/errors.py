"""The insights area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "close_month_not_over": ErrorSpec(409, "该月尚未结束，不能月结",
                                      "This month has not ended yet: it cannot be closed"),
    "close_not_found": ErrorSpec(404, "该月尚未月结", "This month has not been closed"),
    "closes_range_too_large": ErrorSpec(400, "月结列表最多60个月", "The list of closes may cover at most 60 months"),
    "daily_range_too_large": ErrorSpec(400, "按日统计最多92天", "The daily figures may cover at most 92 days"),
    "health_range_too_large": ErrorSpec(400, "统计范围最多12个月", "The range may cover at most 12 months"),
}
