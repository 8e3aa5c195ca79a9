"""The member's points: balance and buckets, the ledger, daily check-in and back-fill claims."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.points import claims, earn_and_spend, member_views
else:  # loaded when a view first runs (core/lazy.py)
    earn_and_spend = lazy_module("chalicelib.points.earn_and_spend")
    member_views = lazy_module("chalicelib.points.member_views")
    claims = lazy_module("chalicelib.points.claims")


api = Api(__name__, "points")



POINTS_EXAMPLE = {
    "balance": 1280,
    "debt": 0,
    "buckets": [{"points": 300, "expires_on": "2026-12-31"}, {"points": 980, "expires_on": "2027-11-30"}],
    "expiring": {"points": 300, "on": "2026-12-31"},
}
ENTRY_EXAMPLE = {
    "entry_id": "E0000000042",
    "delta": 199,
    "balance_after": 1280,
    "kind": "purchase",
    "reference": "SO20261123001",
    "created_at": "2026-11-23T03:15:00.000+00:00",
    "expires_on": "2027-11-30",
}
CLAIM_EXAMPLE = {
    "claim_id": "clm_3f9a1c2b7d6e5f40",
    "customer_id": "c_8f14e45fceea167a5a36",
    "status": "pending",
    "order_no": "SO20261120017",
    "amount_fen": 25900,
    "purchased_on": "2026-11-20",
    "store_id": "sh-xujiahui",
    "note": "收银台当时系统故障",
    "created_at": "2026-11-23T03:20:00.000+00:00",
    "decided_at": None,
    "reason": None,
    "points_awarded": None,
}


@api.route("/v1/me/points", "GET", auth="member", response="PointsOut", errors=("not_found",),
           summary="My points: balance, buckets by expiry day (soonest first) and what expires within 30 days",
           examples={"response": POINTS_EXAMPLE})
def get_points(ctx: RequestContext) -> dict:
    return member_views.balance_view(ctx.customer_id)


@api.route("/v1/me/points/ledger", "GET", auth="member", query="Page", response="LedgerPage",
           errors=("validation_error",),
           summary="My points ledger, newest first (every change of accounts, with the balance after it)",
           examples={"response": {"items": [ENTRY_EXAMPLE], "next_cursor": "eyJzayI6Ikwj...In0"}})
def get_ledger(ctx: RequestContext) -> dict:
    return member_views.ledger(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/me/check-ins", "POST", auth="member", status=201, response="CheckInOut",
           errors=("already_checked_in", "service_unavailable"),
           summary="Daily check-in (once per day in Asia/Shanghai), with a streak bonus",
           examples={"response": {"points_awarded": 15, "streak_days": 3, "checked_in_on": "2026-11-23",
                                  "balance_after": 1295}})
def check_in(ctx: RequestContext) -> dict:
    return earn_and_spend.check_in(ctx.customer_id, ctx.channel)


@api.route("/v1/me/points/claims", "POST", auth="member", status=201, body="ClaimBody",
           response="ClaimOut",
           errors=("validation_error", "malformed_json", "order_already_credited",
                   "claim_already_filed", "too_many_open_claims", "not_found", "service_unavailable"),
           summary="Claim the points of a purchase that was not credited (an agent reviews it)",
           examples={"request": {"order_no": "SO20261120017", "store_id": "sh-xujiahui", "amount_fen": 25900,
                                 "purchased_on": "2026-11-20", "note": "收银台当时系统故障"},
                     "response": CLAIM_EXAMPLE})
def file_claim(ctx: RequestContext) -> dict:
    body = ctx.body
    return claims.file_claim(
        ctx.customer_id, order_no=body.order_no, amount_fen=body.amount_fen, purchased_on=body.purchased_on,
        store_id=body.store_id, note=body.note, channel=ctx.channel,
    )


@api.route("/v1/me/points/claims", "GET", auth="member", query="Page", response="ClaimPage",
           errors=("validation_error",), summary="My back-fill claims, newest first",
           examples={"response": {"items": [CLAIM_EXAMPLE], "next_cursor": None}})
def list_claims(ctx: RequestContext) -> dict:
    return claims.my_claims(ctx.customer_id, ctx.query.limit, ctx.query.cursor)
