"""Operators' campaigns to segments: a draft, one launch fanned out through SQS, and the outcome counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.segments import campaigns
else:  # loaded when a view first runs (core/lazy.py)
    campaigns = lazy_module("chalicelib.segments.campaigns")

api = Api(__name__, "segments")

STAFF_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")
CID = "cp_3f9a1c2b7d6e4f10"
CAMPAIGN = {"campaign_id": CID, "name": "沉睡会员唤醒", "segment_ids": ["sg_3f9a1c2b7d6e4f10"], "status": "running",
            "audience": 1284, "holdout": 64, "sent": 1002,
            "suppressed": {"no_consent": 180, "capped": 38, "quiet_hours": 0, "no_grant": 0, "deleted": 0},
            "offers_granted": 1002, "conversions": {"treated": 51, "holdout": 1, "window_days": 14},
            "call_list": None, "starts_at": "2026-12-02T10:00:00+08:00", "ends_at": "2026-12-16T10:00:00+08:00",
            "launched_at": "2026-12-02T02:00:00.000+00:00", "done_at": None}


@api.route("/v1/admin/campaigns", "POST", auth="admin", status=201, body="CampaignIn", response="CampaignCreated",
           errors=(*STAFF_ERRORS, "validation_error", "malformed_json", "service_unavailable"),
           summary="Draft a campaign to one or more segments: the operator's message, channels, an optional offer "
                   "(a voucher or points), the holdout share (default 5%) and its window",
           examples={"request": {"name": "沉睡会员唤醒", "segment_id": "sg_3f9a1c2b7d6e4f10",
                                 "message": {"title": "好久不见", "body": "送您一张回归礼券，14天内有效。"},
                                 "channels": ["in_app", "wechat", "sms"],
                                 "offer": {"kind": "voucher", "benefit_id": "welcome_back", "valid_days": 14},
                                 "holdout_percent": 5, "starts_at": "2026-12-02T10:00:00+08:00",
                                 "ends_at": "2026-12-16T10:00:00+08:00"},
                     "response": {"campaign_id": CID, "status": "draft"}})
def create_campaign(ctx: RequestContext) -> dict:
    """The segments must exist; ends_at after starts_at."""
    body = ctx.body.model_dump(mode="json")
    body["segment_ids"] = body.pop("segment_ids") or [body.pop("segment_id")]
    body.pop("segment_id", None)
    return campaigns.create(body)


@api.route("/v1/admin/campaigns/{campaign_id}/launch", "POST", auth="admin", status=202, response="CampaignOut",
           errors=(*STAFF_ERRORS, "not_found", "campaign_window_closed", "service_unavailable"),
           summary="Launch a campaign: its audience is fanned out through SQS a page a message; each member is "
                   "reached once (holdout, suppressed or sent). Before its starts_at it is scheduled and fanned out "
                   "then. Launching again answers the campaign's state",
           examples={"response": CAMPAIGN})
def launch_campaign(ctx: RequestContext, campaign_id: str) -> dict:
    """202: the sends happen on the queue's workers; GET the campaign to follow them."""
    return campaigns.launch(campaign_id)


@api.route("/v1/admin/campaigns/{campaign_id}", "GET", auth="admin", response="CampaignOut",
           errors=(*STAFF_ERRORS, "not_found", "service_unavailable"),
           summary="A campaign's state and exact counts: audience, holdout, sent, suppressed by reason, offers "
                   "granted, conversions (an order or redemption within 14 days) of the treated and the holdout",
           examples={"response": CAMPAIGN})
def get_campaign(ctx: RequestContext, campaign_id: str) -> dict:
    """Counts are sums of 16 counter shards, each moved in the transaction of the marker it counts."""
    return campaigns.view(campaign_id)
