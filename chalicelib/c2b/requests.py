"""Product requests: proposing (open at once, a daily limit per member), the request's page in one read, the
listings (one Query on an index per page), and the operators' moves (status with a note, threshold, hiding)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from chalicelib.c2b import config, lifecycle, reading, rules
from chalicelib.c2b.models import (
    LISTING_ALL_SK,
    LISTING_STATUS_SK,
    MY_PROPOSAL_PREFIX,
    MY_SUPPORT_PREFIX,
    NEW_INDEX,
    POPULAR_INDEX,
    ListingItem,
    MyProposalItem,
    MySupportItem,
    RequestItem,
    ShardItem,
    number,
    request_pk,
)
from chalicelib.c2b.supports import visible
from chalicelib.core import clock, notifications, rate_limits, results
from chalicelib.core.dynamo import member_layout, paging, retry
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.results import Result

MAX_ATTEMPTS = 10
CURSORS = {"new": re.compile(r"^\d{4}-\d\d-\d\dT[^#]{1,40}#pr_[0-9a-f]{16}$"),
           "popular": re.compile(r"^\d{12}#\d{4}-\d\d-\d\dT[^#]{1,40}#pr_[0-9a-f]{16}$")}
DEFAULT_VOUCHER = {"name": "新品尝鲜券", "kind": "early_access_price", "valid_days": 30}


def new_request_id() -> str:
    return f"pr_{secrets.token_hex(8)}"


def propose(customer_id: str, values: dict[str, Any]) -> Result:
    """``POST /v1/product-requests``: open at once (moderated afterwards); the daily limit counts in the same
    transaction, so racing proposals cannot pass it."""
    at = clock.iso()
    threshold = config.default_threshold()
    request = RequestItem(
        pk="", sk="", request_id=new_request_id(), customer_id=customer_id, title=values["title"],
        description=values["description"], category=values["category"],
        target_price_fen=values.get("target_price_fen"), specs=values.get("specs"), status="open",
        threshold=threshold, history=[{"status": "open", "note": None, "at": at, "by": customer_id}], polls=[],
        poll_count=0, created_at=at, updated_at=at,
    )
    request.pk, request.sk = request_pk(request.request_id), "A#REQ"
    limit = config.proposals_per_day()
    tx = Tx()
    rate_limits.count_in(tx, limit, customer_id)
    tx.put("request", request, RequestItem.pk.does_not_exist())
    tx.put("proposal", MyProposalItem(pk=customer_pk(customer_id), sk=f"{MY_PROPOSAL_PREFIX}{request.request_id}",
                                      request_id=request.request_id, created_at=at))
    for n, head in enumerate(rules.share(threshold)):
        shard = reading.shard_key(request.request_id, n)
        shard.cnt, shard.qty, shard.head, shard.ver, shard.phase = 0, 0, head, 0, rules.OPEN
        tx.put(f"shard:{n}", shard)
    for item in lifecycle.listing_items(request):
        tx.put(f"listing:{item.sk}", item)
    try:
        tx.commit()
    except TxCancelled as exc:
        if limit.label() in exc.failed:
            now = clock.epoch()
            raise AppError("rate_limited", retry_after=limit.window - now % limit.window) from None
        raise
    return results.created({"request_id": request.request_id, "status": "open", "threshold": threshold,
                            "created_at": at})


def _poll_view(state: reading.State, poll: dict[str, Any]) -> dict[str, Any]:
    vote = state.votes.get(poll["poll_id"])
    return {"poll_id": poll["poll_id"], "question": poll["question"],
            "supporters_only": bool(poll.get("supporters_only")), "closed": bool(poll.get("closed")),
            "options": [{**option, "votes": state.poll_votes(poll["poll_id"], option["option_id"])}
                        for option in poll["options"]],
            "my_vote": vote.option_id if vote else None}


def view(state: reading.State) -> dict[str, Any]:
    request = state.request
    assert request is not None
    return {
        "request_id": request.request_id, "title": request.title, "description": request.description,
        "category": request.category, "target_price_fen": request.target_price_fen, "specs": request.specs,
        "status": request.status, "note": request.note, "support_count": state.support_count,
        "demand_quantity": state.demand, "threshold": int(request.threshold),
        "my_support": ({"quantity": int(state.support.quantity), "created_at": state.support.created_at}
                       if state.support else None),
        "polls": [_poll_view(state, p) for p in request.polls or []],
        "history": [{"status": h["status"], "note": h.get("note"), "at": h["at"]} for h in request.history or []],
        "created_at": request.created_at, "reached_at": request.reached_at,
    }


def page(customer_id: str, request_id: str) -> dict[str, Any]:
    """``GET /v1/product-requests/{id}``: one BatchGetItem (request, shards, polls, my support and votes)."""
    state = reading.read(request_id, customer_id, polls=True)
    visible(state)
    return view(state)


def _listing_view(item: ListingItem) -> dict[str, Any]:
    return {"request_id": item.request_id, "title": item.title, "description": item.description,
            "category": item.category, "status": item.status, "support_count": int(item.support_count or 0),
            "demand_quantity": int(item.demand_quantity or 0), "threshold": int(item.threshold),
            "created_at": item.created_at}


def listing(status: str | None, sort: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/product-requests``: one Query on ``gsi1`` (new) or ``gsi2`` (popular), newest or most wanted
    first, whatever the number of requests. The counts are the listed ones (``rules.listed``); the page is exact."""
    index = "gsi2" if sort == "popular" else "gsi1"
    partition = (POPULAR_INDEX if sort == "popular" else NEW_INDEX) + (f"#{status}" if status else "")
    sk = LISTING_STATUS_SK if status else LISTING_ALL_SK
    start = None
    if cursor:
        at = paging.decode_cursor(cursor, "")
        request_id = at.rpartition("#")[2]
        if not CURSORS[sort].match(at):  # another listing's cursor, or one made up
            raise AppError("validation_error", details=[{"field": "cursor", "issue": "is not a valid cursor"}])
        start = {"pk": request_pk(request_id), "sk": sk, f"{index}pk": partition, f"{index}sk": at}
    raw, more = paging.index_page(index, partition, limit, ascending=False, start=start)
    items = [ListingItem.from_raw_data(r) for r in raw]
    last = raw[-1][f"{index}sk"]["S"] if raw else None
    return {"items": [_listing_view(i) for i in items],
            "next_cursor": paging.encode_cursor(last) if more and last else None}


def my_supports(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/me/product-requests/supports``: the requests I support (one Query of my mirrors)."""
    raw, next_cursor = member_layout.newest_page(customer_id, MY_SUPPORT_PREFIX, limit, cursor)
    items = [MySupportItem.from_raw_data(r) for r in raw]
    return {"items": [{"request_id": i.request_id, "title": i.title, "quantity": int(i.quantity),
                       "created_at": i.created_at, "updated_at": i.updated_at} for i in items],
            "next_cursor": next_cursor}


def move(staff_id: str, request_id: str, status: str, note: str, voucher: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    """``POST /v1/admin/product-requests/{id}/status``: the move, its note, the shards' phase, the listings, the
    proposer told at once and every supporter by the fan-out (with a voucher on ``launched``), in one transaction."""
    def once(_: int) -> dict[str, Any]:
        state = reading.read(request_id)
        request = state.request
        if request is None:
            raise AppError("not_found")
        proposer = reading.read(request_id, request.customer_id).support  # a supporter: told by the fan-out
        if not rules.may_move(request.status, status):
            raise AppError("status_move_not_allowed", details=[{"field": "status", "issue":
                           f"cannot move from {request.status} to {status}"}])
        at = clock.iso()
        tx = Tx()
        history = [*(request.history or []), {"status": status, "note": note, "at": at, "by": staff_id}]
        tx.update("request", RequestItem(pk=request.pk, sk=request.sk),
                  [RequestItem.status.set(status), RequestItem.note.set(note), RequestItem.history.set(history),
                   RequestItem.updated_at.set(at)], RequestItem.status == request.status)
        phase = rules.phase_of(status)
        if phase != state.phase():
            for n in range(rules.SHARDS):
                tx.update(f"shard:{n}", reading.shard_key(request_id, n),
                          [ShardItem.phase.set(phase), ShardItem.ver.add(1)])
        lifecycle.into_listings(tx, request, status=status)
        data = lifecycle.status_data(request, status, note)
        template, grant = "c2b_status_changed", None
        if status == "launched":
            grant = {**DEFAULT_VOUCHER, **(voucher or {})}
            template, data = "c2b_launched", {**data, "voucher_name": grant["name"]}
        fans_out = status != "hidden"  # hiding is moderation: supporters are not told, the proposer is (with the note)
        if fans_out:
            tx.put("fanout", lifecycle.fanout_item(request, template, data, at, voucher=grant))
        if proposer is None or not fans_out:  # a supporting proposer hears through the fan-out, when there is one
            proposer_template = "c2b_status_changed" if template == "c2b_launched" else template
            notifications.put_in(tx, request.customer_id, proposer_template, data, label="proposer_notification")
        try:
            tx.commit()
        except TxCancelled as exc:
            if "request" in exc.failed:
                raise retry.Again from None
            raise
        return {"request_id": request_id, "status": status, "note": note, "updated_at": at}
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="product request status", request_id=request_id)


def set_threshold(staff_id: str, request_id: str, threshold: int) -> dict[str, Any]:
    """``PATCH /v1/admin/product-requests/{id}``: a new threshold. While the request is open the headroom is shared
    out again under the same conditions as a support's slow path; a threshold at or below the demand is reached in
    this very transaction."""
    def once(_: int) -> dict[str, Any]:
        state = reading.read(request_id)
        request = state.request
        if request is None:
            raise AppError("not_found")
        at = clock.iso()
        is_open = state.phase() == rules.OPEN
        reached = is_open and state.demand >= threshold
        if reached:
            tx = _reached_by_threshold(state, request, at, threshold)
        else:
            tx = Tx()
            tx.update("request", RequestItem(pk=request.pk, sk=request.sk),
                      [RequestItem.threshold.set(threshold), RequestItem.updated_at.set(at)],
                      RequestItem.status == request.status)
            if is_open:
                for n, (raw, head) in enumerate(zip(state.shards, rules.share(threshold - state.demand),
                                                    strict=True)):
                    tx.update(f"shard:{n}", reading.shard_key(request_id, n),
                              [ShardItem.head.set(head), ShardItem.ver.add(1)],
                              (ShardItem.ver == number(raw, "ver")) & (ShardItem.phase == rules.OPEN))
            lifecycle.into_listings(tx, request, threshold=threshold)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed & ({"request"} | {f"shard:{n}" for n in range(rules.SHARDS)}):
                raise retry.Again from None
            raise
        return {"request_id": request_id, "threshold": threshold,
                "status": "threshold_reached" if reached else request.status, "demand_quantity": state.demand}
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="product request threshold", request_id=request_id)


def _reached_by_threshold(state: reading.State, request: RequestItem, at: str, threshold: int) -> Tx:
    """The threshold lowered to the demand: the same crossing as a support's, written with the new threshold."""
    fresh = Tx()
    for n, raw in enumerate(state.shards):
        fresh.update(f"shard:{n}", reading.shard_key(request.request_id, n),
                     [ShardItem.head.set(0), ShardItem.ver.add(1), ShardItem.phase.set(rules.REACHED)],
                     (ShardItem.ver == number(raw, "ver")) & (ShardItem.phase == rules.OPEN))
    fresh.update("request", RequestItem(pk=request.pk, sk=request.sk),
                 [RequestItem.threshold.set(threshold), RequestItem.status.set("threshold_reached"),
                  RequestItem.reached_at.set(at), RequestItem.updated_at.set(at)], RequestItem.status == "open")
    lifecycle.into_listings(fresh, request, status="threshold_reached", threshold=threshold)
    data = {"request_id": request.request_id, "title": request.title, "threshold": threshold,
            "status": "threshold_reached"}
    notifications.put_in(fresh, request.customer_id, "c2b_threshold_reached", data, label="proposer_notification")
    fresh.put("fanout", lifecycle.fanout_item(request, "c2b_threshold_reached", data, at, only_early=True,
                                             skip=request.customer_id))
    return fresh


def admin_view(request_id: str) -> dict[str, Any]:
    state = reading.read(request_id, polls=True)
    if state.request is None:
        raise AppError("not_found")
    return {**view(state), "customer_id": state.request.customer_id}

