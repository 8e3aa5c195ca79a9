"""Operators (role admin): tiers, tier floors, promotions, points settings and points adjustments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.points import adjustments, programme, tier_floors
else:  # loaded when a view first runs (core/lazy.py)
    adjustments = lazy_module("chalicelib.points.adjustments")
    tier_floors = lazy_module("chalicelib.points.tier_floors")
    programme = lazy_module("chalicelib.points.programme")


api = Api(__name__, "admin")



def _staff(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.staff_id or ctx.principal.subject


TIER_EXAMPLE = {"code": "silver", "name": "银卡会员", "badge": "badge-silver", "rank": 1, "metric": "spend_12m_fen",
                "threshold": 200000, "multiplier": "1.2"}


@api.route("/v1/admin/tiers", "GET", auth="admin", response="TierList", errors=(),
           summary="The tier catalogue (code, name, badge, qualifying metric and threshold, points multiplier)",
           examples={"response": {"items": [TIER_EXAMPLE], "next_cursor": None}})
def get_tiers(ctx: RequestContext) -> dict:
    return {"items": [programme.tier_to_dict(t) for t in programme.current().tiers], "next_cursor": None}


@api.route("/v1/admin/tiers", "PUT", auth="admin", body="TiersIn", response="TierList",
           errors=("validation_error", "malformed_json"),
           summary="Replace the tier catalogue (the lowest tier must have threshold 0); live within a minute",
           examples={"request": {"tiers": [{**TIER_EXAMPLE, "code": "base", "rank": 0, "threshold": 0,
                                            "multiplier": "1"}, TIER_EXAMPLE]}})
def put_tiers(ctx: RequestContext) -> dict:
    saved = programme.put_tiers([t.model_dump(mode="json") for t in ctx.body.tiers], _staff(ctx))
    return {"items": [programme.tier_to_dict(t) for t in saved], "next_cursor": None}


@api.route("/v1/admin/members/{customer_id}/tier-floor", "PUT", auth="admin", body="FloorIn",
           response="MemberFloorOut",
           errors=("validation_error", "not_found", "service_unavailable"),
           summary="Hold a member at a tier at least, until a date (tier_code null removes the floor)",
           examples={"request": {"tier_code": "gold", "until": "2027-06-30"}})
def put_floor(ctx: RequestContext, customer_id: str) -> dict:
    return tier_floors.set_tier_floor(customer_id, ctx.body.tier_code, ctx.body.until, _staff(ctx))


@api.route("/v1/admin/promotions", "GET", auth="admin", response="PromotionList", errors=(),
           summary="Points promotions (multipliers for orders paid in a time window)")
def list_promotions(ctx: RequestContext) -> dict:
    return {"items": [p.as_dict() for p in programme.list_promotions()], "next_cursor": None}


@api.route("/v1/admin/promotions", "POST", auth="admin", status=201, body="PromotionIn",
           response="PromotionOut",
           errors=("validation_error", "malformed_json"),
           summary="Create a points promotion, e.g. double points for a weekend (the best active one applies)",
           examples={"request": {"name": "双11 双倍积分", "multiplier": "2", "starts_at": "2026-11-11T00:00:00+08:00",
                                 "ends_at": "2026-11-12T00:00:00+08:00", "channels": [], "tiers": []}})
def create_promotion(ctx: RequestContext) -> dict:
    body = ctx.body
    promotion = programme.add_promotion(
        body.name, body.multiplier, body.starts_at, body.ends_at, body.channels, body.tiers, _staff(ctx)
    )
    return promotion.as_dict()


@api.route("/v1/admin/promotions/{promotion_id}", "DELETE", auth="admin", status=204,
           errors=("not_found",), summary="End and remove a promotion")
def delete_promotion(ctx: RequestContext, promotion_id: str) -> Reply:
    programme.delete_promotion(promotion_id, _staff(ctx))
    return Reply(None, 204)


@api.route("/v1/admin/points/settings", "GET", auth="admin", errors=(), response="SettingsOut",
           summary="Points settings: expiry horizon, points per yuan, check-in schedule, claim limits")
def get_settings(ctx: RequestContext) -> dict:
    return programme.current().settings.as_dict()


@api.route("/v1/admin/points/settings", "PUT", auth="admin", body="SettingsIn", response="SettingsOut",
           errors=("validation_error", "malformed_json"),
           summary="Change points settings (fields not sent keep their value)",
           examples={"request": {"expiry_horizon_months": 12, "checkin": {"base_points": 5,
                                                                          "streak_bonuses": {"3": 10, "7": 30},
                                                                          "cycle_days": 7}}})
def put_settings(ctx: RequestContext) -> dict:
    values = ctx.body.model_dump(mode="json", exclude_none=True)
    return programme.put_settings(values, _staff(ctx)).as_dict()


@api.route("/v1/admin/points/adjustments", "POST", auth="admin", status=201, body="AdjustmentIn",
           response="AdjustmentOut",
           errors=("validation_error", "malformed_json", "not_found", "insufficient_points",
                   "idempotency_key_reused", "service_unavailable"),
           optional_idempotency_key=True,
           other_statuses={202: "over APPROVAL_THRESHOLD_POINTS: waiting for a supervisor's approval, nothing moved"},
           other_responses={202: "points.http.agent_schemas.ApprovalPending"},
           summary="Adjust a member's points with a reason (kept with who and when); "
                   "an Idempotency-Key makes a repeat return the first adjustment",
           examples={"request": {"customer_id": "c_8f14e45fceea167a5a36", "delta": 200, "reason": "活动补偿"},
                     "response": {"adjustment_id": "adj_1b2c3d4e5f60718293a4b5c6",
                                  "customer_id": "c_8f14e45fceea167a5a36", "delta": 200, "reason": "活动补偿",
                                  "balance_after": 1480, "created_by": "s_4f1a2b3c4d5e6f70",
                                  "created_at": "2026-11-23T06:00:00.000+00:00"}})
def post_adjustment(ctx: RequestContext) -> Result:
    body = ctx.body
    if body.delta == 0:
        raise AppError("validation_error", details=[{"field": "delta", "issue": "must not be 0"}])
    key = ctx.idempotency_key
    if key is not None and not 1 <= len(key) <= 64:
        raise AppError("validation_error", details=[{"field": "Idempotency-Key", "issue": "must be 1-64 characters"}])
    assert ctx.principal is not None
    return adjustments.adjust(body.customer_id, body.delta, body.reason, _staff(ctx), key, ctx.principal.role)


@api.route("/v1/admin/points/adjustments", "GET", auth="admin", query="Page",
           response="AdjustmentList",
           errors=("validation_error",), summary="Points adjustments, newest first (audit trail)")
def list_adjustments(ctx: RequestContext) -> dict:
    return adjustments.list_adjustments(ctx.query.limit, ctx.query.cursor)
