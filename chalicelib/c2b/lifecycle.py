"""What changes with a request's status, written into the transaction that changes it: the request item, the
listing entries, the proposer's notification and the fan-out task that tells every supporter (``fanout.py``)."""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.c2b import rules
from chalicelib.c2b.models import (
    FANOUT_INDEX_PK,
    FANOUT_PREFIX,
    LISTING_ALL_SK,
    LISTING_STATUS_SK,
    NEW_INDEX,
    POPULAR_INDEX,
    FanoutItem,
    ListingItem,
    RequestItem,
    request_pk,
)
from chalicelib.c2b.notices import STATUS_WORDS
from chalicelib.core import notifications
from chalicelib.core.dynamo.tx import Tx


def fanout_item(request: RequestItem, template: str, data: dict[str, Any], at: str, *, only_early: bool = False,
                voucher: dict[str, Any] | None = None, skip: str | None = None) -> FanoutItem:
    fanout_id = f"{at}#{secrets.token_hex(4)}"
    return FanoutItem(
        pk=request_pk(request.request_id), sk=f"{FANOUT_PREFIX}{fanout_id}", fanout_id=fanout_id,
        request_id=request.request_id, template=template, data=data, only_early=only_early, voucher=voucher,
        skip=skip, cursor=None, told=0, status="pending", created_at=at, gsi1pk=FANOUT_INDEX_PK,
        gsi1sk=f"{at}#{request.request_id}",
    )


def listing_keys(request_id: str) -> tuple[ListingItem, ListingItem]:
    pk = request_pk(request_id)
    return ListingItem(pk=pk, sk=LISTING_ALL_SK), ListingItem(pk=pk, sk=LISTING_STATUS_SK)


def listing_items(request: RequestItem) -> list[ListingItem]:
    """The two listing entries of a new request (nothing counted yet)."""
    out = []
    for sk, suffix in ((LISTING_ALL_SK, ""), (LISTING_STATUS_SK, f"#{request.status}")):
        out.append(ListingItem(
            pk=request_pk(request.request_id), sk=sk, request_id=request.request_id, title=request.title,
            description=request.description, category=request.category, status=request.status,
            threshold=request.threshold, support_count=0, demand_quantity=0, created_at=request.created_at,
            gsi1pk=NEW_INDEX + suffix, gsi1sk=rules.newest_key(request.created_at, request.request_id),
            gsi2pk=POPULAR_INDEX + suffix, gsi2sk=rules.popularity_key(0, request.created_at, request.request_id),
        ))
    return out


def into_listings(tx: Tx, request: RequestItem, *, status: str | None = None,
                  counts: tuple[int, int] | None = None, threshold: int | None = None) -> None:
    """One update per listing entry (a transaction may touch an item once): a new status (a hidden request leaves
    every listing), the listed ``(support_count, demand)``, a new threshold."""
    every, mine = listing_keys(request.request_id)
    common: list[Any] = []
    if status is not None:
        common.append(ListingItem.status.set(status))
    if threshold is not None:
        common.append(ListingItem.threshold.set(threshold))
    if counts is not None:
        common += [ListingItem.support_count.set(counts[0]), ListingItem.demand_quantity.set(counts[1])]
    gsi2sk = (rules.popularity_key(counts[1], request.created_at, request.request_id)
              if counts is not None else None)
    all_actions, status_actions = list(common), list(common)
    if status == "hidden":  # off every listing; kept in the hidden partition for operators
        all_actions += [ListingItem.gsi1pk.remove(), ListingItem.gsi1sk.remove(), ListingItem.gsi2pk.remove(),
                        ListingItem.gsi2sk.remove()]
    elif gsi2sk is not None:
        all_actions.append(ListingItem.gsi2sk.set(gsi2sk))
    if status is not None:
        status_actions += [ListingItem.gsi1pk.set(f"{NEW_INDEX}#{status}"),
                           ListingItem.gsi2pk.set(f"{POPULAR_INDEX}#{status}")]
    if gsi2sk is not None:
        status_actions.append(ListingItem.gsi2sk.set(gsi2sk))
    if all_actions:
        tx.update("listing_all", every, all_actions)
    if status_actions:
        tx.update("listing_status", mine, status_actions)


def cross_in(tx: Tx, request: RequestItem, at: str, counts: tuple[int, int] | None = None) -> None:
    """The threshold is reached in ``tx``: the status (once: conditioned on ``open``), the listings, the proposer
    told at once and every supporter who supported while it was open told by the fan-out."""
    tx.update("request", RequestItem(pk=request.pk, sk=request.sk),
              [RequestItem.status.set("threshold_reached"), RequestItem.reached_at.set(at),
               RequestItem.updated_at.set(at)],
              RequestItem.status == "open")
    into_listings(tx, request, status="threshold_reached", counts=counts)
    data = {"request_id": request.request_id, "title": request.title, "threshold": int(request.threshold),
            "status": "threshold_reached"}
    notifications.put_in(tx, request.customer_id, "c2b_threshold_reached", data, label="proposer_notification")
    tx.put("fanout", fanout_item(request, "c2b_threshold_reached", data, at, only_early=True,
                                 skip=request.customer_id))


def status_data(request: RequestItem, status: str, note: str) -> dict[str, Any]:
    zh, en = STATUS_WORDS.get(status, (status, status))
    return {"request_id": request.request_id, "title": request.title, "status": status, "status_zh": zh,
            "status_en": en, "note": note}
