"""Moving points when identity merges two customers (the points ``Area.merge`` contributor)."""

from __future__ import annotations

from datetime import date

from pynamodb.expressions.update import Action

from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity.public import CustomerItem
from chalicelib.points import planning, reading, tier_standing
from chalicelib.points.models import PointsStateItem
from chalicelib.points.planning import Plan
from chalicelib.points.reading import PointsState
from chalicelib.points.rules import Change, LedgerEntry, PointsAccount

# --- merges -------------------------------------------------------------------------------------------------------


def _combined(survivor: PointsState, absorbed: PointsState) -> tuple[PointsAccount, LedgerEntry, Change]:
    """The survivor's account after taking the absorbed points and debt (debt repaid soonest-expiring first)."""
    merged: dict[date, int] = dict(survivor.buckets)
    for day, pts in absorbed.buckets.items():
        merged[day] = merged.get(day, 0) + pts
    debt = survivor.debt + absorbed.debt
    repay = min(debt, sum(merged.values()))
    left = repay
    for day in sorted(merged):
        used = min(left, merged[day])
        merged[day] -= used
        left -= used
    account = PointsAccount.from_buckets(merged, debt=debt - repay)
    entry = LedgerEntry(
        "merge_in", absorbed.balance - repay, account.balance, reference=f"merge:{absorbed.customer_id}",
        debt_delta=absorbed.debt - repay, debt_after=account.debt,
    )
    days = sorted(set(survivor.buckets) | set(absorbed.buckets))
    deltas = tuple(
        (d, merged.get(d, 0) - survivor.buckets.get(d, 0))
        for d in days
        if merged.get(d, 0) != survivor.buckets.get(d, 0)
    )
    return account, entry, Change(account, (entry,), deltas)


def merge_contributor(tx: Tx, absorbed: CustomerItem, survivor: CustomerItem) -> None:
    """``Area.merge`` of points: move the absorbed balance, buckets, debt and tier stats to the survivor,
    with a ``merge_out`` entry on the absorbed ledger and a ``merge_in`` entry on the survivor's, in the merge
    transaction. Both points states are conditioned on the version read here."""
    a_items = reading.query_member(absorbed.customer_id, consistent=True)
    s_items = reading.query_member(survivor.customer_id, consistent=True)
    if a_items.profile is None or s_items.profile is None:
        return
    a_state = PointsState.from_items(a_items)
    s_state = PointsState.from_items(s_items)
    moved = a_state.balance or a_state.debt or a_state.buckets
    a_change = None
    if moved:
        out_entry = LedgerEntry(
            "merge_out", -a_state.balance, 0, reference=f"merge:{survivor.customer_id}",
            debt_delta=-a_state.debt, debt_after=0,
        )
        a_change = Change(PointsAccount(), (out_entry,), tuple((d, -p) for d, p in sorted(a_state.buckets.items())))
    a_plan = Plan(
        a_change,
        [PointsStateItem.merged_into.set(survivor.customer_id), PointsStateItem.tier_stats.set({})],
    )
    planning.build_tx(a_state, a_plan, tx)
    if not (moved or a_state.tier_stats or a_state.claims_open):
        return
    stats = dict(s_state.tier_stats)
    for month, row in a_state.tier_stats.items():
        for key, value in row.items():
            stats = tier_standing.stats_with(
                stats, month, **{{"s": "spend", "o": "orders", "p": "points"}[key]: int(value)}, on=reading.today()
            )
    s_actions: list[Action] = [PointsStateItem.tier_stats.set(stats)]
    if a_state.claims_open:
        s_actions.append(PointsStateItem.claims_open.add(a_state.claims_open))
    s_change = _combined(s_state, a_state)[2] if moved else None
    planning.build_tx(s_state, Plan(s_change, s_actions), tx)
