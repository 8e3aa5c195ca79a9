"""Staff sign-in (agents and admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result, created

if TYPE_CHECKING:
    from chalicelib.identity import staff
else:  # loaded when a view first runs (core/lazy.py)
    staff = lazy_module("chalicelib.identity.staff")


api = Api(__name__, "staff")


@api.route("/v1/staff/login", "POST", auth="public", body="StaffLogin",
           response="identity.http.member_schemas.TokenResponse",
           summary="Sign in as an agent or admin (failures lock the account briefly and the address for longer: 429)",
           errors=("validation_error", "invalid_credentials", "rate_limited", "mfa_required", "invalid_totp",
                   "mfa_enrolment_required"),
           examples={"request": {"username": "agent", "password": "agent-local-pass"},
                     "response": {"access_token": "eyJhbGciOiJIUzI1NiJ9.e30.sig", "token_type": "Bearer",
                                  "expires_in": 900, "refresh_token": "Zm9v", "staff_id": "s_1a2b3c4d",
                                  "role": "agent"}})
def staff_login(ctx: RequestContext) -> dict:
    return staff.login(ctx.body.username, ctx.body.password, ctx.client_ip, ctx.body.totp)


@api.route("/v1/staff/totp/enrolment", "POST", auth="public", status=201, body="StaffCredentials",
           response="TotpEnrolment", summary="Start enrolling an authenticator app (RFC 6238 TOTP) with one's password",
           errors=("invalid_credentials", "rate_limited", "mfa_already_enabled"),
           examples={"request": {"username": "admin", "password": "admin-local-pass"},
                     "response": {"secret": "JBSWY3DPEHPK3PXP",
                                  "otpauth_uri": "otpauth://totp/Member%20portal:admin?secret=JBSWY3DPEHPK3PXP"
                                                 "&issuer=Member%20portal"}})
def staff_totp_enrolment(ctx: RequestContext) -> Result:
    return created(staff.start_totp(ctx.body.username, ctx.body.password, ctx.client_ip))


@api.route("/v1/staff/totp/confirmation", "POST", auth="public", body="TotpConfirmation", response="TotpEnabled",
           summary="Turn the authenticator on with one of its codes",
           errors=("invalid_credentials", "rate_limited", "invalid_totp", "mfa_already_enabled", "mfa_not_started"),
           examples={"request": {"username": "admin", "password": "admin-local-pass", "code": "123456"},
                     "response": {"mfa_enabled": True}})
def staff_totp_confirmation(ctx: RequestContext) -> dict:
    return staff.confirm_totp(ctx.body.username, ctx.body.password, ctx.client_ip, ctx.body.code)
