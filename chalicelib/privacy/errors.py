"""The privacy area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "policy_version_outdated": ErrorSpec(
        409, "隐私政策已更新，请阅读并同意最新版本",
        "The privacy policy has changed: read and accept the current version"
    ),
}
