"""Reading and writing a member's Plus items: one Query reads the membership, the savings total of its year and the
profile (``M#PLUS`` .. ``M#PROFILE`` sort in one range), following merge aliases; every change of the membership is a
put conditioned on the version read, so two changes racing cannot both pass.

Orders (``H#PLUSORDER#<id>``) and savings lines (``H#PLUSSAVE#<at>#<n>``) grow with the years: they are outside the
bounded member read and read by key or by their own Query (``order``, ``recent_orders``, ``lines_since``). An earlier
version kept them under ``M#`` (in the range above): those are still read from there until the migration moved
them, and the savings total falls back to summing them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.core import clock, personal_data
from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, member_layout
from chalicelib.core.dynamo.batch import batch_get
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity import public as identity
from chalicelib.identity.public import PROFILE_SK, CustomerItem, refuse_closed
from chalicelib.membership.models import (
    EXPIRY_INDEX,
    MEMBERSHIP_SK,
    OLD_ORDER_PREFIX,
    OLD_SAVING_PREFIX,
    ORDER_PREFIX,
    SAVED_SK,
    SAVING_PREFIX,
    USE_SK,
    MembershipItem,
    OrderItem,
    SavedTotalItem,
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
    orders: list[OrderItem] = field(default_factory=list)  # of the old layout (under M#), or read by load_for_order
    savings: list[SavingItem] = field(default_factory=list)  # of the old layout (under M#) only
    saved: SavedTotalItem | None = None
    use: UseItem | None = None  # the latest Plus-only use (``M#PLUSUSE``)
    deletion_pending: bool = False  # the member asked to close their account (``M#PRIVACY``, in the same range)

    def plus_only_used_since(self, moment: datetime) -> bool:
        """Whether a Plus-only benefit or reward was used since ``moment`` (the marker keeps the latest use)."""
        return self.use is not None and self.use.last_at is not None and clock.parse(self.use.last_at) >= moment

    def order(self, order_id: str) -> OrderItem | None:
        """The order, by its key (one consistent GetItem; found among the old layout's without one)."""
        old = next((o for o in self.orders if o.order_id == order_id), None)
        if old is not None:
            return old
        try:
            return OrderItem.get(keys.customer_pk(self.customer_id), f"{ORDER_PREFIX}{order_id}", consistent_read=True)
        except OrderItem.DoesNotExist:
            return None


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
        elif sk == SAVED_SK:
            out.saved = SavedTotalItem.from_raw_data(raw)
        elif sk.startswith(OLD_ORDER_PREFIX):
            out.orders.append(OrderItem.from_raw_data(raw))
        elif sk.startswith(OLD_SAVING_PREFIX):
            out.savings.append(SavingItem.from_raw_data(raw))
        elif sk == USE_SK:
            out.use = UseItem.from_raw_data(raw)
        elif sk == PROFILE_SK:
            out.profile = refuse_closed(CustomerItem.from_raw_data(raw))
        elif personal_data.deletion_pending([raw]):
            out.deletion_pending = True
    return out


def load(customer_id: str, consistent: bool = False) -> PlusItems:
    """The live member's Plus items (one Query; a merged alias adds one hop); 404 ``not_found`` if unknown."""
    return identity.follow_merged(customer_id, lambda cid: query_member(cid, consistent),
                                   lambda found: found.profile.merged_into if found.profile else None,
                                   lambda found: found.profile is not None)


def load_for_order(customer_id: str, order_id: str) -> PlusItems:
    """The live member's profile, membership and the order ``order_id`` (in either layout), in one consistent
    BatchGetItem of their keys (a merged alias adds one hop); 404 ``not_found`` if unknown."""

    def read(cid: str) -> PlusItems:
        pk = keys.customer_pk(cid)
        sks = [PROFILE_SK, MEMBERSHIP_SK, SAVED_SK, f"{ORDER_PREFIX}{order_id}", f"{OLD_ORDER_PREFIX}{order_id}"]
        found = batch_get([(pk, sk) for sk in sks])
        out = add_raw(PlusItems(cid, None, None), [raw for key, raw in found.items()
                                                    if not key[1].startswith(ORDER_PREFIX)])
        out.orders += [OrderItem.from_raw_data(raw) for key, raw in found.items() if key[1].startswith(ORDER_PREFIX)]
        return out

    return identity.follow_merged(customer_id, read,
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


def year_start(held: Membership, now: datetime) -> datetime | None:
    """When the current membership year began (None: never a member)."""
    since = held.year_start
    while since is not None and _next_year(since) <= now:
        since = _next_year(since)
    return since


def saved_by_kind(held: Membership, items: PlusItems | None, now: datetime) -> tuple[datetime | None, dict[str, int]]:
    """The current membership year's savings by kind (refunds net them): the running total when it counts this year,
    else the old layout's ledger lines since the year began."""
    since = year_start(held, now)
    if since is None or items is None:
        return since, {}
    if items.saved is not None and items.saved.since == iso(since):
        return since, {str(k): int(v) for k, v in (items.saved.by_kind or {}).items()}
    by_kind: dict[str, int] = {}
    for line in items.savings:
        if datetime.fromisoformat(line.at) >= since:
            by_kind[line.kind] = by_kind.get(line.kind, 0) + int(line.saved_fen)
    return since, by_kind


def savings_view(held: Membership, items: PlusItems | None, now: datetime) -> dict[str, Any]:
    """The current membership year's savings (see ``saved_by_kind``)."""
    since, by_kind = saved_by_kind(held, items, now)
    return {"since": iso(since), "total_fen": sum(by_kind.values()),
            "items": [{"kind": k, "saved_fen": v} for k, v in sorted(by_kind.items())]}


def recent_orders(customer_id: str, limit: int, consistent: bool = False) -> list[OrderItem]:
    """The member's newest ``limit`` orders (one Query of their own prefix; the old layout's too while migrating)."""
    raws = member_layout.newest(customer_id, ORDER_PREFIX, limit, consistent=consistent)
    return [OrderItem.from_raw_data(r) for r in raws]


def lines_since(items: PlusItems, since: datetime) -> list[SavingItem]:
    """The savings lines written since ``since`` (one Query of their key range), with the old layout's."""
    client = shared_connection().client
    start = f"{SAVING_PREFIX}{clock.iso(since.astimezone(UTC))}"
    raws = client.query(
        TableName=settings().table_name,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":pk": {"S": keys.customer_pk(items.customer_id)}, ":a": {"S": start},
                                   ":b": {"S": f"{SAVING_PREFIX}~"}},
        ConsistentRead=True,
    ).get("Items", [])
    old = [s for s in items.savings if datetime.fromisoformat(s.at) >= since]
    return [SavingItem.from_raw_data(r) for r in raws] + old


def _next_year(moment: datetime) -> datetime:
    return add_months_anchored(moment, 12)


def view(items: PlusItems, now: datetime | None = None) -> dict[str, Any]:
    """``GET /v1/me/membership``."""
    now = now or clock.now()
    held = membership(items.record)
    return {"status": held.status(now), "plan_id": held.plan_id if held.kind == "paid" else None,
            "expires_at": iso(held.expires_at), "trial_used": held.trial_used,
            "savings": savings_view(held, items, now)}
