"""Request and response models of ``chalicelib/identity/http/staff.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.http.models import Body, Out


class StaffLogin(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=128)
    totp: str | None = Field(default=None, pattern=r"^\d{6}$", description="the authenticator's code, when enrolled")


class StaffCredentials(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=128)


class TotpConfirmation(StaffCredentials):
    code: str = Field(pattern=r"^\d{6}$")


class TotpEnrolment(Out):
    secret: str
    otpauth_uri: str


class TotpEnabled(Out):
    mfa_enabled: bool
