"""The identity area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "invalid_state": ErrorSpec(400, "授权状态无效或已使用", "The authorization state is invalid or was already used"),
    "invalid_otp": ErrorSpec(401, "验证码错误或已过期", "The verification code is wrong or has expired"),
    "otp_attempts_exceeded": ErrorSpec(
        401, "验证码错误次数过多，请重新获取", "Too many wrong codes; request a new one"
    ),
    "invalid_credentials": ErrorSpec(401, "用户名或密码错误", "Wrong username or password"),
    "invalid_refresh_token": ErrorSpec(
        401, "刷新凭证无效，请重新登录", "The refresh token is not valid; sign in again"
    ),
    "snapshot_user": ErrorSpec(
        403, "请在微信中打开页面完成授权", "Open the page in WeChat to authorize (snapshot mode cannot sign in)"
    ),
    "identity_conflict": ErrorSpec(
        409,
        "该账号已绑定同一渠道的其他身份，无法合并",
        "The account already has an identity of this channel and cannot be merged",
    ),
    "mfa_required": ErrorSpec(401, "请输入动态验证码", "Enter the code from your authenticator app"),
    "invalid_totp": ErrorSpec(401, "动态验证码错误或已使用", "The authenticator code is wrong or was already used"),
    "mfa_enrolment_required": ErrorSpec(
        403, "此角色须先绑定身份验证器", "This role must enrol an authenticator app before signing in"
    ),
    "mfa_already_enabled": ErrorSpec(409, "已绑定身份验证器", "An authenticator app is already enrolled"),
    "mfa_not_started": ErrorSpec(409, "请先开始绑定身份验证器", "Start the authenticator enrolment first"),
    "staff_username_taken": ErrorSpec(409, "该用户名已被使用", "This username is already taken"),
    "staff_self_change": ErrorSpec(
        409, "不能停用自己的账号或更改自己的角色", "You cannot disable your own account or change your own role"
    ),
    "phone_already_bound": ErrorSpec(409, "当前账号已绑定其他手机号", "This account is bound to another phone number"),
    "otp_resend_too_soon": ErrorSpec(
        429, "验证码发送过于频繁，请稍后再试", "A code was sent recently; wait before asking again"
    ),
}
