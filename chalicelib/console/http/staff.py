"""The agent's 360 view of a member (``chalicelib/services/member_360.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.followups.public import SUMMARY

if TYPE_CHECKING:
    from chalicelib.console import member_360
else:  # loaded when a view first runs (core/lazy.py)
    member_360 = lazy_module("chalicelib.console.member_360")

api = Api(__name__, "agent")


EXAMPLE: dict[str, Any] = {
    "customer_id": "c_8f14e45fceea167a5a36",
    "profile": {"customer_id": "c_8f14e45fceea167a5a36", "member_no": "1234567897", "name": "李雷",
                "phone_masked": "138****5678", "channels": ["app", "miniprogram"],
                "created_at": "2025-03-02T08:00:00.000+00:00", "created_channel": "app"},
    "tier": {"code": "gold", "name": "金卡会员", "badge": "badge-gold"},
    "tier_progress": {"next_tier": "platinum", "metric": "spend_12m_fen", "current": 912000, "required": 2000000},
    "points": {"balance": 320, "debt": 0, "buckets": [{"points": 320, "expires_on": "2027-11-30"}],
               "expiring": {"points": 0, "on": None}},
    "ledger": [{"entry_id": "E0000000007", "delta": -1500, "balance_after": 320, "kind": "redemption",
                "reference": "rdm_19a7f0c3b2e4f1a2b3c4d", "created_at": "2026-11-23T04:59:45.000+00:00",
                "expires_on": None}],
    "redemptions": [{"redemption_id": "rdm_19a7f0c3b2e4f1a2b3c4d", "reward_name": "视频会员月卡",
                     "status": "pending_fulfillment", "points_spent": 1500}],
    "vouchers": [{"voucher_id": "v0193f0c3b2e4a1b2c3d4e5", "name": "免运费券", "status": "available",
                  "expires_at": "2026-12-01T00:00:00+08:00"}],
    "transactions": [{"transaction_id": "txn_19a7f0c3b2e4f1a2b3c4d", "kind": "redemption_fulfillment",
                      "status": "needs_follow_up"}],
    "open_cases": [SUMMARY],
    "case_counts": {"open": 1, "claimed": 0, "resolved": 0},
    "appointments": {"upcoming": [], "recent": []},
    "events": {"registrations": [], "invitations": []},
    "plus": {"status": "none", "plan_id": None, "expires_at": None,
             "savings": {"since": None, "total_fen": 0, "items": []}, "orders": []},
    "product_requests": {"supports": []},
    "audit_trail": [],
    "surveys": [],
    "privacy": {"consents": {"marketing": False, "profiling": False, "partner_sharing": False},
                "policy": {"version": "2026-11", "accepted_version": "2026-11", "needs_acceptance": False},
                "deletion": {"requested_at": None, "effective_at": None, "erased_at": None,
                             "channel": None, "recorded_by": None}},
    "facts": None,
}


@api.route("/v1/agent/members/{customer_id}", "GET", auth="staff", response="Member360",
           errors=("not_found",),
           summary="A member's 360 view: profile, tier, points, recent ledger, redemptions, vouchers, transactions "
                   "and open follow-up cases (one bounded Query per kind of item, in parallel)",
           examples={"response": EXAMPLE})
def member_360_view(ctx: RequestContext, customer_id: str) -> dict:
    return member_360.view(customer_id)
