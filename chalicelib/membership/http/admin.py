"""Operators (role admin): the Plus plans, their price, name and whether they are on sale."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.membership import plans
else:  # loaded when a view first runs (core/lazy.py)
    plans = lazy_module("chalicelib.membership.plans")

api = Api(__name__, "admin")

WRITE_ERRORS = ("validation_error", "malformed_json", "service_unavailable")
PLAN_EXAMPLE = {"plan_id": "plus_year", "name": "Plus 年卡", "price_fen": 9900, "period": "year", "active": True}


@api.route("/v1/admin/membership/plans", "GET", auth="admin", response="PlusPlanAdminList", errors=(),
           summary="Every Plus plan, withdrawn ones included (active false: not on sale)",
           examples={"response": {"items": [PLAN_EXAMPLE]}})
def list_plus_plans(ctx: RequestContext) -> dict:
    return plans.list_for_admin()


@api.route("/v1/admin/membership/plans", "POST", auth="admin", status=201, body="PlusPlanIn",
           response="PlusPlanAdminOut", errors=(*WRITE_ERRORS, "plan_exists"),
           summary="Create a Plus plan (price in fen; period month or year, fixed once created); on sale within a "
                   "minute everywhere",
           examples={"request": {"plan_id": "plus_quarter_2027", "name": "Plus 季卡", "price_fen": 3900,
                                 "period": "month"},
                     "response": {**PLAN_EXAMPLE, "plan_id": "plus_quarter_2027", "name": "Plus 季卡",
                                  "price_fen": 3900, "period": "month"}})
def create_plus_plan(ctx: RequestContext) -> dict:
    b = ctx.body
    return plans.create(b.plan_id, b.name, b.price_fen, b.period, b.active)


@api.route("/v1/admin/membership/plans/{plan_id}", "PATCH", auth="admin", body="PlusPlanPatch",
           response="PlusPlanAdminOut", errors=(*WRITE_ERRORS, "plan_not_found"),
           summary="Change a plan's price, name or whether it is on sale (fields sent only); new orders see it "
                   "within a minute, orders already placed keep their price",
           examples={"request": {"price_fen": 8800, "active": False},
                     "response": {**PLAN_EXAMPLE, "price_fen": 8800, "active": False}})
def update_plus_plan(ctx: RequestContext, plan_id: str) -> dict:
    return plans.update(plan_id, ctx.body.model_dump(exclude_none=True))
