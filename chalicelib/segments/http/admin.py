"""Operators define segments (rules over member facts) and read who is in them and why; agents read a member's
facts. Sizes are exact; a new or changed rule is applied to every member by a pass fanned out through SQS."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.segments import campaigns, rules, segments
else:  # loaded when a view first runs (core/lazy.py)
    campaigns = lazy_module("chalicelib.segments.campaigns")
    rules = lazy_module("chalicelib.segments.rules")
    segments = lazy_module("chalicelib.segments.segments")

api = Api(__name__, "segments")

WRITE_ERRORS = ("validation_error", "malformed_json")
SID = "sg_3f9a1c2b7d6e4f10"
RULE = {"all": [{"fact": "lifecycle", "op": "eq", "value": "dormant"},
                {"fact": "points_balance", "op": "gte", "value": 2000}]}
SEGMENT = {"segment_id": SID, "name": "沉睡高积分会员", "rule": RULE, "size": 1284, "rebuilding": False,
           "updated_at": "2026-12-02T02:00:00.000+00:00"}


@api.route("/v1/admin/segments", "POST", auth="admin", status=201, body="SegmentIn", response="SegmentOut",
           errors=(*WRITE_ERRORS, "too_many_segments", "segment_changed", "service_unavailable"),
           summary="Define a segment by a rule over member facts; every member is evaluated by a pass fanned out "
                   "through SQS (size grows to its exact value while `rebuilding`), then kept current from the "
                   "table's stream",
           examples={"request": {"name": "沉睡高积分会员", "rule": RULE}, "response": SEGMENT})
def create_segment(ctx: RequestContext) -> dict:
    """A rule with an unknown fact or operator, a wrong value or nesting deeper than 5: 400 naming its path."""
    return segments.create(ctx.body.name, ctx.body.rule)


@api.route("/v1/admin/segment-facts", "GET", auth="admin", response="SegmentFactsOut",
           errors=(),
           summary="The facts a segment rule may name, each with its type, the operators that apply to it and, where "
                   "the facts take a fixed set of values, those values (what the console's rule builder offers)",
           examples={"response": {"facts": [{"fact": "lifecycle", "type": "text", "ops": ["eq", "ne", "in"],
                                             "values": ["new", "active", "at_risk", "dormant", "churned"]}],
                                  "max_depth": 5}})
def segment_facts(ctx: RequestContext) -> dict:
    """From the rules module itself: the builder can offer nothing the validation would refuse."""
    return rules.catalogue()


@api.route("/v1/admin/segments", "GET", auth="admin", query="SegmentPageQuery", response="SegmentPage",
           errors=("validation_error", "service_unavailable"),
           summary="The segments, by id, a page at a time, each with its exact size",
           examples={"response": {"items": [SEGMENT], "next_cursor": None}})
def list_segments(ctx: RequestContext) -> dict:
    """Definitions are few (at most 100): one Query of their partition; sizes are a Query of 16 counters each."""
    return segments.listing(ctx.query.limit, ctx.query.cursor)


@api.route("/v1/admin/segments/{segment_id}", "GET", auth="admin", response="SegmentOut",
           errors=("not_found", "service_unavailable"),
           summary="A segment: its rule and exact size", examples={"response": SEGMENT})
def get_segment(ctx: RequestContext, segment_id: str) -> dict:
    """The size is the sum of the segment's counters, each moved in the transaction of an entry or exit."""
    return segments.view(segments.get(segment_id))


@api.route("/v1/admin/segments/{segment_id}", "PATCH", auth="admin", body="SegmentPatch", response="SegmentOut",
           errors=(*WRITE_ERRORS, "not_found", "segment_changed", "service_unavailable"),
           summary="Rename a segment or change its rule (every member is evaluated again, fanned out)",
           examples={"request": {"rule": RULE}, "response": SEGMENT})
def patch_segment(ctx: RequestContext, segment_id: str) -> dict:
    """Conditioned on the version read: two operators' changes cannot silently overwrite each other."""
    if ctx.body.name is None and ctx.body.rule is None:
        raise AppError("validation_error", details=[{"field": "rule", "issue": "nothing to change"}])
    return segments.patch(segment_id, ctx.body.name, ctx.body.rule)


@api.route("/v1/admin/segments/{segment_id}", "DELETE", auth="admin", status=204,
           errors=("not_found", "segment_changed", "service_unavailable"),
           summary="Delete a segment: hidden at once; its members leave it by a pass fanned out through SQS")
def delete_segment(ctx: RequestContext, segment_id: str) -> None:
    """Members leave one transaction each (membership, facts, counter), so nothing is left counted."""
    segments.delete(segment_id)


@api.route("/v1/admin/segments/{segment_id}/members", "GET", auth="admin", query="SegmentPageQuery",
           response="SegmentMemberPage", errors=("validation_error", "not_found",
                                                 "service_unavailable"),
           summary="Who is in a segment, a page at a time (by customer ID)",
           examples={"response": {"items": [{"customer_id": "c_0123456789abcdef0123", "member_no": "1234567897",
                                             "tier": "gold", "entered_at": "2026-12-02T02:00:00.000+00:00"}],
                                  "next_cursor": None}})
def list_segment_members(ctx: RequestContext, segment_id: str) -> dict:
    """One Query of the segment's partition a page."""
    return segments.members(segment_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/admin/segments/{segment_id}/members/{customer_id}/why", "GET", auth="admin", response="WhyOut",
           errors=("not_found", "service_unavailable"),
           summary="Why a member is (or is not) in a segment: the facts the rule reads and each condition, with the "
                   "member's actual value and whether it is met",
           examples={"response": {"in_segment": True, "matches_now": True,
                                  "evaluated_at": "2026-12-02T02:00:00.000+00:00",
                                  "facts": {"lifecycle": "dormant", "points_balance": 3200},
                                  "conditions": [{"fact": "lifecycle", "op": "eq", "value": "dormant",
                                                  "actual": "dormant", "met": True},
                                                 {"fact": "points_balance", "op": "gte", "value": 2000,
                                                  "actual": 3200, "met": True}]}})
def why_in_segment(ctx: RequestContext, segment_id: str, customer_id: str) -> dict:
    """Tag rules (profiling facts) are never met without the member's profiling consent; `why` shows it."""
    return segments.why(segment_id, customer_id)


CID = "cp_3f9a1c2b7d6e4f10"
CAMPAIGN = {"campaign_id": CID, "name": "沉睡会员唤醒", "segment_ids": ["sg_3f9a1c2b7d6e4f10"], "status": "running",
            "audience": 1284, "holdout": 64, "sent": 1002,
            "suppressed": {"no_consent": 180, "capped": 38, "quiet_hours": 0, "no_grant": 0, "deleted": 0},
            "offers_granted": 1002, "conversions": {"treated": 51, "holdout": 1, "window_days": 14},
            "call_list": None, "starts_at": "2026-12-02T10:00:00+08:00", "ends_at": "2026-12-16T10:00:00+08:00",
            "launched_at": "2026-12-02T02:00:00.000+00:00", "done_at": None}


@api.route("/v1/admin/campaigns", "POST", auth="admin", status=201, body="CampaignIn", response="CampaignCreated",
           errors=("validation_error", "malformed_json", "service_unavailable"),
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
           errors=("not_found", "campaign_window_closed", "service_unavailable"),
           summary="Launch a campaign: its audience is fanned out through SQS a page a message; each member is "
                   "reached once (holdout, suppressed or sent). Before its starts_at it is scheduled and fanned out "
                   "then. Launching again answers the campaign's state",
           examples={"response": CAMPAIGN})
def launch_campaign(ctx: RequestContext, campaign_id: str) -> dict:
    """202: the sends happen on the queue's workers; GET the campaign to follow them."""
    return campaigns.launch(campaign_id)


@api.route("/v1/admin/campaigns/{campaign_id}", "GET", auth="admin", response="CampaignOut",
           errors=("not_found", "service_unavailable"),
           summary="A campaign's state and exact counts: audience, holdout, sent, suppressed by reason, offers "
                   "granted, conversions (an order or redemption within 14 days) of the treated and the holdout",
           examples={"response": CAMPAIGN})
def get_campaign(ctx: RequestContext, campaign_id: str) -> dict:
    """Counts are sums of 16 counter shards, each moved in the transaction of the marker it counts."""
    return campaigns.view(campaign_id)
