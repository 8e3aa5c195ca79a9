"""Staff sign-in (agents and admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.identity import staff
else:  # loaded when a view first runs (core/lazy.py)
    staff = lazy_module("chalicelib.identity.staff")


api = Api(__name__, "staff")


@api.route("/v1/staff/login", "POST", auth="public", body="StaffLogin", response="identity.auth_schemas.TokenResponse",
           summary="Sign in as an agent or admin (failures lock the account briefly and the address for longer: 429)",
           errors=("validation_error", "invalid_credentials", "rate_limited"),
           examples={"request": {"username": "agent", "password": "agent-local-pass"},
                     "response": {"access_token": "eyJhbGciOiJIUzI1NiJ9.e30.sig", "token_type": "Bearer",
                                  "expires_in": 900, "refresh_token": "Zm9v", "staff_id": "s_1a2b3c4d",
                                  "role": "agent"}})
def staff_login(ctx: RequestContext) -> dict:
    return staff.login(ctx.body.username, ctx.body.password, ctx.client_ip)
