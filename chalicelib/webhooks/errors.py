"""The webhooks area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "too_many_webhooks": ErrorSpec(409, "Webhook 端点数量已达上限，请先删除不用的端点",
                                   "The most webhook endpoints allowed are registered: delete one you no longer use"),
    "delivery_in_progress": ErrorSpec(409, "该投递仍在进行中，无需重放",
                                      "This delivery is still being attempted: there is nothing to replay yet"),
}
