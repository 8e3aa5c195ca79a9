"""Shared request/response shapes. Models defer their schema build to first use (cold start)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.core.phone import normalize_phone


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused, strings trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Out(BaseModel):
    """Base of documented responses (used for the OpenAPI document and contract tests)."""

    model_config = ConfigDict(extra="allow", defer_build=True)


def _phone(value: str) -> str:
    phone = normalize_phone(value)
    if phone is None:
        raise ValueError("must be an 11-digit mainland China mobile number")
    return phone


Phone = Annotated[str, StringConstraints(min_length=11, max_length=20), AfterValidator(_phone)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class ErrorDetail(Out):
    field: str
    issue: str


class ErrorInfo(Out):
    code: str
    message: str
    request_id: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorEnvelope(Out):
    error: ErrorInfo


class TokenResponse(Out):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    customer_id: str | None = None
    new_member: bool | None = None
    staff_id: str | None = None
    role: str | None = None


class Query(BaseModel):
    """Base of query strings: unknown parameters (cache busters) are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)
