"""Operators (role admin): moderate and move product requests, change a threshold, set polls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.c2b import polls, requests
else:  # loaded when a view first runs (core/lazy.py)
    polls = lazy_module("chalicelib.c2b.polls")
    requests = lazy_module("chalicelib.c2b.requests")

api = Api(__name__, "admin")

WRITE_ERRORS = ("validation_error", "malformed_json")
RID = "pr_3f9a1c2b7d6e4f10"


def _staff(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.staff_id or ctx.principal.subject


@api.route("/v1/admin/product-requests/{request_id}", "GET", auth="admin", response="AdminProductRequestOut",
           errors=("not_found", "service_unavailable"),
           summary="A product request as operators see it (hidden ones too)",
           examples={"response": {"request_id": RID, "customer_id": "c_01", "status": "open", "support_count": 128,
                                  "demand_quantity": 342, "threshold": 500}})
def admin_get_product_request(ctx: RequestContext, request_id: str) -> dict:
    return requests.admin_view(request_id)


@api.route("/v1/admin/product-requests/{request_id}/status", "POST", auth="admin", body="StatusIn",
           response="StatusOut", errors=(*WRITE_ERRORS, "not_found", "status_move_not_allowed",
                                         "service_unavailable"),
           summary="Move a request on (under_review, accepted, in_production, launched, declined) with a note "
                   "supporters see, or hide it (moderation, with the reason): the proposer is told at once, every "
                   "supporter by the fan-out job; on launched every supporter receives a voucher, once",
           examples={"request": {"status": "under_review", "note": "感谢支持！产品团队正在评估配方与成本。"},
                     "response": {"request_id": RID, "status": "under_review",
                                  "note": "感谢支持！产品团队正在评估配方与成本。",
                                  "updated_at": "2026-12-02T02:00:00.000+00:00"}})
def move_product_request(ctx: RequestContext, request_id: str) -> dict:
    body = ctx.body
    voucher = body.voucher.model_dump() if body.voucher is not None else None
    return requests.move(_staff(ctx), request_id, body.status, body.note, voucher)


@api.route("/v1/admin/product-requests/{request_id}", "PATCH", auth="admin", body="ProductRequestPatch",
           response="ThresholdOut", errors=(*WRITE_ERRORS, "not_found", "service_unavailable"),
           summary="Change a request's threshold (units of demand); one at or below the demand is reached at once",
           examples={"request": {"threshold": 300},
                     "response": {"request_id": RID, "threshold": 300, "status": "threshold_reached",
                                  "demand_quantity": 342}})
def patch_product_request(ctx: RequestContext, request_id: str) -> dict:
    if ctx.body.threshold is None:
        raise AppError("validation_error", details=[{"field": "threshold", "issue": "nothing to change"}])
    return requests.set_threshold(_staff(ctx), request_id, ctx.body.threshold)


@api.route("/v1/admin/product-requests/{request_id}/polls", "POST", auth="admin", status=201, body="PollIn",
           response="PollCreated", errors=(*WRITE_ERRORS, "not_found", "too_many_polls", "service_unavailable"),
           summary="Add a poll to a request (packaging, price band, flavour, size), optionally for supporters only",
           examples={"request": {"question": "您更喜欢哪种包装？", "options": ["铁罐", "纸盒"],
                                 "supporters_only": True},
                     "response": {"poll_id": "pl1", "question": "您更喜欢哪种包装？", "supporters_only": True,
                                  "options": [{"option_id": "o1", "label": "铁罐"},
                                              {"option_id": "o2", "label": "纸盒"}]}})
def create_product_request_poll(ctx: RequestContext, request_id: str) -> dict:
    b = ctx.body
    return polls.create(_staff(ctx), request_id, b.question, list(b.options), b.supporters_only)


@api.route("/v1/admin/product-requests/{request_id}/polls/{poll_id}/close", "POST", auth="admin",
           response="PollClosed", errors=("not_found", "service_unavailable"),
           summary="Close a poll: votes no longer move", examples={"response": {"poll_id": "pl1", "closed": True}})
def close_product_request_poll(ctx: RequestContext, request_id: str, poll_id: str) -> dict:
    return polls.close(_staff(ctx), request_id, poll_id)
