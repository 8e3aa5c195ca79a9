"""Reading and writing a member's Plus items: one Query reads the membership, its orders, the savings ledger and the
profile (``M#PLUS`` .. ``M#PROFILE`` sort in one range), following merge aliases; every change of the membership is a
put conditioned on the version read, so two changes racing cannot both pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity import directory
from chalicelib.identity.models import PROFILE_SK, CustomerItem
from chalicelib.membership.models import (
    EXPIRY_INDEX,
    MEMBERSHIP_SK,
    ORDER_PREFIX,
    SAVING_PREFIX,
    USE_SK,
    MembershipItem,
    OrderItem,
    SavingItem,
    UseItem,
)
from chalicelib.membership.rules import Membership, add_months_anchored, local

LABEL = "membership"


@dataclass
class PlusItems:
    customer_id: str
    profile: CustomerItem | None
    record: MembershipItem | None
    orders: list[OrderItem] = field(default_factory=list)
    savings: list[SavingItem] = field(default_factory=list)
    use: UseItem | None = None  # the latest Plus-only use (``M#PLUSUSE``)

    def used_since(self, moment: datetime) -> int:
        """How many things only Plus gives the member used since ``moment``: the savings lines (the multiplier's extra
        points), and a Plus-only benefit or reward (one, whatever the count: the marker keeps the latest)."""
        lines = sum(1 for s in self.savings if clock.parse(s.at) >= moment and int(s.saved_fen) > 0)
        plus_only = self.use is not None and self.use.last_at is not None and clock.parse(self.use.last_at) >= moment
        return lines + int(plus_only)

    def order(self, order_id: str) -> OrderItem | None:
        return next((o for o in self.orders if o.order_id == order_id), None)


def query_member(customer_id: str, consistent: bool) -> PlusItems:
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":pk": {"S": keys.customer_pk(customer_id)}, ":a": {"S": MEMBERSHIP_SK},
                                      ":b": {"S": PROFILE_SK}},
        "ConsistentRead": consistent,
    }
    out = PlusItems(customer_id, None, None)
    while True:
        page = client.query(**kwargs)
        add_raw(out, page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def add_raw(out: PlusItems, raws: list[dict[str, Any]]) -> PlusItems:
    """Sort raw ``M#`` items into ``out`` (the ones that are not Plus's are left out)."""
    for raw in raws:
        sk = raw["sk"]["S"]
        if sk == MEMBERSHIP_SK:
            out.record = MembershipItem.from_raw_data(raw)
        elif sk.startswith(ORDER_PREFIX):
            out.orders.append(OrderItem.from_raw_data(raw))
        elif sk.startswith(SAVING_PREFIX):
            out.savings.append(SavingItem.from_raw_data(raw))
        elif sk == USE_SK:
            out.use = UseItem.from_raw_data(raw)
        elif sk == PROFILE_SK:
            out.profile = CustomerItem.from_raw_data(raw)
    return out


def load(customer_id: str, consistent: bool = False) -> PlusItems:
    """The live member's Plus items (one Query; a merged alias adds one hop); 404 ``not_found`` if unknown."""
    return directory.follow_merged(customer_id, lambda cid: query_member(cid, consistent),
                                   lambda found: found.profile.merged_into if found.profile else None,
                                   lambda found: found.profile is not None)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def iso(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


def membership(record: MembershipItem | None) -> Membership:
    if record is None:
        return Membership()
    return Membership(kind=record.kind, plan_id=record.plan_id,  # type: ignore[arg-type]
                      started_at=_time(record.started_at), expires_at=_time(record.expires_at),
                      anchor_day=int(record.anchor_day) if record.anchor_day else None,
                      year_start=_time(record.year_start), trial_used=bool(record.trial_used))


def put_in(tx: Tx, customer_id: str, new: Membership, read: MembershipItem | None, label: str = LABEL) -> None:
    """Put ``new`` as the member's membership, conditioned on the version ``read`` (absent: still absent)."""
    ver = int(read.ver or 0) if read is not None else 0
    item = MembershipItem(
        pk=keys.customer_pk(customer_id), sk=MEMBERSHIP_SK, customer_id=customer_id, kind=new.kind,
        plan_id=new.plan_id, started_at=iso(new.started_at), expires_at=iso(new.expires_at),
        anchor_day=new.anchor_day, year_start=iso(new.year_start), trial_used=new.trial_used, ver=ver + 1,
        updated_at=clock.iso(),
    )
    if new.expires_at is not None:
        item.gsi1pk = f"{EXPIRY_INDEX}{local(new.expires_at).date().isoformat()}"
        item.gsi1sk = customer_id
    condition = MembershipItem.ver == ver if read is not None else MembershipItem.pk.does_not_exist()
    tx.put(label, item, condition)


def savings_view(held: Membership, savings: list[SavingItem], now: datetime) -> dict[str, Any]:
    """The current membership year's savings: every ledger line since the year began (refunds net it)."""
    since = held.year_start
    if since is not None:
        while since is not None and _next_year(since) <= now:
            since = _next_year(since)
    lines = [s for s in savings if since is not None and datetime.fromisoformat(s.at) >= since]
    by_kind: dict[str, int] = {}
    for line in lines:
        by_kind[line.kind] = by_kind.get(line.kind, 0) + int(line.saved_fen)
    return {"since": iso(since), "total_fen": sum(by_kind.values()),
            "items": [{"kind": k, "saved_fen": v} for k, v in sorted(by_kind.items())]}


def _next_year(moment: datetime) -> datetime:
    return add_months_anchored(moment, 12)


def view(items: PlusItems, now: datetime | None = None) -> dict[str, Any]:
    """``GET /v1/me/membership``."""
    now = now or clock.now()
    held = membership(items.record)
    return {"status": held.status(now), "plan_id": held.plan_id if held.kind == "paid" else None,
            "expires_at": iso(held.expires_at), "trial_used": held.trial_used,
            "savings": savings_view(held, items.savings, now)}
