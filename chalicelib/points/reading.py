"""Reading a member's points: the bounded member read parsed for points, the state a change is planned from, ledger
pages.

The bounded member read (``identity.member``: one Query over ``CUST#<id>`` sort keys beginning ``M#``) returns the
profile (``M#PROFILE``), the points state (``M#POINTS``) and the live buckets (``M#BUCKET#<day>``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from chalicelib.core import clock, personal_data
from chalicelib.core.dynamo import paging
from chalicelib.core.observability import logger
from chalicelib.identity import public as identity
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.points.models import (
    BUCKET_PREFIX,
    LEDGER_PREFIX,
    POINTS_SK,
    BucketItem,
    LedgerEntryItem,
    PointsStateItem,
)
from chalicelib.points.rules import PointsAccount

today = clock.today
"""The current business day (Asia/Shanghai): the core clock's."""

now_iso = clock.now_iso
"""Now as items store it: the core clock's."""


@dataclass
class MemberItems:
    """The points area's parse of the bounded member read (``identity.member``): the points state and live buckets,
    and every other ``M#`` item raw (``others``) for the areas that parse their own. ``buckets`` is None when they
    were not read (a caller that fetched only the profile and the points state, for the tier): then nothing can be
    said of them."""

    customer_id: str
    profile: CustomerItem | None
    state: PointsStateItem | None
    buckets: list[BucketItem] | None
    others: list[dict[str, Any]] = field(default_factory=list)

    @property
    def merged_into(self) -> str | None:
        """The survivor, when this customer was absorbed by a merge."""
        if self.profile is None:
            return None
        return self.profile.merged_into or (self.state.merged_into if self.state else None)

    @property
    def deletion_pending(self) -> bool:
        """The member asked for their account to be closed (``core.personal_data``): no spending, no booking."""
        return personal_data.deletion_pending(self.others)

    @classmethod
    def parse(cls, read: identity.MemberRead) -> MemberItems:
        state: PointsStateItem | None = None
        buckets: list[BucketItem] = []
        others: list[dict[str, Any]] = []
        for raw in read.items:
            sk = raw["sk"]["S"]
            if sk == PROFILE_SK:
                continue
            if sk == POINTS_SK:
                state = PointsStateItem.from_raw_data(raw)
            elif sk.startswith(BUCKET_PREFIX):
                buckets.append(BucketItem.from_raw_data(raw))
            else:
                others.append(raw)
        return cls(read.customer_id, read.profile, state, buckets, others)


def query_member(customer_id: str, consistent: bool = False) -> MemberItems:
    """The bounded member read (``identity.member.query``: one Query), parsed."""
    return MemberItems.parse(identity.query(customer_id, consistent))


T = TypeVar("T")


def follow_member(customer_id: str, read: Callable[[str], T], member_of: Callable[[T], MemberItems]) -> T:
    """``read`` the customer, then the survivor while what was read is a merged alias (the profile or the points
    state says so); 404 ``not_found`` for an unknown customer."""
    return identity.follow_merged(customer_id, read, lambda found: member_of(found).merged_into,
                                   lambda found: member_of(found).profile is not None)


def load_member(customer_id: str, consistent: bool = False) -> MemberItems:
    """The live member's items (``identity.member.load``: the bounded read, following merge aliases), parsed; 404
    ``not_found`` for an unknown customer."""
    return MemberItems.parse(identity.load(customer_id, consistent))


def _parse_day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass
class PointsState:
    """A member's points and tier state as read (see ``PointsStateItem`` for the fields)."""

    customer_id: str
    profile: CustomerItem
    balance: int
    debt: int
    seq: int
    ver: int
    last_at: str | None
    buckets: dict[date, int]
    checkin_last_day: date | None
    checkin_streak: int
    claims_open: int
    tier_stats: dict[str, dict[str, int]]
    tier_evaluation_on: date | None
    floor_code: str | None
    floor_until: date | None
    others: list[dict[str, Any]] = field(default_factory=list)  # the member's other M# items, raw (Plus status)

    @classmethod
    def from_items(cls, items: MemberItems) -> PointsState:
        assert items.profile is not None
        st = items.state
        buckets = {date.fromisoformat(b.expires_on): int(b.points) for b in items.buckets or ()}
        state = cls(
            customer_id=items.profile.customer_id,
            profile=items.profile,
            balance=int(st.points_balance) if st else 0,
            debt=int(st.points_debt) if st else 0,
            seq=int(st.points_seq or 0) if st else 0,
            ver=int(st.ver or 0) if st else 0,
            last_at=st.points_last_at if st else None,
            buckets=buckets,
            checkin_last_day=_parse_day(st.checkin_last_day) if st else None,
            checkin_streak=int(st.checkin_streak or 0) if st else 0,
            claims_open=int(st.claims_open or 0) if st else 0,
            tier_stats=dict(st.tier_stats or {}) if st else {},
            tier_evaluation_on=_parse_day(st.tier_evaluation_on) if st else None,
            floor_code=st.tier_floor_code if st else None,
            floor_until=_parse_day(st.tier_floor_until) if st else None,
            others=items.others,
        )
        if items.buckets is not None and state.balance != sum(buckets.values()):
            logger.error(
                "points state differs from its buckets",
                extra={"customer_id": state.customer_id, "balance": state.balance, "buckets": sum(buckets.values())},
            )
        return state

    @property
    def account(self) -> PointsAccount:
        return PointsAccount.from_buckets(self.buckets, debt=self.debt)


def ledger_page(customer_id: str, limit: int, cursor: str | None) -> tuple[list[LedgerEntryItem], str | None]:
    """Newest first: one Query with ``Limit`` on the ``L#`` prefix, so a page costs the same at any ledger size."""
    raw, next_cursor = paging.newest_page(customer_id, LEDGER_PREFIX, limit, cursor, consistent=True)
    return [LedgerEntryItem.from_raw_data(r) for r in raw], next_cursor






def entry_view(item: LedgerEntryItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "entry_id": item.entry_id,
        "delta": int(item.delta),
        "balance_after": int(item.balance_after),
        "kind": item.kind,
        "reference": item.reference,
        "created_at": item.created_at,
        "expires_on": item.expires_on,
    }
    if item.debt_delta or item.debt_after:
        out["debt_delta"] = int(item.debt_delta)
        out["debt_after"] = int(item.debt_after)
    if item.reason:
        out["reason"] = item.reason
    return out


def expiring_within(buckets: dict[date, int], on: date, days: int = 30) -> tuple[int, date | None]:
    due = sorted((d, p) for d, p in buckets.items() if on <= d <= on + timedelta(days=days))
    return sum(p for _, p in due), (due[0][0] if due else None)
