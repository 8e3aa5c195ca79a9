"""The privacy area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "policy_version_outdated": ErrorSpec(
        409, "隐私政策已更新，请阅读并同意最新版本",
        "The privacy policy has changed: read and accept the current version"
    ),
    "deletion_pending": ErrorSpec(409, "您已申请注销账户，冷静期内不能使用积分或预约；可撤销注销申请",
                                  "You asked to close your account: points and bookings are paused while it cools "
                                  "off; you can cancel the request"),
    "deletion_blocked": ErrorSpec(409, "有尚未完成的交易，暂不能注销，请稍后再试",
                                  "A transaction is still being completed; the account cannot be closed yet"),
    "deletion_not_cancellable": ErrorSpec(409, "冷静期已结束，注销无法撤销",
                                          "The cooling-off has ended: the deletion can no longer be cancelled"),
    "export_in_progress": ErrorSpec(409, "已有一份数据副本正在准备中，请稍后查看",
                                    "A copy of your data is already being prepared; check it shortly"),
    "export_not_ready": ErrorSpec(409, "数据副本仍在准备中", "The copy of your data is still being prepared"),
    "export_expired": ErrorSpec(410, "数据副本已过期（保留 7 天），请重新申请",
                                "The copy of your data has expired (kept 7 days); ask for a new one"),
}
