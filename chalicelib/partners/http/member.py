"""Members' side of spending at partners: the requests waiting for them, confirmed or declined."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.partners import redemptions
else:  # loaded when a view first runs (core/lazy.py)
    redemptions = lazy_module("chalicelib.partners.redemptions")

api = Api(__name__, "member", schemas="chalicelib.partners.http.schemas")



@api.route("/v1/me/partner-redemptions", "GET", auth="member", query="MyPartnerRedemptionQuery",
           response="MyPartnerRedemptionList", errors=("validation_error",),
           summary="Partners' requests to spend my points, newest first (awaiting ones expire after 5 minutes)")
def my_partner_redemptions(ctx: RequestContext) -> dict:
    return redemptions.member_listing(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/me/partner-redemptions/{redemption_id}/confirm", "POST", auth="member",
           response="MyPartnerRedemptionOut",
           errors=("not_found", "partner_redemption_closed", "insufficient_points",
                   "service_unavailable"),
           summary="Confirm a partner's request: the points are spent, once")
def confirm_partner_redemption(ctx: RequestContext, redemption_id: str) -> dict:
    return redemptions.confirm(ctx.customer_id, redemption_id)


@api.route("/v1/me/partner-redemptions/{redemption_id}/decline", "POST", auth="member",
           response="MyPartnerRedemptionOut",
           errors=("not_found", "partner_redemption_closed"),
           summary="Decline a partner's request: nothing is spent")
def decline_partner_redemption(ctx: RequestContext, redemption_id: str) -> dict:
    return redemptions.decline(ctx.customer_id, redemption_id)
