"""Partner routes (the partner's own ``X-Api-Key``): recognise a member by phone, earn and refund, ask to spend."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.partners import earnings, recognition, redemptions, registry
else:  # loaded when a view first runs (core/lazy.py)
    earnings = lazy_module("chalicelib.partners.earnings")
    recognition = lazy_module("chalicelib.partners.recognition")
    redemptions = lazy_module("chalicelib.partners.redemptions")
    registry = lazy_module("chalicelib.partners.registry")

api = Api(__name__, "partners", schemas="chalicelib.partners.http.schemas")

KEY_ERRORS = ("invalid_api_key",)
EXPIRES = "2026-12-06T06:05:00.000+00:00"
REDEMPTION_EXAMPLE = {"redemption_id": "prd_3f9a1c2b4d5e6f70", "order_no": "CAFE20261206001", "points": 300,
                      "status": "awaiting_member", "created_at": "2026-12-06T06:00:00.000+00:00",
                      "expires_at": EXPIRES, "decided_at": None}


def _partner(ctx: RequestContext) -> registry.PartnerItem:
    assert ctx.principal is not None
    return registry.load(ctx.principal.subject)


@api.route("/v1/partners/recognitions", "POST", auth="partner", body="RecognitionIn", response="RecognitionOut",
           errors=(*KEY_ERRORS, "validation_error", "malformed_json", "rate_limited", "not_found"),
           summary="Recognise a member by phone: tier and benefits only with the member's partner_sharing consent; "
                   "otherwise {member: false}, exactly as for a phone that is nobody's",
           examples={"request": {"phone": "13800138000"},
                     "response": {"member": True, "token": "prt_<opaque>", "tier": "gold",
                                  "benefits": ["饮品 9 折", "免费升杯"]}})
def recognise_member(ctx: RequestContext) -> dict:
    """Never the member's name, balance or customer ID. The token identifies the member to this partner only, for
    10 minutes. Lookups are limited per partner (429 with Retry-After)."""
    return recognition.recognise(_partner(ctx), ctx.body.phone)


@api.route("/v1/partners/earnings", "POST", auth="partner", status=201, body="PartnerEarningIn",
           response="PartnerEarningOut", idempotent=True,
           errors=(*KEY_ERRORS, "validation_error", "malformed_json", "idempotency_key_required",
                   "idempotency_key_reused", "partner_token_invalid", "partner_role_missing", "not_found",
                   "service_unavailable"),
           other_statuses={200: "The order_no was already recorded: the first answer, nothing more awarded"},
           summary="Award points for an order at the partner, by its rate (ledger kind partner); once per order_no",
           examples={"request": {"token": "prt_<opaque>", "order_no": "CAFE20261206001", "amount_fen": 3800},
                     "response": {"order_no": "CAFE20261206001", "amount_fen": 3800, "points_awarded": 38,
                                  "status": "earned", "created_at": "2026-12-06T06:00:00.000+00:00",
                                  "refunded_at": None}})
def partner_earning(ctx: RequestContext) -> Result:
    body = ctx.body
    return earnings.earn(_partner(ctx), body.token, body.order_no, body.amount_fen, ctx.idempotency_key, body)


@api.route("/v1/partners/earnings/{order_no}/refund", "POST", auth="partner", status=201,
           response="PartnerEarningOut",
           errors=(*KEY_ERRORS, "partner_earning_not_found", "partner_role_missing", "not_found",
                   "service_unavailable"),
           other_statuses={200: "Already refunded: the same answer, nothing more reversed"},
           summary="Refund an order's earning: its points are taken back once (what the member no longer holds "
                   "becomes debt)")
def partner_earning_refund(ctx: RequestContext, order_no: str) -> Result:
    if len(order_no) > 64:
        raise AppError("partner_earning_not_found")
    return earnings.refund(_partner(ctx), order_no)


@api.route("/v1/partners/redemptions", "POST", auth="partner", status=202, body="PartnerRedemptionIn",
           response="PartnerRedemptionOut",
           errors=(*KEY_ERRORS, "validation_error", "malformed_json", "partner_token_invalid",
                   "partner_role_missing", "partner_order_used", "not_found", "service_unavailable"),
           other_statuses={200: "This order_no already asked the same: that request"},
           summary="Ask to spend a member's points at the partner: nothing is spent until the member confirms "
                   "(in the app, or by the SMS code entered here); unconfirmed requests expire after 5 minutes",
           examples={"request": {"token": "prt_<opaque>", "points": 300, "order_no": "CAFE20261206001"},
                     "response": REDEMPTION_EXAMPLE})
def partner_redemption(ctx: RequestContext) -> Result:
    body = ctx.body
    return redemptions.create(_partner(ctx), body.token, body.points, body.order_no)


@api.route("/v1/partners/redemptions/{redemption_id}", "GET", auth="partner", response="PartnerRedemptionOut",
           errors=(*KEY_ERRORS, "not_found"), summary="Poll a redemption request of this partner")
def partner_redemption_status(ctx: RequestContext, redemption_id: str) -> dict:
    return redemptions.partner_view(redemptions.for_partner(_partner(ctx), redemption_id))


@api.route("/v1/partners/redemptions/{redemption_id}/otp", "POST", auth="partner", body="PartnerOtpIn",
           response="PartnerRedemptionOut",
           errors=(*KEY_ERRORS, "validation_error", "malformed_json", "not_found", "partner_otp_invalid",
                   "partner_redemption_closed", "insufficient_points", "service_unavailable"),
           summary="Confirm with the SMS code the member received: the points are spent, once",
           examples={"request": {"code": "123456"}, "response": {**REDEMPTION_EXAMPLE, "status": "confirmed",
                                                                 "decided_at": "2026-12-06T06:01:00.000+00:00"}})
def partner_redemption_otp(ctx: RequestContext, redemption_id: str) -> dict:
    return redemptions.confirm_by_code(_partner(ctx), redemption_id, ctx.body.code)
