"""Admins manage staff accounts (``staff_accounts``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.models import PageQuery
from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.identity import staff_accounts
else:  # loaded when a view first runs (core/lazy.py)
    staff_accounts = lazy_module("chalicelib.identity.staff_accounts")


api = Api(__name__, "admin")


@api.route("/v1/admin/staff", "POST", auth="admin", status=201, body="StaffIn", response="StaffCreated",
           summary="Add a staff account (agent or admin)", errors=("staff_username_taken", "service_unavailable"),
           examples={"request": {"username": "agent-li", "password": "a-long-pass-phrase", "role": "agent"},
                     "response": {"staff_id": "s_1a2b3c4d5e6f7a8b"}})
def add_staff(ctx: RequestContext) -> Result:
    return staff_accounts.add(ctx.body.username, ctx.body.password, ctx.body.role)


@api.route("/v1/admin/staff", "GET", auth="admin", query=PageQuery, response="StaffPage",
           summary="List staff accounts, by username")
def list_staff(ctx: RequestContext) -> dict:
    return staff_accounts.listing(ctx.query.limit, ctx.query.cursor)


@api.route("/v1/admin/staff/{staff_id}", "PATCH", auth="admin", body="StaffPatch", response="StaffOut",
           summary="Change a staff account's role or disable it (its refresh tokens stop at once)",
           errors=("not_found", "staff_self_change"))
def change_staff(ctx: RequestContext, staff_id: str) -> dict:
    assert ctx.principal is not None
    return staff_accounts.change(ctx.principal.staff_id, staff_id, ctx.body.role, ctx.body.disabled)


@api.route("/v1/admin/staff/{staff_id}/password", "POST", auth="admin", status=204, body="StaffPasswordIn",
           summary="Reset a staff account's password (its sessions end: refresh tokens answer 401)",
           errors=("not_found",),
           examples={"request": {"password": "another-long-pass-phrase"}})
def reset_staff_password(ctx: RequestContext, staff_id: str) -> None:
    staff_accounts.reset_password(staff_id, ctx.body.password)


@api.route("/v1/admin/staff/{staff_id}/totp", "DELETE", auth="admin", status=204,
           summary="Remove a staff account's authenticator (a lost phone): it enrols again",
           errors=("not_found", "staff_self_change"))
def remove_staff_totp(ctx: RequestContext, staff_id: str) -> None:
    assert ctx.principal is not None
    staff_accounts.remove_totp(ctx.principal.staff_id, staff_id)
