"""Vouchers of the benefits zone: issuing (as items for the caller's transaction), listing and using them.

A voucher is ``CUST#<id>`` / ``V#<voucher_id>`` in its holder's partition. Voucher ids begin with the issue time
(milliseconds, hex), so a reversed Query on ``V#`` lists the newest first. The stored status is ``available`` or
``used``; ``expired`` is computed from the clock, never written, so a voucher needs no job to expire.

Validity: a voucher issued on business day D with ``voucher_valid_days`` N can be used through the end of day
D + N - 1 (Asia/Shanghai); ``expires_at`` is the instant it stops, midnight in Shanghai, written with ``+08:00``.

Using one is a single conditional UpdateItem (``status = available`` and not expired), so a voucher is marked
used exactly once however many tills or taps try at the same moment; the answer to a losing attempt is read
afterwards to tell "already used" (or the same order again) from "expired".
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.benefits.models import VOUCHER_PREFIX, VoucherItem
from chalicelib.core import clock, idempotency, results
from chalicelib.core.area import Section360
from chalicelib.core.calendar import SHANGHAI, business_day, start_of_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.results import Result

VOUCHER_ID = re.compile(r"^v[0-9a-f]{22}$")
STATUSES = ("available", "used", "expired")
USE_SCOPE = "POST /v1/me/vouchers/{voucher_id}/use"


def new_voucher_id(at: datetime | None = None) -> str:
    """``v`` + 12 hex digits of epoch milliseconds + 10 random hex digits: unique, and sorted by issue time."""
    millis = int((at or clock.now()).timestamp() * 1000)
    return f"v{millis:012x}{secrets.token_hex(5)}"


def expires_at(issued_at: datetime, valid_days: int) -> datetime:
    """Midnight (Shanghai) after the last valid business day: issue day + ``valid_days`` - 1."""
    if valid_days < 1:
        raise ValueError("valid_days must be >= 1")
    return start_of_day(business_day(issued_at) + timedelta(days=valid_days))


def new_voucher(
    customer_id: str,
    *,
    benefit_id: str,
    name: str,
    kind: str,
    valid_days: int,
    source: str,
    at: datetime | None = None,
    period_key: str | None = None,
    channel: str | None = None,
) -> VoucherItem:
    at = at or clock.now()
    ends = expires_at(at, valid_days)
    voucher_id = new_voucher_id(at)
    return VoucherItem(
        pk=keys.customer_pk(customer_id), sk=VOUCHER_PREFIX + voucher_id, voucher_id=voucher_id,
        customer_id=customer_id, benefit_id=benefit_id, name=name, kind=kind, source=source, status="available",
        expires_at=ends.astimezone(SHANGHAI).isoformat(), expires_epoch=int(ends.timestamp()),
        period_key=period_key, channel=channel, created_at=clock.iso(at),
    )


def put_in(tx: Tx, voucher: VoucherItem, label: str = "voucher") -> None:
    """Put a new voucher, on the expiry index (``VEXP#<day>``, the reminder 3 days before)."""
    if voucher.gsi1pk is None and voucher.expires_at:
        voucher.gsi1pk = f"VEXP#{voucher.expires_at[:10]}"
        voucher.gsi1sk = f"{voucher.customer_id}#{voucher.voucher_id}"
    tx.put(label, voucher, VoucherItem.pk.does_not_exist())


def status_of(voucher: VoucherItem, now_epoch: int | None = None) -> str:
    if voucher.status == "used":
        return "used"
    now_epoch = clock.epoch() if now_epoch is None else now_epoch
    return "expired" if int(voucher.expires_epoch) <= now_epoch else "available"


def view(voucher: VoucherItem, now_epoch: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "voucher_id": voucher.voucher_id,
        "benefit_id": voucher.benefit_id,
        "name": voucher.name,
        "kind": voucher.kind,
        "source": voucher.source,
        "status": status_of(voucher, now_epoch),
        "expires_at": voucher.expires_at,
        "created_at": voucher.created_at,
    }
    if voucher.status == "used":
        out.update({"used_at": voucher.used_at, "order_no": voucher.used_order_no})
    return out


# --- listing ---------------------------------------------------------------------------------------------------


def list_mine(customer_id: str, limit: int, cursor: str | None, status: str | None = None) -> dict[str, Any]:
    """``GET /v1/me/vouchers``: one Query on ``V#``, newest first (``status`` filters within the page's reads)."""
    pk = keys.customer_pk(customer_id)
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :v)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":v": {"S": VOUCHER_PREFIX}},
        "ScanIndexForward": False,
        "Limit": limit + 1,
        "ConsistentRead": True,
    }
    now_epoch = clock.epoch()
    if status is not None:
        names = {"#s": "status", "#e": "expires_epoch"}
        values = {":avail": {"S": "available"}, ":now": {"N": str(now_epoch)}}
        kwargs["FilterExpression"] = {
            "available": "#s = :avail AND #e > :now",
            "expired": "#s = :avail AND #e <= :now",
            "used": "#s = :used",
        }[status]
        if status == "used":
            names.pop("#e")
            values = {":used": {"S": "used"}}
        kwargs["ExpressionAttributeNames"] = names
        kwargs["ExpressionAttributeValues"].update(values)
        kwargs["Limit"] = max(limit + 1, 100)  # a filter reads before it filters: read a fuller page
    if cursor:
        sk = paging.decode_cursor(cursor, VOUCHER_PREFIX)
        kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": sk}}
    page = shared_connection().client.query(**kwargs)
    items = [VoucherItem.from_raw_data(raw) for raw in page.get("Items", [])]
    more = len(items) > limit or (status is not None and "LastEvaluatedKey" in page)
    items = items[:limit]
    next_cursor = None
    if more and items:
        next_cursor = paging.encode_cursor(items[-1].sk)
    elif more and "LastEvaluatedKey" in page:  # a filtered page with nothing to show: continue where it stopped
        next_cursor = paging.encode_cursor(page["LastEvaluatedKey"]["sk"]["S"])
    return {"items": [view(v, now_epoch) for v in items], "next_cursor": next_cursor}


# --- using -----------------------------------------------------------------------------------------------------


def _key(customer_id: str, voucher_id: str) -> VoucherItem:
    if not VOUCHER_ID.match(voucher_id or ""):
        raise AppError("not_found")
    return VoucherItem(pk=keys.customer_pk(customer_id), sk=VOUCHER_PREFIX + voucher_id)


def _use_actions(order_no: str | None, by: str) -> list[Any]:
    actions = [VoucherItem.status.set("used"), VoucherItem.used_at.set(clock.iso()), VoucherItem.used_by.set(by)]
    if order_no:
        actions.append(VoucherItem.used_order_no.set(order_no))
    return actions


def _use_condition() -> Any:
    return VoucherItem.pk.exists() & (VoucherItem.status == "available") & (VoucherItem.expires_epoch > clock.epoch())


def _why_not(customer_id: str, voucher_id: str, order_no: str | None) -> dict[str, Any]:
    """After a refused use: the voucher as it is if it was used for this same order, else the reason as an error."""
    try:
        voucher = VoucherItem.get(keys.customer_pk(customer_id), VOUCHER_PREFIX + voucher_id, consistent_read=True)
    except VoucherItem.DoesNotExist:
        raise AppError("not_found") from None
    if voucher.status == "used":
        if order_no and voucher.used_order_no == order_no:
            return view(voucher)
        raise AppError("voucher_already_used")
    if status_of(voucher) == "expired":
        raise AppError("voucher_expired")
    raise AppError("service_unavailable", retry_after=1)  # changed meanwhile: try again


def redeem_at_checkout(customer_id: str, voucher_id: str, order_no: str) -> tuple[dict[str, Any], bool]:
    """The till redeems a member's voucher for an order (X-Api-Key). One UpdateItem; a repeat with the same
    ``order_no`` answers the same (``replayed`` True), another order gets 409 ``voucher_already_used``."""
    item = _key(customer_id, voucher_id)
    try:
        item.update(actions=_use_actions(order_no, "integration"), condition=_use_condition())
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _why_not(customer_id, voucher_id, order_no), True
    return view(item), False


def use_mine(customer_id: str, voucher_id: str, order_no: str | None, idempotency_key: str | None) -> Result:
    """``POST /v1/me/vouchers/{voucher_id}/use`` (Idempotency-Key): the voucher's update and the idempotency record
    in one transaction (one call on success); a replay is answered from the record, a refusal explained by one read.
    """
    item = _key(customer_id, voucher_id)
    req = idempotency.request(
        keys.customer_pk(customer_id), USE_SCOPE, idempotency_key, {"voucher_id": voucher_id, "order_no": order_no}
    )
    at = clock.iso()
    body = {"voucher_id": voucher_id, "status": "used", "used_at": at, "order_no": order_no}
    actions = [VoucherItem.status.set("used"), VoucherItem.used_at.set(at), VoucherItem.used_by.set("member")]
    if order_no:
        actions.append(VoucherItem.used_order_no.set(order_no))
    tx = Tx()
    tx.update("voucher", item, actions, _use_condition())
    idempotency.record_in(tx, req, "ok", body)
    try:
        tx.commit()
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        if "voucher" in exc.failed:
            _why_not(customer_id, voucher_id, None)
        raise AppError("service_unavailable", retry_after=1) from None
    return results.ok(body)


RECENT_360 = 10


def _view_360(item: VoucherItem, now_epoch: int) -> dict[str, Any]:
    return {"voucher_id": item.voucher_id, "benefit_id": item.benefit_id, "name": item.name, "kind": item.kind,
            "source": item.source, "status": status_of(item, now_epoch), "expires_at": item.expires_at,
            "created_at": item.created_at}


member_360 = Section360(
    read=lambda customer_id: paging.newest(customer_id, VOUCHER_PREFIX, RECENT_360),
    render=lambda raw, _member, now: {
        "vouchers": [_view_360(VoucherItem.from_raw_data(r), int(now.timestamp())) for r in raw]},
)
