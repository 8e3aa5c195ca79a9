"""Points' front door: the held tier, the points of a member read, earning and spending, expiry, the tier catalogue.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.points import (
    approvals,
    committing,
    earn_and_spend,
    member_views,
    models,
    planning,
    programme,
    reading,
    rules,
    schemas,
    tier_standing,
    tiers,
)

earn = earn_and_spend.earn
"""Credit points to a member in a transaction of its own (the caller may add items to it)."""

earn_in = earn_and_spend.earn_in
"""Add a credit of points to the caller's transaction, planned from the member state the caller read."""

expiry_for = earn_and_spend.expiry_for
"""When points earned on a day expire."""

held_tier = member_views.held_tier
"""The tier a member holds today, as ``GET /v1/me`` shows it."""

points_summary = member_views.points_summary
"""A member's balance, debt and what expires next, from a member read."""

spend = earn_and_spend.spend
"""Debit points, soonest-expiring first; 409 ``insufficient_points`` when the balance is short."""

spend_in = earn_and_spend.spend_in
"""Add a debit of points (soonest-expiring first) to the caller's transaction; 409 when the balance is short."""

take_back = earn_and_spend.take_back
"""Reverse what a voided service earned, as a refund does."""

tier_view = member_views.tier_view
"""The held tier and the progress to the next, from a member read."""

ask = approvals.ask
"""Ask for a second staff member's approval (maker-checker): 202, nothing moved yet."""

money_needs_approval = approvals.money_needs_approval
"""Whether a money amount needs a second staff member's approval."""

add_tier_update = planning.add_tier_update
"""Add to a plan what the tier decision of a day changes."""

build_tx = planning.build_tx
"""The transaction of a points plan (ledger entries, buckets, state, the caller's items)."""

execute = committing.execute
"""Read the member, plan, commit one transaction; again from a fresh read on a race."""

execute_with = committing.execute_with
"""Read the member, let the caller add ``earn_in``/``spend_in`` and its items to one transaction, commit, retry."""

follow_member = reading.follow_member
"""Read a customer's points items, then the survivor while what was read is a merged alias."""

load_member = reading.load_member
"""The member read, parsed for points (state and live buckets); 404 for an unknown customer."""

MemberItems = reading.MemberItems
"""Points' parse of the member read: the points state and live buckets."""

Outcome = planning.Outcome
"""What a points change wrote: its plan, the state it was planned from, the ledger entries, the balance after."""

Plan = planning.Plan
"""What one points change writes: ledger entries, bucket moves, and the caller's extra items."""

PointsState = reading.PointsState
"""A member's points and tier state as read."""

query_member = reading.query_member
"""The member read of one customer id (one Query), parsed for points."""

stats_with = tier_standing.stats_with
"""Tier statistics plus one change in a month."""

tier_decision = tier_standing.tier_decision
"""The tier a state holds on a day (upgrade at once, downgrade on the evaluation date)."""

POINTS_SK = models.POINTS_SK
"""The sort key of the points state item."""

PointsStateItem = models.PointsStateItem
"""A member's balance, debt, ledger sequence, check-in and tier state (``M#POINTS``)."""

catalogue = programme.catalogue
"""The tier catalogue in force."""

current = programme.current
"""The points programme's settings in force (cached briefly)."""

InsufficientPoints = rules.InsufficientPoints
"""Raised by a plan when the balance is short."""

LedgerEntryOut = schemas.LedgerEntryOut
"""The response model of a ledger entry."""

PointsOut = schemas.PointsOut
"""The response model of a member's points."""

TierDefinition = tiers.TierDefinition
"""One tier of the catalogue."""
