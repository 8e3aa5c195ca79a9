"""Sign-in routes for the app, the mini-program and official-account pages, and token refresh."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.core import sms, wechat
    from chalicelib.identity import sign_in
else:  # loaded when a view first runs (core/lazy.py)
    sms = lazy_module("chalicelib.core.sms")
    wechat = lazy_module("chalicelib.core.wechat")
    sign_in = lazy_module("chalicelib.identity.sign_in")


api = Api(__name__, "auth")

TOKEN_EXAMPLE = {
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjXzEyMyJ9.sig",
    "token_type": "Bearer",
    "expires_in": 900,
    "refresh_token": "p3k2l9yXb0Qm",
    "customer_id": "c_8f14e45fceea167a5a36",
    "new_member": False,
}
SIGN_IN_ERRORS = ("validation_error", "malformed_json", "rate_limited", "service_unavailable")
WECHAT_ERRORS = ("invalid_code", "rate_limited", "upstream_unavailable", "wechat_risk_blocked", "identity_conflict")


@api.route("/v1/auth/app/otp", "POST", auth="public", status=202, body="OtpRequest", response="OtpSent",
           summary="Send a 6-digit SMS code (valid 5 minutes; one per minute per phone)",
           errors=(*SIGN_IN_ERRORS, "otp_resend_too_soon", "service_unavailable"),
           examples={"request": {"phone": "13800138000"}, "response": {"expires_in": 300, "resend_after": 60}})
def send_otp(ctx: RequestContext) -> dict:
    sign_in.request_otp(ctx.body.phone, ctx.client_ip, sms.sms_sender())
    return {"expires_in": 300, "resend_after": 60}


@api.route("/v1/auth/app/login", "POST", auth="public", body="AppLogin", response="TokenResponse",
           summary="Sign in with phone and SMS code; enrols a new member on first sign-in",
           errors=(*SIGN_IN_ERRORS, "invalid_otp", "otp_attempts_exceeded", "identity_conflict"),
           examples={"request": {"phone": "13800138000", "otp": "123456"}, "response": TOKEN_EXAMPLE})
def app_login(ctx: RequestContext) -> dict:
    return sign_in.app_login(ctx.body.phone, ctx.body.otp, ctx.client_ip, ctx.channel)


@api.route("/v1/auth/miniprogram/login", "POST", auth="public", body="MiniProgramLogin",
           response="MiniProgramTokens",
           summary="Sign in with a wx.login code", errors=(*SIGN_IN_ERRORS, *WECHAT_ERRORS),
           examples={"request": {"code": "mock:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"},
                     "response": {**TOKEN_EXAMPLE, "phone_bound": False}})
def miniprogram_login(ctx: RequestContext) -> dict:
    return sign_in.miniprogram_login(ctx.body.code, wechat.mini_program_client(), ctx.channel)


@api.route("/v1/auth/miniprogram/phone", "POST", auth="member", body="PhoneBinding", response="PhoneBound",
           summary="Bind the phone from getPhoneNumber; merges into the account that already owns it",
           errors=(*SIGN_IN_ERRORS, *WECHAT_ERRORS, "phone_already_bound", "unsupported_phone", "not_found"),
           examples={"request": {"code": "mockphone:13800138000"},
                     "response": {"customer_id": "c_8f14e45fceea167a5a36", "phone_masked": "138****8000",
                                  "merged": False}})
def miniprogram_phone(ctx: RequestContext) -> dict:
    return sign_in.miniprogram_bind_phone(ctx.customer_id, ctx.body.code, wechat.mini_program_client())


@api.route("/v1/auth/wechat-oa/authorize-url", "GET", auth="public", query="AuthorizeQuery",
           response="AuthorizeUrl",
           summary="The WeChat authorize URL with a single-use state", errors=("validation_error",),
           examples={"response": {"url": "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx1&redirect_uri="
                                         "https%3A%2F%2Fm.example.com%2Fcb&response_type=code&scope=snsapi_base"
                                         "&state=9f86d081884c7d659a2feaa0c55ad015#wechat_redirect",
                                  "state": "9f86d081884c7d659a2feaa0c55ad015"}})
def oa_authorize_url(ctx: RequestContext) -> dict:
    return sign_in.oa_authorize_url(ctx.query.redirect_uri, ctx.query.scope)


@api.route("/v1/auth/wechat-oa/login", "POST", auth="public", body="OaLogin", response="TokenResponse",
           summary="Sign in with the OAuth code and state (a repeat with the same code gives the same answer)",
           errors=(*SIGN_IN_ERRORS, *WECHAT_ERRORS, "invalid_state", "snapshot_user"),
           examples={"request": {"code": "mock:oOA123:uUNION1", "state": "9f86d081884c7d659a2feaa0c55ad015"},
                     "response": TOKEN_EXAMPLE})
def oa_login(ctx: RequestContext) -> dict:
    return sign_in.oa_login(ctx.body.code, ctx.body.state, wechat.official_account_client(), ctx.channel)


@api.route("/v1/auth/refresh", "POST", auth="public", body="RefreshBody", response="TokenResponse",
           summary="Trade a refresh token for a new pair (a spent token revokes its whole family)",
           errors=("validation_error", "invalid_refresh_token"),
           examples={"request": {"refresh_token": "p3k2l9yXb0Qm"}, "response": TOKEN_EXAMPLE})
def refresh(ctx: RequestContext) -> dict:
    return sign_in.refresh(ctx.body.refresh_token)


@api.route("/v1/auth/logout", "POST", auth="public", status=204, body="RefreshBody",
           summary="End the sign-in the refresh token belongs to (unknown tokens are accepted, as RFC 7009 does)",
           errors=("validation_error",), examples={"request": {"refresh_token": "p3k2l9yXb0Qm"}})
def logout(ctx: RequestContext) -> Reply:
    sign_in.logout(ctx.body.refresh_token)
    return Reply(None, 204)
