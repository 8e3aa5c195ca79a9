"""The benefits zone: what my tier gets (and what upgrading would bring), claiming vouchers, my vouchers, and
redeeming at the till is `integrations.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.benefits import entitlements, vouchers
else:  # loaded when a view first runs (core/lazy.py)
    entitlements = lazy_module("chalicelib.benefits.entitlements")
    vouchers = lazy_module("chalicelib.benefits.vouchers")

api = Api(__name__, "benefits")

IDEMPOTENCY_ERRORS = ("idempotency_key_required", "idempotency_key_reused", "validation_error")


# --- examples ----------------------------------------------------------------------------------------------------

BENEFIT_EXAMPLE = {
    "benefit_id": "bn_seed_ship_monthly", "name": "包邮券", "description": "每月 2 张全场包邮券",
    "kind": "free_shipping", "trigger": "claim", "eligible": True, "tiers": ["base", "silver"],
    "quota": {"per_period": 2, "period": "month", "used": 1, "remaining": 1,
              "resets_at": "2026-12-01T00:00:00+08:00"},
    "voucher_valid_days": 30, "unlock_tier": None,
}
LOCKED_EXAMPLE = {
    "benefit_id": "bn_seed_video", "name": "视频平台月卡", "description": "合作视频平台会员月卡，每年 4 张",
    "kind": "partner_membership", "trigger": "claim", "eligible": False, "tiers": ["gold", "platinum"],
    "quota": {"per_period": 4, "period": "year", "used": 0, "remaining": 0,
              "resets_at": "2027-01-01T00:00:00+08:00"},
    "voucher_valid_days": 30, "unlock_tier": {"code": "gold", "name": "金卡会员"},
}
CLAIM_EXAMPLE = {
    "voucher_id": "v019ab2c3d4e5a1b2c3d4e5", "benefit_id": "bn_seed_ship_monthly",
    "expires_at": "2026-12-23T00:00:00+08:00", "name": "包邮券", "kind": "free_shipping", "status": "available",
    "period_key": "M2026-11", "created_at": "2026-11-23T03:15:00.000+00:00",
}
VOUCHER_EXAMPLE = {
    "voucher_id": "v019ab2c3d4e5a1b2c3d4e5", "benefit_id": "bn_seed_ship_monthly", "name": "包邮券",
    "kind": "free_shipping", "source": "claim", "status": "available", "expires_at": "2026-12-23T00:00:00+08:00",
    "created_at": "2026-11-23T03:15:00.000+00:00",
}


# --- member routes -------------------------------------------------------------------------------------------------


@api.route("/v1/benefits", "GET", auth="member", response="BenefitsZoneOut", errors=("not_found",),
           summary="The benefits zone: what my tier gets with the quota left this period, and (locked) what the "
                   "next tiers would bring",
           examples={"response": {"tier": {"code": "silver", "name": "银卡会员", "badge": "badge-silver"},
                                  "items": [BENEFIT_EXAMPLE, LOCKED_EXAMPLE], "next_cursor": None}})
def list_benefits(ctx: RequestContext) -> dict:
    return entitlements.zone(ctx.customer_id)


@api.route("/v1/benefits/{benefit_id}/claims", "POST", auth="member", status=201, idempotent=True,
           response="BenefitClaimOut",
           errors=(*IDEMPOTENCY_ERRORS, "not_found", "tier_not_eligible", "plus_required",
                   "quota_exhausted", "benefit_not_available", "service_unavailable"),
           summary="Claim a benefit: issues a voucher and counts the quota in one transaction (Idempotency-Key)",
           examples={"response": CLAIM_EXAMPLE})
def claim_benefit(ctx: RequestContext, benefit_id: str) -> Result:
    return entitlements.claim(ctx.customer_id, benefit_id, ctx.idempotency_key, ctx.channel)


@api.route("/v1/me/vouchers", "GET", auth="member", query="VoucherQuery",
           response="VoucherPage",
           errors=("validation_error",),
           summary="My vouchers, newest first (status available | used | expired; expired is computed from the "
                   "clock); ?status= filters",
           examples={"response": {"items": [VOUCHER_EXAMPLE], "next_cursor": None}})
def list_my_vouchers(ctx: RequestContext) -> dict:
    return vouchers.list_mine(ctx.customer_id, ctx.query.limit, ctx.query.cursor, ctx.query.status)


@api.route("/v1/me/vouchers/{voucher_id}/use", "POST", auth="member", idempotent=True,
           body="VoucherUseBody",
           response="VoucherUseOut",
           errors=(*IDEMPOTENCY_ERRORS, "malformed_json", "not_found", "voucher_already_used",
                   "voucher_expired", "service_unavailable"),
           summary="Use one of my vouchers (e.g. shown at the till or applied online): marked used exactly once",
           examples={"request": {"order_no": "SO20261123001"},
                     "response": {"voucher_id": "v019ab2c3d4e5a1b2c3d4e5", "status": "used",
                                  "used_at": "2026-11-23T05:00:00.000+00:00", "order_no": "SO20261123001"}})
def use_my_voucher(ctx: RequestContext, voucher_id: str) -> Result:
    return vouchers.use_mine(ctx.customer_id, voucher_id, ctx.body.order_no, ctx.idempotency_key)


# --- integrations (X-Api-Key) --------------------------------------------------------------------------------------


