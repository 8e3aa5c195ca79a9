"""The surveys area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "survey_answered": ErrorSpec(409, "您已评价过本次服务", "You have already answered this survey"),
    "survey_withdrawn": ErrorSpec(409, "该服务已作废，评价已撤回", "This survey was withdrawn: its service was voided"),
    "survey_expired": ErrorSpec(410, "评价已过期", "This survey has expired"),
    "summary_range_too_large": ErrorSpec(
        400, "统计范围内的数据过多，请缩短日期范围", "Too much data in this range; choose a shorter range"),
}
