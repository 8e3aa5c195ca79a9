"""The points store: reads a member's points state in one Query and writes every change in one transaction.

Reading: the bounded member read (``identity.member``: one Query over ``CUST#<id>`` sort keys beginning ``M#``)
returns the profile (``M#PROFILE``), the points state (``M#POINTS``) and the live buckets (``M#BUCKET#<day>``).

Writing (``execute``): a *planner* turns the state into a ``Plan`` (usually a ``domain.points.Change`` plus
extra items such as the order); the plan becomes one TransactWriteItems with

* the ledger entries (``L#<at>#<seq>``, put if absent: entries are never overwritten),
* the buckets that moved (put with their new value, deleted at zero),
* the points state (new balance, debt, sequence), conditioned on the version read,
* the caller's items (order, claim, audit record...), with their own conditions.

If another change of the same member committed in between, the version condition fails and the whole plan
is made again from a fresh read (a few tries, with jittered backoff). So balance = sum of buckets = sum of
ledger deltas holds after every commit, and no two changes are computed from the same balance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta
from typing import Any, TypeVar

from pynamodb.expressions.condition import Condition

from chalicelib.core import clock, kpis, personal_data
from chalicelib.core.calendar import add_months, business_day
from chalicelib.core.dynamo import paging, retry
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger
from chalicelib.identity import public as identity
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.points import tiers
from chalicelib.points.models import (
    BUCKET_PREFIX,
    LEDGER_PREFIX,
    POINTS_SK,
    TIEREVAL_SK,
    BucketItem,
    LedgerEntryItem,
    PointsStateItem,
    TierEvalItem,
)
from chalicelib.points.programme import PointsConfig
from chalicelib.points.rules import SPEND_KINDS, Change, PointsAccount

MAX_ATTEMPTS = 12
RETRY_LABELS = frozenset({"points", "profile"})
STATS_MONTHS = 12




def today() -> date:
    """The current business day (Asia/Shanghai)."""
    return business_day(clock.now())


def now_iso() -> str:
    return clock.iso(clock.now().astimezone(UTC))


# --- reading ---------------------------------------------------------------------------------------------------


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


# --- tiers -----------------------------------------------------------------------------------------------------


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window_months(day: date, months: int = STATS_MONTHS) -> list[str]:
    """The month of ``day`` and the ``months - 1`` before it: the rolling window of tier metrics."""
    return [month_key(add_months(day.replace(day=1), -i)) for i in range(months)]


def stats_with(
    stats: dict[str, dict[str, int]], month: str, *, spend: int = 0, orders: int = 0, points: int = 0, on: date
) -> dict[str, dict[str, int]]:
    """``stats`` plus one change in ``month`` (never below zero), pruned to the months that can still count."""
    keep = set(window_months(on, STATS_MONTHS + 1))
    out = {m: dict(v) for m, v in stats.items() if m in keep}
    if month in keep:
        row = out.setdefault(month, {"s": 0, "o": 0, "p": 0})
        row["s"] = max(0, int(row.get("s", 0)) + spend)
        row["o"] = max(0, int(row.get("o", 0)) + orders)
        row["p"] = max(0, int(row.get("p", 0)) + points)
    return out


def metric_values(stats: dict[str, dict[str, int]], on: date) -> dict[str, int]:
    months = window_months(on)
    rows = [stats.get(m) or {} for m in months]
    return {
        "spend_12m_fen": sum(int(r.get("s", 0)) for r in rows),
        "orders_12m": sum(int(r.get("o", 0)) for r in rows),
        "points_12m": sum(int(r.get("p", 0)) for r in rows),
    }


def tier_decision(
    state: PointsState, config: PointsConfig, on: date, stats: dict[str, dict[str, int]] | None = None
) -> tiers.TierDecision:
    """The tier ``state`` holds on ``on`` given its (possibly updated) stats: upgrade at once, downgrade only on
    the evaluation date, never below an active floor."""
    catalogue = config.tiers
    current = config.tier(state.profile.tier_code)
    qualified = tiers.qualified_tier(catalogue, metric_values(state.tier_stats if stats is None else stats, on))
    floor = config.tier(state.floor_code) if state.floor_code else None
    evaluation_on = state.tier_evaluation_on or date.max
    return tiers.evaluate(current, qualified, on, evaluation_on, floor, state.floor_until)


# --- writing ---------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What one change writes. ``change`` carries the ledger entries and bucket moves; the rest is extra."""

    change: Change | None = None
    state_actions: list[Any] = field(default_factory=list)
    profile_actions: list[Any] = field(default_factory=list)
    profile_condition: Condition | None = None  # ANDed to the profile update's (only with ``profile_actions``)
    add: Callable[[Tx], object] | None = None
    entry_fields: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    write: bool = True


@dataclass
class Outcome:
    plan: Plan
    state: PointsState
    entries: list[LedgerEntryItem]

    @property
    def balance_after(self) -> int:
        change = self.plan.change
        return change.account.balance if change is not None else self.state.balance


def add_tier_update(
    plan: Plan, state: PointsState, config: PointsConfig, on: date, stats: dict[str, dict[str, int]] | None = None
) -> tiers.TierDecision:
    """Add to ``plan`` what the tier decision on ``on`` changes (held tier, next evaluation date)."""
    decision = tier_decision(state, config, on, stats)
    next_on = None if decision.next_evaluation == date.max else decision.next_evaluation
    if decision.tier.code != state.profile.tier_code:
        plan.profile_actions.append(CustomerItem.tier_code.set(decision.tier.code))
        logger.info(
            "tier changed",
            extra={"customer_id": state.customer_id, "from": state.profile.tier_code, "to": decision.tier.code,
                   "reason": decision.reason},
        )
    if next_on != state.tier_evaluation_on and next_on is not None:
        plan.state_actions.append(PointsStateItem.tier_evaluation_on.set(next_on.isoformat()))
        previous = plan.add

        def put_eval(tx: Tx) -> None:
            if previous is not None:
                previous(tx)
            tx.put(
                "tier_eval",
                TierEvalItem(
                    pk=customer_pk(state.customer_id), sk=TIEREVAL_SK, customer_id=state.customer_id,
                    evaluation_on=next_on.isoformat(), gsi1pk=f"TIEREVAL#{next_on.isoformat()}",
                    gsi1sk=state.customer_id,
                ),
            )

        plan.add = put_eval
    return decision


def _version_condition(state: PointsState) -> Condition:
    version = PointsStateItem.ver == state.ver if state.ver else PointsStateItem.ver.does_not_exist()
    condition: Condition = version & PointsStateItem.merged_into.does_not_exist()
    return condition


def build_tx(state: PointsState, plan: Plan, tx: Tx | None = None) -> tuple[Tx, list[LedgerEntryItem]]:
    tx = tx or Tx()
    pk = customer_pk(state.customer_id)
    at = now_iso()
    if state.last_at and state.last_at > at:  # a clock behind the last entry: keep the ledger in order
        at = state.last_at
    entries: list[LedgerEntryItem] = []
    seq = state.seq
    balance, debt = state.balance, state.debt
    change = plan.change
    if change is not None:
        for entry in change.entries:
            seq += 1
            item = LedgerEntryItem(
                pk=pk,
                sk=f"{LEDGER_PREFIX}{at}#{seq:010d}",
                customer_id=state.customer_id,
                entry_id=f"E{seq:010d}",
                seq=seq,
                kind=entry.kind,
                delta=entry.delta,
                balance_after=entry.balance_after,
                debt_delta=entry.debt_delta,
                debt_after=entry.debt_after,
                reference=entry.reference,
                expires_on=entry.expires_on.isoformat() if entry.expires_on else None,
                created_at=at,
                **plan.entry_fields,
            )
            tx.put(f"entry:{seq}", item, LedgerEntryItem.pk.does_not_exist())
            entries.append(item)
        live = {b.expires_on: b.points for b in change.account.buckets}
        for day, _delta in change.bucket_deltas:
            bucket = BucketItem(
                pk=pk, sk=f"{BUCKET_PREFIX}{day.isoformat()}", customer_id=state.customer_id,
                expires_on=day.isoformat(), points=live.get(day, 0), gsi1pk=f"EXPIRY#{day.isoformat()}",
                gsi1sk=state.customer_id,
            )
            if live.get(day, 0) > 0:
                tx.put(f"bucket:{day}", bucket)
            else:
                tx.delete(f"bucket:{day}", bucket)
        balance, debt = change.account.balance, change.account.debt
    actions = [
        PointsStateItem.customer_id.set(state.customer_id),
        PointsStateItem.points_balance.set(balance),
        PointsStateItem.points_debt.set(debt),
        PointsStateItem.points_seq.set(seq),
        PointsStateItem.ver.set(state.ver + 1),
        PointsStateItem.updated_at.set(at),
        *plan.state_actions,
    ]
    if entries:
        actions.append(PointsStateItem.points_last_at.set(at))
    tx.update("points", PointsStateItem(pk=pk, sk=POINTS_SK), actions, _version_condition(state))
    if plan.profile_actions:
        condition = CustomerItem.pk.exists() & CustomerItem.merged_into.does_not_exist()
        if plan.profile_condition is not None:
            condition &= plan.profile_condition
        tx.update("profile", CustomerItem(pk=pk, sk=PROFILE_SK), plan.profile_actions, condition)
    if plan.add is not None:
        plan.add(tx)
    if entries:
        moves = [(e.kind, int(e.delta)) for e in entries]
        tx.after_commit(lambda: kpis.count_points(moves, SPEND_KINDS))
    return tx, entries


def execute(customer_id: str, planner: Callable[[PointsState], Plan], max_attempts: int = MAX_ATTEMPTS) -> Outcome:
    """Read the member (consistently), plan, and commit in one transaction; again from a fresh read on a race.

    A failing condition of the caller's own items (labels other than ``points``/``profile``) is raised to the
    caller as ``TxCancelled``; running out of attempts is 503 ``service_unavailable``.
    """
    for attempt in retry.attempts(max_attempts):
        items = load_member(customer_id, consistent=True)
        state = PointsState.from_items(items)
        plan = planner(state)
        if not plan.write:
            return Outcome(plan, state, [])
        tx, entries = build_tx(state, plan)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.conflict or exc.failed & RETRY_LABELS:
                logger.debug("points change raced, planning again", extra={"attempt": attempt})
                continue
            raise
        return Outcome(plan, state, entries)
    retry.give_up("points change", customer_id=customer_id)


# --- ledger pages ------------------------------------------------------------------------------------------------






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
