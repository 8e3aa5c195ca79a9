"""What one points change writes (``Plan``) and its transaction (``build_tx``).

The plan becomes one TransactWriteItems (its own, or the caller's ``Tx``) with

* the ledger entries (``L#<at>#<seq>``, put if absent: entries are never overwritten),
* the buckets that moved (put with their new value, deleted at zero),
* the points state (new balance, debt, sequence), conditioned on the version read,
* the caller's items (order, claim, audit record...), with their own conditions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.core import kpis
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.observability import logger
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
from chalicelib.points.reading import PointsState, now_iso
from chalicelib.points.rules import SPEND_KINDS, Change
from chalicelib.points.tier_standing import tier_decision


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
