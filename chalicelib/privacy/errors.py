"""The privacy area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "policy_version_outdated": ErrorSpec(
        409, "隐私政策已更新，请阅读并同意最新版本",
        "The privacy policy has changed: read and accept the current version"
    ),
    "export_in_progress": ErrorSpec(409, "已有一份数据副本正在准备中，请稍后查看",
                                    "A copy of your data is already being prepared; check it shortly"),
    "export_not_ready": ErrorSpec(409, "数据副本仍在准备中", "The copy of your data is still being prepared"),
    "export_expired": ErrorSpec(410, "数据副本已过期（保留 7 天），请重新申请",
                                "The copy of your data has expired (kept 7 days); ask for a new one"),
}
