"""Earning and spending points (also for other areas: events, surveys, redemptions, partners, compensations), a
voided service taken back, and the daily check-in.

Every change goes through ``committing.execute``: one consistent read, one transaction (ledger entries, buckets,
the points state and the caller's items), planned again on a race. ``earn_in`` / ``spend_in`` instead add the
change to a caller's own transaction, planned from the state the caller read (the caller commits and retries).
Rules of the points themselves (buckets, soonest-expiring first, debt) are in ``chalicelib.points.rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.core import services
from chalicelib.core.calendar import points_expiry
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.errors import AppError
from chalicelib.identity.public import CustomerItem
from chalicelib.points import committing, planning, programme, reading, tier_standing
from chalicelib.points.checkin import AlreadyCheckedIn, next_checkin
from chalicelib.points.models import PointsStateItem
from chalicelib.points.planning import Outcome, Plan
from chalicelib.points.reading import PointsState
from chalicelib.points.rules import Change, InsufficientPoints


def expiry_for(on: date) -> date:
    return points_expiry(on, programme.current().settings.expiry_horizon_months)


# --- earning and spending (also for other areas: events, surveys, redemptions, compensation) -------------------

# Given the member's profile as read: the profile actions to add to the change and their condition (or None: none).
ProfileUpdate = Callable[[CustomerItem], tuple[list[Action], Condition | None] | None]


def earn(
    customer_id: str,
    points: int,
    *,
    kind: str,
    reference: str | None,
    channel: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    profile: ProfileUpdate | None = None,
) -> Outcome:
    """Credit ``points`` (expiring at the configured horizon) in a transaction of its own (with the caller's items:
    ``earn_in``); ``profile`` changes the member's profile in it too, given the profile read (e.g. the tags an event
    gives, with the consent it needs as the condition: a consent withdrawn meanwhile makes the change planned again
    from a fresh read)."""
    on = reading.today()
    expires_on = expiry_for(on)

    def plan(state: PointsState) -> Plan:
        return _earn_plan(state, points, kind, reference, _fields(channel, actor, reason), profile, on, expires_on)

    return committing.execute(customer_id, plan)


def spend(
    customer_id: str,
    points: int,
    *,
    kind: str = "redemption",
    reference: str | None,
    channel: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
) -> Outcome:
    """Debit ``points`` soonest-expiring first, in a transaction of its own (with the caller's items: ``spend_in``);
    409 ``insufficient_points`` if the balance is short."""
    on = reading.today()

    def plan(state: PointsState) -> Plan:
        return _spend_plan(state, points, kind, reference, _fields(channel, actor, reason), on, "points")

    return committing.execute(customer_id, plan)


def _earn_plan(state: PointsState, points: int, kind: str, reference: str | None, fields: dict[str, Any],
               profile: ProfileUpdate | None, on: date, expires_on: date, count_for_tier: bool = True) -> Plan:
    change = state.account.earn(points, expires_on, kind=kind, reference=reference, today=on)
    if not count_for_tier:
        return Plan(change, entry_fields=fields)
    stats = tier_standing.stats_with(state.tier_stats, tier_standing.month_key(on), points=points, on=on)
    result = Plan(change, [PointsStateItem.tier_stats.set(stats)], entry_fields=fields)
    planning.add_tier_update(result, state, programme.current(), on, stats)
    if profile is not None:
        wanted = profile(state.profile)
        if wanted is not None:
            actions, condition = wanted
            result.profile_actions.extend(actions)
            result.profile_condition = condition
    return result


def _spend_plan(state: PointsState, points: int, kind: str, reference: str | None, fields: dict[str, Any], on: date,
                field: str) -> Plan:
    try:
        change = state.account.spend(points, kind=kind, reference=reference, today=on)
    except InsufficientPoints as exc:
        raise AppError(
            "insufficient_points", details=[{"field": field, "issue": f"balance is {exc.balance}"}]
        ) from None
    return Plan(change, entry_fields=fields)


def earn_in(
    tx: Tx,
    state: PointsState,
    points: int,
    *,
    kind: str,
    reference: str | None,
    channel: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    profile: ProfileUpdate | None = None,
    count_for_tier: bool = True,
) -> Outcome:
    """Add to the caller's ``tx`` the credit of ``points`` to the member read as ``state`` (ledger entry, bucket,
    the points state conditioned on the version read; tier metrics and tier unless ``count_for_tier`` is False, as
    for points given back). The caller commits, and plans again from a fresh read when the labels ``points`` or
    ``profile`` fail (``committing.execute_with`` does both)."""
    on = reading.today()
    plan = _earn_plan(state, points, kind, reference, _fields(channel, actor, reason), profile, on, expiry_for(on),
                      count_for_tier)
    _tx, entries = planning.build_tx(state, plan, tx)
    return Outcome(plan, state, entries)


def spend_in(
    tx: Tx,
    state: PointsState,
    points: int,
    *,
    kind: str = "redemption",
    reference: str | None,
    channel: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    field: str = "points",
) -> Outcome:
    """Add to the caller's ``tx`` the debit of ``points``, soonest-expiring first, from the member read as ``state``;
    409 ``insufficient_points`` (naming the request's ``field``) if the balance is short. Committing and planning
    again: as ``earn_in``."""
    plan = _spend_plan(state, points, kind, reference, _fields(channel, actor, reason), reading.today(), field)
    _tx, entries = planning.build_tx(state, plan, tx)
    return Outcome(plan, state, entries)


def take_back_in(tx: Tx, state: PointsState, reversals: tuple[services.Reversal, ...], *,
                 actor: str | None = None, reason: str | None = None) -> Outcome:
    """Add to the caller's ``tx`` the reversal of what a voided service (or a refunded partner order) earned
    (``core.services.Reversal``s), as a refund does: what the member holds is debited soonest-expiring first, the rest
    becomes debt (the balance never goes below zero); each reversal leaves its month's tier metric. With nothing to
    take back, the points state is still written (its version moves), so the caller's change and any other points
    change of the member are serialised. Committing and planning again: as ``earn_in``."""
    on = reading.today()
    change: Change | None = None
    stats = state.tier_stats
    for rev in reversals:
        if rev.points <= 0:
            continue
        step = (change.account if change is not None else state.account).reverse(
            rev.points, kind=rev.kind, reference=rev.reference, today=on if change is None else None)
        change = step if change is None else change.then(step)
        stats = tier_standing.stats_with(stats, rev.month, points=-rev.points, on=on)
    plan = Plan(change, entry_fields=_fields(None, actor, reason))
    if change is not None:
        plan.state_actions.append(PointsStateItem.tier_stats.set(stats))
        planning.add_tier_update(plan, state, programme.current(), on, stats)
    _tx, entries = planning.build_tx(state, plan, tx)
    return Outcome(plan, state, entries)


def hold_in(tx: Tx, state: PointsState) -> None:
    """Add to the caller's ``tx`` the member's points state as read, its version moved and nothing else: a change
    that must not interleave with a points change of the member (a survey answered while its service is voided)
    commits only if no points change committed since ``state`` was read."""
    planning.build_tx(state, Plan(), tx)


def _fields(channel: str | None, actor: str | None, reason: str | None) -> dict[str, Any]:
    return {k: v for k, v in (("channel", channel), ("actor", actor), ("reason", reason)) if v}


# --- check-in ----------------------------------------------------------------------------------------------------


def check_in(customer_id: str, channel: str | None) -> dict[str, Any]:
    """Once per Shanghai day. Two taps at once: both plan from the same version, one commits, the other plans
    again, sees today's check-in and answers 409 ``already_checked_in``."""
    config = programme.current()
    on = reading.today()
    expires_on = expiry_for(on)

    def plan(state: PointsState) -> Plan:
        try:
            awarded, streak = next_checkin(state.checkin_last_day, state.checkin_streak, on, config.settings.checkin)
        except AlreadyCheckedIn:
            raise AppError("already_checked_in") from None
        change = state.account.earn(awarded, expires_on, kind="check_in", reference=f"check_in:{on}", today=on)
        stats = tier_standing.stats_with(state.tier_stats, tier_standing.month_key(on), points=awarded, on=on)
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
        planning.add_tier_update(result, state, config, on, stats)
        return result

    outcome = committing.execute(customer_id, plan)
    awarded, streak = outcome.plan.result
    return {
        "points_awarded": awarded,
        "streak_days": streak,
        "checked_in_on": on.isoformat(),
        "balance_after": outcome.balance_after,
    }
