"""Error codes, their HTTP status and their messages (zh-CN and en): the core's own here, each area's in its
manifest (``Area.errors``), assembled into one ``CATALOGUE`` on first use.

Use cases raise ``AppError(code)``; the route layer turns it into the documented envelope
``{"error": {"code", "message", "request_id", "details"}}`` (and ``retry_after`` into a ``Retry-After`` header).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chalicelib.core.error_spec import ErrorSpec

CORE_ERRORS: dict[str, ErrorSpec] = {
    # 400
    "validation_error": ErrorSpec(400, "请求参数有误", "The request is not valid"),
    "malformed_json": ErrorSpec(400, "请求体不是合法的 JSON", "The request body is not valid JSON"),
    "idempotency_key_required": ErrorSpec(
        400, "此请求需要 Idempotency-Key 请求头", "This request needs an Idempotency-Key header"
    ),
    # 401
    "unauthorized": ErrorSpec(401, "请先登录", "Sign-in is required"),
    "token_expired": ErrorSpec(401, "登录已过期，请重新登录", "The access token has expired"),
    "invalid_token": ErrorSpec(401, "登录凭证无效", "The token is not valid"),
    "invalid_code": ErrorSpec(401, "微信授权码无效或已使用", "The WeChat code is invalid or was already used"),
    "invalid_api_key": ErrorSpec(401, "API 密钥无效", "The API key is not valid"),
    # 403
    "forbidden": ErrorSpec(403, "无权访问此资源", "You may not access this resource"),
    # 404
    "not_found": ErrorSpec(404, "资源不存在", "The resource does not exist"),
    "route_not_found": ErrorSpec(404, "接口不存在", "No such endpoint"),
    # Answered by API Gateway itself (infra/resources.json GatewayResponses) for other 4xx it raises.
    "request_rejected": ErrorSpec(400, "请求被网关拒绝", "The request was rejected by the API gateway"),
    # 405 / 409 / 413 / 414 / 415 / 422 / 429
    "method_not_allowed": ErrorSpec(405, "不支持此请求方法", "This method is not allowed here"),
    "payload_too_large": ErrorSpec(413, "请求体过大", "The request body is too large"),
    # Answered before the API runs (the gateway; gunicorn on the local stack), for any route.
    "uri_too_long": ErrorSpec(414, "请求地址过长", "The request URL is too long"),
    "unsupported_media_type": ErrorSpec(415, "请求体须为 application/json", "The body must be application/json"),
    "idempotency_key_reused": ErrorSpec(
        422, "该 Idempotency-Key 已用于不同的请求", "This Idempotency-Key was used with a different request"
    ),
    "rate_limited": ErrorSpec(429, "请求过于频繁，请稍后再试", "Too many requests; try again later"),
    # 5xx
    "internal_error": ErrorSpec(500, "服务器内部错误", "Internal server error"),
    "upstream_unavailable": ErrorSpec(503, "上游服务繁忙，请稍后重试", "An upstream service is busy; retry shortly"),
    "service_unavailable": ErrorSpec(503, "服务暂时不可用，请稍后重试", "The service is temporarily unavailable"),
    # Answered by API Gateway itself when the function passes its 29 s integration timeout (INTEGRATION_TIMEOUT).
    "gateway_timeout": ErrorSpec(504, "服务响应超时，请稍后重试", "The service took too long to answer; retry shortly"),
    # WeChat client (chalicelib/core/wechat/)
    "wechat_risk_blocked": ErrorSpec(
        403,
        "微信判定当前账号存在安全风险，暂时无法登录",
        "WeChat blocked this sign-in because it rates the account as high-risk",
    ),
    "unsupported_phone": ErrorSpec(
        422, "暂仅支持中国大陆手机号", "Only mainland China mobile numbers are supported"
    ),
    # Eligibility by tier, shared by every area that restricts by tier
    "tier_not_eligible": ErrorSpec(403, "当前会员等级不可参与", "Your membership tier is not eligible"),
    # Plus-only benefits and rewards (the overlay of core/overlay.py), shared by the areas that mark things Plus-only
    "plus_required": ErrorSpec(403, "仅限 Plus 会员", "This is for Plus members only"),
    # Check-in outside its window, shared by the areas that check people in (appointments, events): details say when
    "check_in_not_open": ErrorSpec(409, "当前不在签到时间内", "Check-in is not open at this time"),
}


class _Catalogue(Mapping[str, ErrorSpec]):
    """The core's codes and every installed area's (``core.area.installed()``), assembled on first use."""

    def __init__(self) -> None:
        self._codes: dict[str, ErrorSpec] | None = None

    def _all(self) -> dict[str, ErrorSpec]:
        if self._codes is None:
            from chalicelib.core.area import installed

            codes = dict(CORE_ERRORS)
            for area in installed():
                clash = codes.keys() & area.errors.keys()
                if clash:
                    raise ValueError(f"error codes of {area.name} already declared: {sorted(clash)}")
                codes.update(area.errors)
            self._codes = codes
        return self._codes

    def __getitem__(self, code: str) -> ErrorSpec:
        return self._all()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


CATALOGUE: Mapping[str, ErrorSpec] = _Catalogue()


class AppError(Exception):
    """A failure the client should see, identified by a stable code from ``CATALOGUE``.

    ``retry_after`` (seconds) tells the client when trying again makes sense; the HTTP layer sends it as
    ``Retry-After``.
    """

    def __init__(self, code: str, details: list[dict[str, Any]] | None = None, retry_after: int | None = None) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}")
        super().__init__(code)
        self.code = code
        self.details: list[dict[str, Any]] = details if details is not None else []
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"AppError({self.code!r}, details={self.details!r}, retry_after={self.retry_after!r})"

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
