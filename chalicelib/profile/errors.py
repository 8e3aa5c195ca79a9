"""The profile area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "consent_required": ErrorSpec(403, "需要先授权同意该用途", "Consent for this use is required first"),
    "birthday_locked": ErrorSpec(
        409, "生日设置后不可自行修改，请联系客服", "A birthday cannot be changed once set; contact us"
    ),
    "concurrent_update": ErrorSpec(
        409, "资料已被其他请求修改，请刷新后重试", "The profile changed meanwhile; reload and retry"
    ),
}
