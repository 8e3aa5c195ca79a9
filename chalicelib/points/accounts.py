"""Points use cases: the member's balance and ledger, check-ins, earning and spending for other areas,
admin adjustments, and moving points when two customers merge.

Every change goes through ``points_store.execute``: one consistent read, one transaction (ledger entries,
buckets, the points state and the caller's items), planned again on a race. Rules of the points themselves
(buckets, soonest-expiring first, debt) are in ``chalicelib.points.rules``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.core import idempotency, results, services
from chalicelib.core.area import Section360
from chalicelib.core.calendar import points_expiry
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.identity.public import CustomerItem
from chalicelib.points import approvals, bookkeeping, programme, tiers
from chalicelib.points.bookkeeping import MemberItems, Outcome, Plan, PointsState
from chalicelib.points.checkin import AlreadyCheckedIn, next_checkin
from chalicelib.points.models import (
    LEDGER_PREFIX,
    TIEREVAL_SK,
    AdjustmentItem,
    ApprovalItem,
    LedgerEntryItem,
    PointsStateItem,
    TierEvalItem,
)
from chalicelib.points.rules import Change, InsufficientPoints, LedgerEntry, PointsAccount

EXPIRING_WINDOW_DAYS = 30


def expiry_for(on: date) -> date:
    return points_expiry(on, programme.current().settings.expiry_horizon_months)


# --- reading ------------------------------------------------------------------------------------------------------


def live_buckets(items: MemberItems, on: date) -> dict[date, int]:
    """Buckets still usable on ``on`` (a bucket due yesterday is gone even before the nightly job ran)."""
    assert items.buckets is not None, "read the member's buckets (bookkeeping.query_member) to list them"
    buckets = {date.fromisoformat(b.expires_on): int(b.points) for b in items.buckets}
    return {d: p for d, p in sorted(buckets.items()) if d >= on and p > 0}


def points_summary(items: MemberItems, on: date | None = None) -> dict[str, Any]:
    on = on or bookkeeping.today()
    buckets = live_buckets(items, on)
    expiring, first = bookkeeping.expiring_within(buckets, on, EXPIRING_WINDOW_DAYS)
    debt = int(items.state.points_debt) if items.state else 0
    return {
        "balance": sum(buckets.values()),
        "debt": debt,
        "buckets": [{"points": p, "expires_on": d.isoformat()} for d, p in buckets.items()],
        "expiring": {"points": expiring, "on": first.isoformat() if first else None},
    }


def balance_view(customer_id: str) -> dict[str, Any]:
    """``GET /v1/me/points``: one Query (strongly consistent: a member who just earned sees it)."""
    return points_summary(bookkeeping.load_member(customer_id, consistent=True))


def held_tier(items: MemberItems, on: date | None = None) -> tiers.TierDefinition:
    """The tier the member holds today, exactly as ``GET /v1/me`` shows it: an upgrade at once, a downgrade due
    today counted, never below an active floor. Every area that restricts by tier asks this (benefits, rewards,
    birthday privileges, the follow-up queue's priority)."""
    return bookkeeping.tier_decision(bookkeeping.PointsState.from_items(items), programme.current(),
                                     on or bookkeeping.today()).tier


def tier_view(items: MemberItems, on: date | None = None) -> dict[str, Any]:
    """The tier the member holds today (upgrade at once, downgrade on the evaluation date, floors) and progress."""
    on = on or bookkeeping.today()
    config = programme.current()
    assert items.profile is not None
    state = bookkeeping.PointsState.from_items(items)
    decision = bookkeeping.tier_decision(state, config, on)
    values = bookkeeping.metric_values(state.tier_stats, on)
    progress = tiers.tier_progress(config.tiers, decision.tier.code, values)
    return {
        "tier": {"code": decision.tier.code, "name": decision.tier.name, "badge": decision.tier.badge},
        "tier_progress": progress.as_dict(),
        "metric_values": values,
        "evaluation_on": state.tier_evaluation_on.isoformat() if state.tier_evaluation_on else None,
    }


def ledger(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /v1/me/points/ledger``: one Query, newest first."""
    entries, next_cursor = bookkeeping.ledger_page(customer_id, limit, cursor)
    return {"items": [bookkeeping.entry_view(e) for e in entries], "next_cursor": next_cursor}


# --- earning and spending (also for other areas: events, surveys, redemptions, compensation) -------------------

Extra = Callable[[Tx, PointsState], None]
# Given the member's profile as read: the profile actions to add to the change and their condition (or None: none).
ProfileUpdate = Callable[[CustomerItem], tuple[list[Action], Condition | None] | None]


def _with_extra(plan: Plan, extra: Extra | None, state: PointsState) -> Plan:
    if extra is not None:
        previous = plan.add

        def add(tx: Tx) -> None:
            if previous is not None:
                previous(tx)
            extra(tx, state)

        plan.add = add
    return plan


def earn(
    customer_id: str,
    points: int,
    *,
    kind: str,
    reference: str | None,
    channel: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    extra: Extra | None = None,
    profile: ProfileUpdate | None = None,
) -> Outcome:
    """Credit ``points`` (expiring at the configured horizon); ``extra`` adds the caller's items to the same
    transaction (a failing condition there comes back as ``TxCancelled`` with the caller's labels); ``profile``
    changes the member's profile in it too, given the profile read (e.g. the tags an event gives, with the consent it
    needs as the condition: a consent withdrawn meanwhile makes the change planned again from a fresh read)."""
    on = bookkeeping.today()
    expires_on = expiry_for(on)

    def plan(state: PointsState) -> Plan:
        change = state.account.earn(points, expires_on, kind=kind, reference=reference, today=on)
        stats = bookkeeping.stats_with(state.tier_stats, bookkeeping.month_key(on), points=points, on=on)
        result = Plan(change, [PointsStateItem.tier_stats.set(stats)], entry_fields=_fields(channel, actor, reason))
        bookkeeping.add_tier_update(result, state, programme.current(), on, stats)
        if profile is not None:
            wanted = profile(state.profile)
            if wanted is not None:
                actions, condition = wanted
                result.profile_actions.extend(actions)
                result.profile_condition = condition
        return _with_extra(result, extra, state)

    return bookkeeping.execute(customer_id, plan)


def spend(
    customer_id: str,
    points: int,
    *,
    kind: str = "redemption",
    reference: str | None,
    channel: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    extra: Extra | None = None,
) -> Outcome:
    """Debit ``points`` soonest-expiring first; 409 ``insufficient_points`` if the balance is short."""
    on = bookkeeping.today()

    def plan(state: PointsState) -> Plan:
        try:
            change = state.account.spend(points, kind=kind, reference=reference, today=on)
        except InsufficientPoints as exc:
            raise AppError(
                "insufficient_points", details=[{"field": "points", "issue": f"balance is {exc.balance}"}]
            ) from None
        return _with_extra(Plan(change, entry_fields=_fields(channel, actor, reason)), extra, state)

    return bookkeeping.execute(customer_id, plan)


def take_back(customer_id: str, reversals: tuple[services.Reversal, ...], *, actor: str | None = None,
              reason: str | None = None, extra: Extra | None = None) -> Outcome:
    """Reverse what a voided service earned (``core.services.Reversal``s), as a refund does: what the member holds is
    debited soonest-expiring first, the rest becomes debt (the balance never goes below zero); each reversal leaves its
    month's tier metric. ``extra`` adds the caller's items to the same transaction (written even with nothing to take
    back)."""
    on = bookkeeping.today()

    def plan(state: PointsState) -> Plan:
        change: Change | None = None
        stats = state.tier_stats
        for rev in reversals:
            if rev.points <= 0:
                continue
            step = (change.account if change is not None else state.account).reverse(
                rev.points, kind=rev.kind, reference=rev.reference, today=on if change is None else None)
            change = step if change is None else change.then(step)
            stats = bookkeeping.stats_with(stats, rev.month, points=-rev.points, on=on)
        result = Plan(change, entry_fields=_fields(None, actor, reason))
        if change is not None:
            result.state_actions.append(PointsStateItem.tier_stats.set(stats))
            bookkeeping.add_tier_update(result, state, programme.current(), on, stats)
        return _with_extra(result, extra, state)

    return bookkeeping.execute(customer_id, plan)


def _fields(channel: str | None, actor: str | None, reason: str | None) -> dict[str, Any]:
    return {k: v for k, v in (("channel", channel), ("actor", actor), ("reason", reason)) if v}


# --- check-in ----------------------------------------------------------------------------------------------------


def check_in(customer_id: str, channel: str | None) -> dict[str, Any]:
    """Once per Shanghai day. Two taps at once: both plan from the same version, one commits, the other plans
    again, sees today's check-in and answers 409 ``already_checked_in``."""
    config = programme.current()
    on = bookkeeping.today()
    expires_on = expiry_for(on)

    def plan(state: PointsState) -> Plan:
        try:
            awarded, streak = next_checkin(state.checkin_last_day, state.checkin_streak, on, config.settings.checkin)
        except AlreadyCheckedIn:
            raise AppError("already_checked_in") from None
        change = state.account.earn(awarded, expires_on, kind="check_in", reference=f"check_in:{on}", today=on)
        stats = bookkeeping.stats_with(state.tier_stats, bookkeeping.month_key(on), points=awarded, on=on)
        result = Plan(
            change,
            [
                PointsStateItem.checkin_last_day.set(on.isoformat()),
                PointsStateItem.checkin_streak.set(streak),
                PointsStateItem.tier_stats.set(stats),
            ],
            entry_fields=_fields(channel, None, None),
            result=(awarded, streak),
        )
        bookkeeping.add_tier_update(result, state, config, on, stats)
        return result

    outcome = bookkeeping.execute(customer_id, plan)
    awarded, streak = outcome.plan.result
    return {
        "points_awarded": awarded,
        "streak_days": streak,
        "checked_in_on": on.isoformat(),
        "balance_after": outcome.balance_after,
    }


# --- admin adjustments --------------------------------------------------------------------------------------------


ADJUST_SCOPE = "POST /v1/admin/points/adjustments"


def adjustment_view(item: AdjustmentItem) -> dict[str, Any]:
    return {
        "adjustment_id": item.adjustment_id,
        "customer_id": item.customer_id,
        "delta": int(item.delta),
        "reason": item.reason,
        "balance_after": int(item.balance_after),
        "created_by": item.created_by,
        "created_at": item.created_at,
    }


def adjust(
    customer_id: str, delta: int, reason: str, staff_id: str, idempotency_key: str | None = None,
    staff_role: str = "admin",
) -> Result:
    """An admin's correction with a reason; who, what and when stay on the ledger entry and an ``ADJ#`` record.

    With an ``Idempotency-Key`` (the shared mechanism, the record kept under the admin's own partition, so a key
    names one adjustment whichever member it was for) a repeat replays the first adjustment and the same key with
    another body is 422.
    """
    req = None
    if idempotency_key:
        req = idempotency.Request(keys.staff_pk(staff_id), ADJUST_SCOPE, idempotency_key, idempotency.hash_payload(
            {"customer_id": customer_id, "delta": delta, "reason": reason}))
        stored = idempotency.get(req)
        if stored is not None:
            return idempotency.replay_response(stored)
    adjustment_id = "adj_" + secrets.token_hex(12)
    if approvals.needs_approval(delta):  # maker-checker: a second staff member approves it first (202)
        return approvals.ask("adjustment", customer_id, delta, reason, staff_id, staff_role, adjustment_id, req=req)
    return _apply_adjustment(customer_id, delta, reason, staff_id, adjustment_id, req)


def execute_approved(approval: ApprovalItem, decide: Callable[[Tx], object]) -> dict[str, Any]:
    """Run an approved adjustment: ``decide`` adds the approval's own conditional update to the same transaction."""
    result = _apply_adjustment(approval.customer_id, int(approval.points), approval.reason, approval.maker,
                               approval.reference, None, decide)
    return {"balance_after": int(result.body["balance_after"])}


def _apply_adjustment(customer_id: str, delta: int, reason: str, staff_id: str, adjustment_id: str,
                      req: idempotency.Request | None, decide: Callable[[Tx], object] | None = None) -> Result:
    on = bookkeeping.today()
    expires_on = expiry_for(on)

    def plan(state: PointsState) -> Plan:
        if delta > 0:
            change = state.account.earn(delta, expires_on, kind="adjustment", reference=adjustment_id, today=on)
        else:
            try:
                change = state.account.spend(-delta, kind="adjustment", reference=adjustment_id, today=on)
            except InsufficientPoints as exc:
                raise AppError(
                    "insufficient_points", details=[{"field": "delta", "issue": f"balance is {exc.balance}"}]
                ) from None
        at = bookkeeping.now_iso()
        record = AdjustmentItem(
            pk=f"ADJ#{adjustment_id}", sk="ADJ", adjustment_id=adjustment_id, customer_id=state.customer_id,
            delta=delta, reason=reason, created_by=staff_id, created_at=at, balance_after=change.account.balance,
            gsi1pk="ADJLOG", gsi1sk=f"{at}#{adjustment_id}",
        )

        def add(tx: Tx) -> None:
            tx.put("adjustment", record, AdjustmentItem.pk.does_not_exist())
            if req is not None:
                idempotency.record_in(tx, req, "created", adjustment_view(record))
            if decide is not None:
                decide(tx)

        return Plan(change, entry_fields={"actor": staff_id, "reason": reason}, add=add, result=record)

    try:
        outcome = bookkeeping.execute(customer_id, plan)
    except TxCancelled as exc:
        if req is not None and idempotency.LABEL in exc.failed:
            return idempotency.replay_after_race(req)
        raise
    logger.info(
        "points adjusted",
        extra={"customer_id": customer_id, "delta": delta, "staff_id": staff_id, "adjustment_id": adjustment_id},
    )
    return results.created(adjustment_view(outcome.plan.result))


def list_adjustments(limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first, from the ``ADJLOG`` partition of ``gsi1`` (the audit trail of adjustments)."""
    start = None
    if cursor:
        sk = paging.decode_cursor(cursor, "")
        start = {"pk": f"ADJ#{sk.rsplit('#', 1)[-1]}", "sk": "ADJ", "gsi1pk": "ADJLOG", "gsi1sk": sk}
    raw, more = paging.index_page("gsi1", "ADJLOG", limit, ascending=False, start=start)
    items = [AdjustmentItem.from_raw_data(r) for r in raw]
    return {
        "items": [adjustment_view(i) for i in items],
        "next_cursor": paging.encode_cursor(items[-1].gsi1sk) if more and items else None,
    }


# --- tier floors ---------------------------------------------------------------------------------------------------


def set_tier_floor(customer_id: str, tier_code: str | None, until: date | None, staff_id: str) -> dict[str, Any]:
    """Hold a member at ``tier_code`` at least, through ``until`` (inclusive; None: no end). ``tier_code`` None
    removes the floor; the member's tier is then evaluated the next day (the floor never outlives its end)."""
    config = programme.current()
    on = bookkeeping.today()
    if tier_code is not None and tier_code not in {t.code for t in config.tiers}:
        raise AppError("validation_error", details=[{"field": "tier_code", "issue": "unknown tier"}])
    if until is not None and until < on:
        raise AppError("validation_error", details=[{"field": "until", "issue": "must not be in the past"}])

    def plan(state: PointsState) -> Plan:
        floor_attr, until_attr = PointsStateItem.tier_floor_code, PointsStateItem.tier_floor_until
        result = Plan(state_actions=[PointsStateItem.tier_floor_set_by.set(staff_id)])
        if tier_code is None:
            result.state_actions += [floor_attr.remove(), until_attr.remove()]
            if state.floor_code:
                tomorrow = on + timedelta(days=1)
                _schedule_evaluation(result, state, min(state.tier_evaluation_on or tomorrow, tomorrow))
            return result
        result.state_actions.append(floor_attr.set(tier_code))
        result.state_actions.append(until_attr.set(until.isoformat()) if until else until_attr.remove())
        state.floor_code, state.floor_until = tier_code, until
        bookkeeping.add_tier_update(result, state, config, on)
        return result

    outcome = bookkeeping.execute(customer_id, plan)
    logger.info("tier floor set", extra={"customer_id": customer_id, "tier_code": tier_code, "staff_id": staff_id})
    items = bookkeeping.load_member(outcome.state.customer_id, consistent=True)
    floor = {"tier_code": tier_code, "until": until.isoformat() if until else None}
    return {"customer_id": outcome.state.customer_id, "floor": floor, **tier_view(items, on)}


def _schedule_evaluation(plan: Plan, state: PointsState, on: date) -> None:
    plan.state_actions.append(PointsStateItem.tier_evaluation_on.set(on.isoformat()))
    item = TierEvalItem(
        pk=keys.customer_pk(state.customer_id), sk=TIEREVAL_SK, customer_id=state.customer_id,
        evaluation_on=on.isoformat(), gsi1pk=f"TIEREVAL#{on.isoformat()}", gsi1sk=state.customer_id,
    )
    plan.add = lambda tx: tx.put("tier_eval", item)


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
    a_items = bookkeeping.query_member(absorbed.customer_id, consistent=True)
    s_items = bookkeeping.query_member(survivor.customer_id, consistent=True)
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
    bookkeeping.build_tx(a_state, a_plan, tx)
    if not (moved or a_state.tier_stats or a_state.claims_open):
        return
    stats = dict(s_state.tier_stats)
    for month, row in a_state.tier_stats.items():
        for key, value in row.items():
            stats = bookkeeping.stats_with(
                stats, month, **{{"s": "spend", "o": "orders", "p": "points"}[key]: int(value)}, on=bookkeeping.today()
            )
    s_actions: list[Action] = [PointsStateItem.tier_stats.set(stats)]
    if a_state.claims_open:
        s_actions.append(PointsStateItem.claims_open.add(a_state.claims_open))
    s_change = _combined(s_state, a_state)[2] if moved else None
    bookkeeping.build_tx(s_state, Plan(s_change, s_actions), tx)


RECENT_360 = 10


def _render_360(ledger: list[dict[str, Any]], member: MemberItems, _now: Any) -> dict[str, Any]:
    on = bookkeeping.today()
    tier = tier_view(member, on)
    return {"tier": tier["tier"], "tier_progress": tier["tier_progress"], "points": points_summary(member, on),
            "ledger": [bookkeeping.entry_view(LedgerEntryItem.from_raw_data(r)) for r in ledger]}


member_360 = Section360(read=lambda customer_id: paging.newest(customer_id, LEDGER_PREFIX, RECENT_360),
                        render=_render_360)
