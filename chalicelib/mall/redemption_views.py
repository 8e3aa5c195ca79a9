"""What a member sees of redemptions and their transactions (the answers of ``POST /v1/redemptions`` included), and
the mall's section of the member 360."""

from __future__ import annotations

from typing import Any

from chalicelib.core.area import Section360
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.errors import AppError
from chalicelib.core.retry.transactions import OUTBOX_INDEX_PK, TXN_PREFIX, TransactionItem
from chalicelib.mall.models import REDEMPTION_PREFIX, RETRY_KIND, RedemptionItem


def response_body(item: RedemptionItem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "redemption_id": item.redemption_id,
        "status": item.status,
        "points_spent": int(item.points_spent),
        "balance_after": int(item.balance_after),
        "reward_id": item.reward_id,
        "quantity": int(item.quantity),
        "fulfillment": item.fulfillment,
        "created_at": item.created_at,
    }
    if item.vouchers:
        body["vouchers"] = [{"code": c, "expires_at": item.voucher_expires_at} for c in item.vouchers]
    if item.partner_codes:
        body["partner_codes"] = list(item.partner_codes)
    if item.transaction_id:
        body["transaction_id"] = item.transaction_id
    return body


def accepted_body(redemption_id: str, transaction_id: str) -> dict[str, Any]:
    return {"transaction_id": transaction_id, "status": "retrying", "redemption_id": redemption_id}


def redemption_view(item: RedemptionItem) -> dict[str, Any]:
    out = response_body(item)
    out.update({"reward_name": item.reward_name, "updated_at": item.updated_at, "channel": item.channel})
    return out


def my_redemption(customer_id: str, redemption_id: str) -> dict[str, Any]:
    """One GetItem in the caller's partition: another member's redemption is simply not there (404)."""
    try:
        item = RedemptionItem.get(keys.customer_pk(customer_id), f"{REDEMPTION_PREFIX}{redemption_id}",
                                  consistent_read=True)
    except RedemptionItem.DoesNotExist:
        raise AppError("not_found") from None
    return redemption_view(item)


def my_redemptions(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first: one Query on the ``RDM#`` prefix with ``Limit``."""
    raw, next_cursor = paging.newest_page(customer_id, REDEMPTION_PREFIX, limit, cursor, consistent=True)
    return {"items": [redemption_view(RedemptionItem.from_raw_data(r)) for r in raw], "next_cursor": next_cursor}


def transaction_view(item: TransactionItem) -> dict[str, Any]:
    attempts = list(item.attempts or [])
    out: dict[str, Any] = {
        "transaction_id": item.transaction_id,
        "kind": item.kind,
        "status": item.status,
        "reference": item.reference,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
        "completed_at": item.completed_at,
        "attempts": len(attempts),
        "last_error": item.last_error,
        "queued": item.gsi1pk != OUTBOX_INDEX_PK,
    }
    if item.kind == RETRY_KIND:
        out["redemption_id"] = (item.payload or {}).get("redemption_id")
    return out


def my_transaction(customer_id: str, transaction_id: str) -> dict[str, Any]:
    """``GET /v1/me/transactions/{id}``: one GetItem in the caller's partition (another member's: 404)."""
    try:
        item = TransactionItem.get(keys.customer_pk(customer_id), f"{TXN_PREFIX}{transaction_id}",
                                   consistent_read=True)
    except TransactionItem.DoesNotExist:
        raise AppError("not_found") from None
    return transaction_view(item)


RECENT_360 = 10


def _redemption_360(item: RedemptionItem) -> dict[str, Any]:
    return {
        "redemption_id": item.redemption_id, "reward_id": item.reward_id, "reward_name": item.reward_name,
        "quantity": int(item.quantity), "points_spent": int(item.points_spent), "status": item.status,
        "fulfillment": item.fulfillment, "transaction_id": item.transaction_id, "vouchers": list(item.vouchers or []),
        "created_at": item.created_at, "updated_at": item.updated_at,
    }


member_360 = Section360(
    read=lambda customer_id: paging.newest(customer_id, REDEMPTION_PREFIX, RECENT_360),
    render=lambda raw, _member, _now: {
        "redemptions": [_redemption_360(RedemptionItem.from_raw_data(r)) for r in raw]},
)
