"""Operators' partner routes: register alliance merchants, issue and revoke their keys, read monthly statements."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.partners import registry, settlement
else:  # loaded when a view first runs (core/lazy.py)
    registry = lazy_module("chalicelib.partners.registry")
    settlement = lazy_module("chalicelib.partners.settlement")

api = Api(__name__, "admin", schemas="chalicelib.partners.http.schemas")

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])(\.csv)?$")
PARTNER_EXAMPLE = {"partner_id": "pt3f9a1c2b4d5e", "name": "街角咖啡", "roles": ["accrual", "redemption"],
                   "cost_per_point_fen": 5, "earn_rate_per_yuan": "1",
                   "benefits_by_tier": {"gold": ["饮品 9 折", "免费升杯"]},
                   "created_at": "2026-12-06T06:00:00.000+00:00"}


@api.route("/v1/admin/partners", "POST", auth="admin", status=201, body="PartnerIn", response="PartnerCreatedOut",
           errors=("validation_error", "malformed_json"),
           summary="Register an alliance merchant; its API key is in this answer and never again",
           examples={"request": {k: v for k, v in PARTNER_EXAMPLE.items() if k not in ("partner_id", "created_at")},
                     "response": {**PARTNER_EXAMPLE, "api_key": {
                         "key_id": "a1b2c3d4", "key": "ptk_pt3f9a1c2b4d5e_a1b2c3d4_<secret>",
                         "created_at": "2026-12-06T06:00:00.000+00:00"}}})
def create_partner(ctx: RequestContext) -> Reply:
    body = ctx.body
    return Reply(registry.register(body.name, list(body.roles), body.cost_per_point_fen, body.rate,
                                   {k: list(v) for k, v in body.benefits_by_tier.items()}), 201)


@api.route("/v1/admin/partners", "GET", auth="admin", query="PartnerListQuery", response="PartnerList",
           errors=("validation_error",), summary="The alliance merchants, newest first")
def list_partners(ctx: RequestContext) -> dict:
    return registry.listing(ctx.query.limit, ctx.query.cursor)


@api.route("/v1/admin/partners/{partner_id}", "GET", auth="admin", response="PartnerDetailOut",
           errors=("not_found",), summary="A partner and its keys (IDs and dates, never a key)")
def get_partner(ctx: RequestContext, partner_id: str) -> dict:
    return registry.detail(_partner_id(partner_id))


@api.route("/v1/admin/partners/{partner_id}/keys", "POST", auth="admin", status=201, response="PartnerKeyOut",
           errors=("not_found",), summary="Another API key for the partner (to rotate), shown once")
def issue_partner_key(ctx: RequestContext, partner_id: str) -> Reply:
    return Reply(registry.issue_key(_partner_id(partner_id)), 201)


@api.route("/v1/admin/partners/{partner_id}/keys/{key_id}", "DELETE", auth="admin", status=204,
           errors=("not_found",), summary="Revoke a partner key: it stops working at once")
def revoke_partner_key(ctx: RequestContext, partner_id: str, key_id: str) -> Reply:
    if not key_id.isalnum() or len(key_id) > 32:
        raise AppError("not_found")
    registry.revoke_key(_partner_id(partner_id), key_id)
    return Reply(None, 204)


@api.route("/v1/admin/partners/{partner_id}/statements/{month}", "GET", auth="admin",
           response="PartnerStatementOut", media_types=("application/json", "text/csv"),
           errors=("not_found", "validation_error"),
           summary="A partner's month (YYYY-MM; YYYY-MM.csv for a spreadsheet, UTF-8 with BOM): points issued, "
                   "reversed and spent there, and what each side owes")
def partner_statement(ctx: RequestContext, partner_id: str, month: str) -> Reply:
    """The month is Asia/Shanghai's; the counters are written with each ledger entry of kind ``partner``."""
    found = MONTH.match(month)
    if found is None:
        raise AppError("validation_error", details=[{"field": "month", "issue": "must be YYYY-MM or YYYY-MM.csv"}])
    view = settlement.statement(registry.load(_partner_id(partner_id)), f"{found.group(1)}-{found.group(2)}")
    if found.group(3):
        filename = f"partner-{view['partner_id']}-{view['month']}.csv"
        return Reply(settlement.as_csv(view), 200, {"Content-Type": "text/csv; charset=utf-8",
                                                    "Content-Disposition": f'attachment; filename="{filename}"'},
                     raw=True)
    return Reply(view)


def _partner_id(partner_id: str) -> str:
    if not partner_id.isalnum() or len(partner_id) > 32:
        raise AppError("not_found")
    return partner_id
