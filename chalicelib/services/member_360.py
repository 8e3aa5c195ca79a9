"""The agent's 360 view of a member: profile, tier, points, recent ledger, redemptions, vouchers, transactions, cases.

Everything lives in the member's partition ``CUST#<id>``, under sort-key prefixes that each hold one kind of item:

==============  ==================================================  ================================
prefix          what                                                read
==============  ==================================================  ================================
``M#``          profile, points state, buckets (``GET /v1/me``)     one Query (``points_store``)
``L#``          ledger entries (grows for ever)                     newest ``RECENT``: Query, Limit
``RDM#``        redemptions (IDs sort by time)                      newest ``RECENT``: Query, Limit
``V#``          benefit vouchers (IDs sort by time)                 newest ``RECENT``: Query, Limit
``TXN#``        transactions accepted for retry                     newest ``RECENT``: Query, Limit
``CASE#``       follow-up cases                                     up to 50: Query
==============  ==================================================  ================================

One Query over the whole partition would read the member's entire ledger, so the view makes one bounded Query per
prefix, all at once on a small thread pool: six calls, one round trip of latency, the same cost at 10 or 10,000
ledger entries. Phone numbers are masked here; the full number is shown only on a case the agent has claimed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.adapters.dynamo.benefit_models import VOUCHER_PREFIX, VoucherItem
from chalicelib.adapters.dynamo.connection import shared_connection
from chalicelib.adapters.dynamo.followup_models import CASE_PREFIX, FollowUpCaseItem
from chalicelib.adapters.dynamo.mall_models import REDEMPTION_PREFIX, TXN_PREFIX, RedemptionItem, TransactionItem
from chalicelib.adapters.dynamo.points_models import LEDGER_PREFIX, LedgerEntryItem
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.errors import AppError
from chalicelib.services import followups, members, points
from chalicelib.services import points_store as store

RECENT = 10
MAX_CASES = 50
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="member360")


def _query(customer_id: str, prefix: str, limit: int, newest_first: bool = True) -> list[dict[str, Any]]:
    return shared_connection().client.query(
        TableName=settings().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": store.customer_pk(customer_id)}, ":p": {"S": prefix}},
        ScanIndexForward=not newest_first,
        Limit=limit,
    ).get("Items", [])


def _voucher_view(item: VoucherItem, now_epoch: int) -> dict[str, Any]:
    status = item.status
    if status == "available" and int(item.expires_epoch) <= now_epoch:
        status = "expired"
    return {"voucher_id": item.voucher_id, "benefit_id": item.benefit_id, "name": item.name, "kind": item.kind,
            "source": item.source, "status": status, "expires_at": item.expires_at, "created_at": item.created_at}


def _redemption_view(item: RedemptionItem) -> dict[str, Any]:
    return {
        "redemption_id": item.redemption_id, "reward_id": item.reward_id, "reward_name": item.reward_name,
        "quantity": int(item.quantity), "points_spent": int(item.points_spent), "status": item.status,
        "fulfillment": item.fulfillment, "transaction_id": item.transaction_id, "vouchers": list(item.vouchers or []),
        "created_at": item.created_at, "updated_at": item.updated_at,
    }


def _transaction_view(item: TransactionItem) -> dict[str, Any]:
    return {
        "transaction_id": item.transaction_id, "kind": item.kind, "status": item.status, "reference": item.reference,
        "created_at": item.created_at, "updated_at": item.updated_at,
        "attempt_count": int(getattr(item, "attempt_count", None) or 0),
        "last_error": getattr(item, "last_error", None),
    }


def _read_all(customer_id: str) -> dict[str, Any]:
    jobs = {
        "member": _pool.submit(store.query_member, customer_id, True),
        "ledger": _pool.submit(_query, customer_id, LEDGER_PREFIX, RECENT),
        "redemptions": _pool.submit(_query, customer_id, REDEMPTION_PREFIX, RECENT),
        "vouchers": _pool.submit(_query, customer_id, VOUCHER_PREFIX, RECENT),
        "transactions": _pool.submit(_query, customer_id, TXN_PREFIX, RECENT),
        "cases": _pool.submit(_query, customer_id, CASE_PREFIX, MAX_CASES, False),
    }
    return {name: job.result() for name, job in jobs.items()}


def view(customer_id: str) -> dict[str, Any]:
    """``GET /v1/agent/members/{customer_id}`` (follows a merged customer to the survivor: one more round)."""
    seen: set[str] = set()
    while True:
        if customer_id in seen:
            raise AppError("not_found")
        seen.add(customer_id)
        found = _read_all(customer_id)
        items: store.MemberItems = found["member"]
        if items.profile is None:
            raise AppError("not_found")
        alias = items.profile.merged_into or (items.state.merged_into if items.state else None)
        if not alias:
            break
        customer_id = alias
    profile = items.profile
    on = store.today()
    now = clock.now()
    tier = points.tier_view(items, on)
    cases = [FollowUpCaseItem.from_raw_data(r) for r in found["cases"]]
    counts = {s: sum(1 for c in cases if c.status == s) for s in followups.STATUSES}
    open_cases = sorted((c for c in cases if c.status != "resolved"), key=lambda c: c.opened_at)
    return {
        "customer_id": profile.customer_id,
        "profile": {
            **members.profile_view(profile),
            "created_at": profile.created_at,
            "created_channel": profile.created_channel,
        },
        "tier": tier["tier"],
        "tier_progress": tier["tier_progress"],
        "points": points.points_summary(items, on),
        "ledger": [store.entry_view(LedgerEntryItem.from_raw_data(r)) for r in found["ledger"]],
        "redemptions": [_redemption_view(RedemptionItem.from_raw_data(r)) for r in found["redemptions"]],
        "vouchers": [_voucher_view(VoucherItem.from_raw_data(r), int(now.timestamp())) for r in found["vouchers"]],
        "transactions": [_transaction_view(TransactionItem.from_raw_data(r)) for r in found["transactions"]],
        "open_cases": [followups.summary_view(c, now) for c in open_cases],
        "case_counts": counts,
    }
