"""Example bodies of the follow-up queue's routes, for the API document (the agents' console shows them too)."""

CASE_ID = "fu.c_8f14e45fceea167a5a36.txn_19a7f0c3b2e4f1a2b3c4d"
SUMMARY = {
    "case_id": CASE_ID, "status": "open", "kind": "redemption_fulfillment",
    "transaction_id": "txn_19a7f0c3b2e4f1a2b3c4d", "customer_id": "c_8f14e45fceea167a5a36",
    "member_no": "1234567897", "reference": "rdm_19a7f0c3b2e4f1a2b3c4d",
    "subject": {"name": "视频会员月卡", "points": 1500, "quantity": 1}, "attempt_count": 2,
    "priority": {"tier_code": "gold", "tier_rank": 2},
    "opened_at": "2026-11-23T05:00:00.000+00:00", "respond_by": "2026-11-23T05:15:00.000+00:00",
    "close_by": "2026-11-24T05:00:00.000+00:00", "response_overdue": False, "close_overdue": False,
    "responded_at": None, "last_error": "simulated partner failure (rate 1)", "claimed_by": None, "claimed_at": None,
    "resolution": None, "resolved_by": None, "resolved_at": None,
}
