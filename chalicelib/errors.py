"""The one place where error codes, their HTTP status and their messages (zh-CN and en) live.

Services raise ``AppError(code)``; the route layer turns it into the documented envelope
``{"error": {"code", "message", "request_id", "details"}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    zh: str
    en: str


CATALOGUE: dict[str, ErrorSpec] = {
    # 400
    "validation_error": ErrorSpec(400, "请求参数有误", "The request is not valid"),
    "malformed_json": ErrorSpec(400, "请求体不是合法的 JSON", "The request body is not valid JSON"),
    "idempotency_key_required": ErrorSpec(
        400, "此请求需要 Idempotency-Key 请求头", "This request needs an Idempotency-Key header"
    ),
    "invalid_state": ErrorSpec(400, "授权状态无效或已使用", "The authorization state is invalid or was already used"),
    # 401
    "unauthorized": ErrorSpec(401, "请先登录", "Sign-in is required"),
    "token_expired": ErrorSpec(401, "登录已过期，请重新登录", "The access token has expired"),
    "invalid_token": ErrorSpec(401, "登录凭证无效", "The token is not valid"),
    "invalid_otp": ErrorSpec(401, "验证码错误或已过期", "The verification code is wrong or has expired"),
    "otp_attempts_exceeded": ErrorSpec(
        401, "验证码错误次数过多，请重新获取", "Too many wrong codes; request a new one"
    ),
    "invalid_code": ErrorSpec(401, "微信授权码无效或已使用", "The WeChat code is invalid or was already used"),
    "invalid_credentials": ErrorSpec(401, "用户名或密码错误", "Wrong username or password"),
    "invalid_refresh_token": ErrorSpec(
        401, "刷新凭证无效，请重新登录", "The refresh token is not valid; sign in again"
    ),
    "invalid_api_key": ErrorSpec(401, "API 密钥无效", "The API key is not valid"),
    # 403
    "forbidden": ErrorSpec(403, "无权访问此资源", "You may not access this resource"),
    "snapshot_user": ErrorSpec(
        403, "请在微信中打开页面完成授权", "Open the page in WeChat to authorize (snapshot mode cannot sign in)"
    ),
    "consent_required": ErrorSpec(403, "需要先授权同意该用途", "Consent for this use is required first"),
    # 404
    "not_found": ErrorSpec(404, "资源不存在", "The resource does not exist"),
    "route_not_found": ErrorSpec(404, "接口不存在", "No such endpoint"),
    # Answered by API Gateway itself (infra/resources.json GatewayResponses) for other 4xx it raises.
    "request_rejected": ErrorSpec(400, "请求被网关拒绝", "The request was rejected by the API gateway"),
    # 405 / 409 / 413 / 415 / 422 / 429
    "method_not_allowed": ErrorSpec(405, "不支持此请求方法", "This method is not allowed here"),
    "identity_conflict": ErrorSpec(
        409,
        "该账号已绑定同一渠道的其他身份，无法合并",
        "The account already has an identity of this channel and cannot be merged",
    ),
    "birthday_locked": ErrorSpec(
        409, "生日设置后不可自行修改，请联系客服", "A birthday cannot be changed once set; contact us"
    ),
    "concurrent_update": ErrorSpec(
        409, "资料已被其他请求修改，请刷新后重试", "The profile changed meanwhile; reload and retry"
    ),
    "phone_already_bound": ErrorSpec(409, "当前账号已绑定其他手机号", "This account is bound to another phone number"),
    "payload_too_large": ErrorSpec(413, "请求体过大", "The request body is too large"),
    "unsupported_media_type": ErrorSpec(415, "请求体须为 application/json", "The body must be application/json"),
    "idempotency_key_reused": ErrorSpec(
        422, "该 Idempotency-Key 已用于不同的请求", "This Idempotency-Key was used with a different request"
    ),
    "rate_limited": ErrorSpec(429, "请求过于频繁，请稍后再试", "Too many requests; try again later"),
    "otp_resend_too_soon": ErrorSpec(
        429, "验证码发送过于频繁，请稍后再试", "A code was sent recently; wait before asking again"
    ),
    # 5xx
    "internal_error": ErrorSpec(500, "服务器内部错误", "Internal server error"),
    "upstream_unavailable": ErrorSpec(503, "上游服务繁忙，请稍后重试", "An upstream service is busy; retry shortly"),
    "service_unavailable": ErrorSpec(503, "服务暂时不可用，请稍后重试", "The service is temporarily unavailable"),
    # WeChat adapter (chalicelib/adapters/wechat.py)
    "wechat_risk_blocked": ErrorSpec(
        403,
        "微信判定当前账号存在安全风险，暂时无法登录",
        "WeChat blocked this sign-in because it rates the account as high-risk",
    ),
    "unsupported_phone": ErrorSpec(
        422, "暂仅支持中国大陆手机号", "Only mainland China mobile numbers are supported"
    ),
    # Points and tiers (chalicelib/services/points*.py)
    "insufficient_points": ErrorSpec(409, "积分余额不足", "Not enough points"),
    "already_checked_in": ErrorSpec(409, "今天已经签到过了", "You have already checked in today"),
    "order_not_found": ErrorSpec(404, "订单不存在或未获得积分", "No such order has earned points"),
    "refund_exceeds_order": ErrorSpec(
        409, "退款金额超过订单剩余可退金额", "The refund exceeds what is left of the order amount"
    ),
    "order_already_credited": ErrorSpec(
        409, "该订单已经获得过积分", "This order has already earned points"
    ),
    "claim_already_filed": ErrorSpec(
        409, "该订单已有待处理的补登申请", "A claim for this order is already pending"
    ),
    "too_many_open_claims": ErrorSpec(
        409, "待处理的补登申请过多，请等待审核后再提交", "Too many claims are pending; wait for them to be reviewed"
    ),
    "claim_not_pending": ErrorSpec(409, "该补登申请已处理", "This claim has already been decided"),
    # Points mall and shared eligibility (chalicelib/services/rewards.py, redemptions.py)
    "tier_not_eligible": ErrorSpec(403, "当前会员等级不可参与", "Your membership tier is not eligible"),
    "out_of_stock": ErrorSpec(409, "库存不足，已兑完", "Out of stock"),
    "redemption_limit_reached": ErrorSpec(
        409, "已达到该礼品的每人兑换上限", "You have reached this reward's per-member limit"
    ),
    "reward_not_available": ErrorSpec(
        409, "该礼品不在可兑换时间内", "This reward cannot be redeemed at this time"
    ),
    # Benefits zone and vouchers (chalicelib/services/benefits*.py, vouchers.py)
    "quota_exhausted": ErrorSpec(
        409, "本周期的领取次数已用完", "You have used up this benefit's quota for the current period"
    ),
    "benefit_not_available": ErrorSpec(
        409, "该权益暂不可领取（已停用或自动发放）", "This benefit cannot be claimed (disabled or issued automatically)"
    ),
    "voucher_already_used": ErrorSpec(409, "该券已使用", "This voucher has already been used"),
    "voucher_expired": ErrorSpec(409, "该券已过期", "This voucher has expired"),
    # Follow-up cases of failed transactions (chalicelib/services/followups.py)
    "case_not_claimed": ErrorSpec(409, "请先认领该工单", "Claim the case first"),
    "case_claimed_by_other": ErrorSpec(409, "该工单已由其他客服认领", "Another agent has claimed this case"),
    "case_already_resolved": ErrorSpec(409, "该工单已处理完毕", "This case has already been resolved"),
    "case_transaction_settled": ErrorSpec(
        409, "该交易已有结果，无需再处理", "The case's transaction has already been settled"
    ),
    "case_not_refundable": ErrorSpec(409, "该类交易不支持退回", "This kind of transaction cannot be refunded here"),
    "case_not_retryable": ErrorSpec(409, "该类交易不支持立即重试", "This kind of transaction cannot be retried now"),
}


@dataclass
class AppError(Exception):
    """A failure the client should see, identified by a stable code from ``CATALOGUE``."""

    code: str
    details: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown error code {self.code!r}")
        super().__init__(self.code)

    @property
    def status(self) -> int:
        return CATALOGUE[self.code].status


def wants_english(accept_language: str | None) -> bool:
    """True when the client's first language preference is English (``Accept-Language: en``)."""
    if not accept_language:
        return False
    first = accept_language.split(",")[0].split(";")[0].strip().lower()
    return first == "en" or first.startswith("en-")


def error_body(code: str, request_id: str, english: bool, details: list[dict[str, Any]] | None = None) -> dict:
    spec = CATALOGUE[code]
    return {
        "error": {
            "code": code,
            "message": spec.en if english else spec.zh,
            "request_id": request_id,
            "details": details or [],
        }
    }
