"""Members: propose a product request, list and read them, support (a pledge of units) and withdraw, vote."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.c2b import polls, requests, supports
else:  # loaded when a view first runs (core/lazy.py)
    polls = lazy_module("chalicelib.c2b.polls")
    requests = lazy_module("chalicelib.c2b.requests")
    supports = lazy_module("chalicelib.c2b.supports")

api = Api(__name__, "product-requests")

WRITE_ERRORS = ("validation_error", "malformed_json")
RID = "pr_3f9a1c2b7d6e4f10"
SUMMARY = {"request_id": RID, "title": "无糖桂花乌龙冷泡茶",
           "description": "希望推出无糖的桂花乌龙冷泡茶包，一盒 20 包。",
           "category": "茶饮", "status": "open", "support_count": 128, "demand_quantity": 342, "threshold": 500,
           "created_at": "2026-12-01T02:15:00.000+00:00"}
POLL = {"poll_id": "pl1", "question": "您更喜欢哪种包装？", "supporters_only": True, "closed": False,
        "options": [{"option_id": "o1", "label": "铁罐", "votes": 41},
                    {"option_id": "o2", "label": "纸盒", "votes": 63}],
        "my_vote": "o2"}
PAGE = {**SUMMARY, "target_price_fen": 5900, "specs": "每包 3 克", "note": None,
        "my_support": {"quantity": 2, "created_at": "2026-12-01T03:00:00.000+00:00"}, "polls": [POLL],
        "history": [{"status": "open", "note": None, "at": "2026-12-01T02:15:00.000+00:00"}], "reached_at": None}
SUPPORT = {"request_id": RID, "support_count": 129, "demand_quantity": 344, "threshold": 500, "status": "open",
           "my_support": {"quantity": 2}}


@api.route("/v1/product-requests", "GET", auth="member", query="ProductRequestQuery", response="ProductRequestPage",
           errors=("validation_error",),
           summary="Product requests, newest (sort=new) or most wanted (sort=popular) first, optionally of one "
                   "status: one Query on an index per page. Counts are exact up to 100 a shard and then in steps "
                   "(the request's page is exact)",
           examples={"response": {"items": [SUMMARY], "next_cursor": None}})
def list_product_requests(ctx: RequestContext) -> dict:
    q = ctx.query
    return requests.listing(q.status, q.sort, q.limit, q.cursor)


@api.route("/v1/product-requests", "POST", auth="member", status=201, body="ProductRequestIn",
           response="ProductRequestCreated", errors=(*WRITE_ERRORS, "rate_limited"),
           summary="Propose a product: open at once, moderated afterwards; a few a day per member (429 rate_limited "
                   "with Retry-After)",
           examples={"request": {"title": "无糖桂花乌龙冷泡茶",
                                 "description": "希望推出无糖的桂花乌龙冷泡茶包，一盒 20 包。",
                                 "category": "茶饮", "target_price_fen": 5900, "specs": "每包 3 克"},
                     "response": {"request_id": RID, "status": "open", "threshold": 500,
                                  "created_at": "2026-12-01T02:15:00.000+00:00"}})
def propose_product_request(ctx: RequestContext) -> Result:
    return requests.propose(ctx.customer_id, ctx.body.model_dump(exclude_none=True))


@api.route("/v1/product-requests/{request_id}", "GET", auth="member", response="ProductRequestOut",
           errors=("not_found", "service_unavailable"),
           summary="A product request: exact support_count and demand_quantity (the sum of its counter shards), its "
                   "polls with their counts, my support and my votes, in one read",
           examples={"response": PAGE})
def get_product_request(ctx: RequestContext, request_id: str) -> dict:
    return requests.page(ctx.customer_id, request_id)


@api.route("/v1/product-requests/{request_id}/supports", "POST", auth="member", status=201, body="SupportIn",
           response="SupportOut", errors=(*WRITE_ERRORS, "not_found", "request_closed", "service_unavailable"),
           other_statuses={200: "I already support it: the same support, its quantity updated when given"},
           summary="Support: the units I would buy (default 1, at most 10). One support per member; supporting again "
                   "updates the quantity; the support that brings demand to the threshold moves the request to "
                   "threshold_reached in its own transaction",
           examples={"request": {"quantity": 2}, "response": SUPPORT})
def support_product_request(ctx: RequestContext, request_id: str) -> Result:
    body = ctx.body
    return supports.support(ctx.customer_id, request_id, body.quantity if body is not None else None)


@api.route("/v1/product-requests/{request_id}/supports/withdraw", "POST", auth="member", response="SupportOut",
           errors=("not_found", "request_closed", "service_unavailable"),
           summary="Withdraw my support and its units (nothing to withdraw: the same answer)",
           examples={"response": {**SUPPORT, "support_count": 127, "demand_quantity": 340, "my_support": None}})
def withdraw_product_request_support(ctx: RequestContext, request_id: str) -> dict:
    return supports.withdraw(ctx.customer_id, request_id)


@api.route("/v1/product-requests/{request_id}/polls/{poll_id}/votes", "POST", auth="member", status=201,
           body="VoteIn", response="VoteOut",
           errors=(*WRITE_ERRORS, "not_found", "poll_closed", "request_closed", "supporters_only",
                   "service_unavailable"),
           other_statuses={200: "I had voted: my vote moved to this option (or it was already there)"},
           summary="Vote in a poll on the request: one vote per member, moved until the poll closes (403 "
                   "supporters_only when the poll is for supporters and I do not support the request)",
           examples={"request": {"option_id": "o2"},
                     "response": {"poll_id": "pl1", "my_vote": "o2", "options": POLL["options"]}})
def vote_in_product_request_poll(ctx: RequestContext, request_id: str, poll_id: str) -> Result:
    return polls.vote(ctx.customer_id, request_id, poll_id, ctx.body.option_id)


@api.route("/v1/me/product-requests/supports", "GET", auth="member", query="MySupportsQuery",
           response="MySupportPage", errors=("validation_error",),
           summary="The product requests I support, most recent first",
           examples={"response": {"items": [{"request_id": RID, "title": "无糖桂花乌龙冷泡茶", "quantity": 2,
                                             "created_at": "2026-12-01T03:00:00.000+00:00",
                                             "updated_at": "2026-12-01T03:00:00.000+00:00"}],
                                  "next_cursor": None}})
def list_my_product_request_supports(ctx: RequestContext) -> dict:
    return requests.my_supports(ctx.customer_id, ctx.query.limit, ctx.query.cursor)
