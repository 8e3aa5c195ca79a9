"""The audit area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "audit_filter_required": ErrorSpec(400, "请指定操作人、会员或日期之一", "Give one of actor, member or day"),
}
