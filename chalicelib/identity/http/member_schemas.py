"""Request and response models of ``chalicelib/identity/http/member.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, Code, Out, Phone, Query, TokenResponse


class OtpRequest(Body):
    phone: Phone


class OtpSent(Out):
    expires_in: int
    resend_after: int


class AppLogin(Body):
    phone: Phone
    otp: str = Field(pattern=r"^\d{6}$")


class MiniProgramLogin(Body):
    code: Code


class MiniProgramTokens(TokenResponse):
    phone_bound: bool


class PhoneBinding(Body):
    code: Code


class PhoneBound(Out):
    customer_id: str
    phone_masked: str
    merged: bool
    tokens: TokenResponse | None = None


class AuthorizeQuery(Query):
    redirect_uri: str = Field(min_length=8, max_length=1024)
    scope: Literal["snsapi_base", "snsapi_userinfo"] = "snsapi_base"


class AuthorizeUrl(Out):
    url: str
    state: str


class OaLogin(Body):
    code: Code
    state: str = Field(min_length=1, max_length=128)


class RefreshBody(Body):
    refresh_token: str = Field(min_length=1, max_length=256)
