"""Points' front door: the held tier, the points of a member read, earning and spending, expiry, the tier catalogue.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.points.approvals import (
        ask as ask,
    )
    from chalicelib.points.approvals import (
        money_needs_approval as money_needs_approval,
    )
    from chalicelib.points.committing import (
        execute as execute,
    )
    from chalicelib.points.committing import (
        execute_with as execute_with,
    )
    from chalicelib.points.earn_and_spend import (
        earn as earn,
    )
    from chalicelib.points.earn_and_spend import (
        earn_in as earn_in,
    )
    from chalicelib.points.earn_and_spend import (
        expiry_for as expiry_for,
    )
    from chalicelib.points.earn_and_spend import (
        spend as spend,
    )
    from chalicelib.points.earn_and_spend import (
        spend_in as spend_in,
    )
    from chalicelib.points.earn_and_spend import (
        take_back as take_back,
    )
    from chalicelib.points.http.member_schemas import (
        LedgerEntryOut as LedgerEntryOut,
    )
    from chalicelib.points.http.member_schemas import (
        PointsOut as PointsOut,
    )
    from chalicelib.points.member_views import (
        held_tier as held_tier,
    )
    from chalicelib.points.member_views import (
        points_summary as points_summary,
    )
    from chalicelib.points.member_views import (
        tier_view as tier_view,
    )
    from chalicelib.points.models import (
        POINTS_SK as POINTS_SK,
    )
    from chalicelib.points.models import (
        PointsStateItem as PointsStateItem,
    )
    from chalicelib.points.planning import (
        Outcome as Outcome,
    )
    from chalicelib.points.planning import (
        Plan as Plan,
    )
    from chalicelib.points.planning import (
        add_tier_update as add_tier_update,
    )
    from chalicelib.points.planning import (
        build_tx as build_tx,
    )
    from chalicelib.points.programme import (
        catalogue as catalogue,
    )
    from chalicelib.points.programme import (
        current as current,
    )
    from chalicelib.points.reading import (
        MemberItems as MemberItems,
    )
    from chalicelib.points.reading import (
        PointsState as PointsState,
    )
    from chalicelib.points.reading import (
        follow_member as follow_member,
    )
    from chalicelib.points.reading import (
        load_member as load_member,
    )
    from chalicelib.points.reading import (
        query_member as query_member,
    )
    from chalicelib.points.rules import (
        InsufficientPoints as InsufficientPoints,
    )
    from chalicelib.points.tier_standing import (
        stats_with as stats_with,
    )
    from chalicelib.points.tier_standing import (
        tier_decision as tier_decision,
    )
    from chalicelib.points.tiers import (
        TierDefinition as TierDefinition,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "ask": ("approvals", "Ask for a second staff member's approval (maker-checker): 202, nothing moved yet."),
    "money_needs_approval": ("approvals", "Whether a money amount needs a second staff member's approval."),
    "execute": ("committing", "Read the member, plan, commit one transaction; again from a fresh read on a race."),
    "execute_with": (
        "committing",
        "Read the member, let the caller add ``earn_in``/``spend_in`` and its items to one transaction, commit."),
    "earn": ("earn_and_spend",
        "Credit points to a member in a transaction of its own (the caller may add items to it)."),
    "earn_in": ("earn_and_spend",
        "Add a credit of points to the caller's transaction, planned from the member state the caller read."),
    "expiry_for": ("earn_and_spend", "When points earned on a day expire."),
    "spend": ("earn_and_spend",
        "Debit points, soonest-expiring first; 409 ``insufficient_points`` when the balance is short."),
    "spend_in": ("earn_and_spend",
        "Add a debit of points (soonest-expiring first) to the caller's transaction; 409 when the balance is short."),
    "take_back": ("earn_and_spend", "Reverse what a voided service earned, as a refund does."),
    "held_tier": ("member_views", "The tier a member holds today, as ``GET /v1/me`` shows it."),
    "points_summary": ("member_views", "A member's balance, debt and what expires next, from a member read."),
    "tier_view": ("member_views", "The held tier and the progress to the next, from a member read."),
    "POINTS_SK": ("models", "The sort key of the points state item."),
    "PointsStateItem": ("models", "A member's balance, debt, ledger sequence, check-in and tier state (``M#POINTS``)."),
    "add_tier_update": ("planning", "Add to a plan what the tier decision of a day changes."),
    "build_tx": ("planning", "The transaction of a points plan (ledger entries, buckets, state, the caller's items)."),
    "Outcome": ("planning",
        "What a points change wrote: its plan, the state it was planned from, the ledger entries, the balance after."),
    "Plan": ("planning", "What one points change writes: ledger entries, bucket moves, and the caller's extra items."),
    "catalogue": ("programme", "The tier catalogue in force."),
    "current": ("programme", "The points programme's settings in force (cached briefly)."),
    "follow_member": ("reading",
        "Read a customer's points items, then the survivor while what was read is a merged alias."),
    "load_member": ("reading",
        "The member read, parsed for points (state and live buckets); 404 for an unknown customer."),
    "MemberItems": ("reading", "Points' parse of the member read: the points state and live buckets."),
    "PointsState": ("reading", "A member's points and tier state as read."),
    "query_member": ("reading", "The member read of one customer id (one Query), parsed for points."),
    "InsufficientPoints": ("rules", "Raised by a plan when the balance is short."),
    "LedgerEntryOut": ("http.member_schemas", "The response model of a ledger entry."),
    "PointsOut": ("http.member_schemas", "The response model of a member's points."),
    "stats_with": ("tier_standing", "Tier statistics plus one change in a month."),
    "tier_decision": ("tier_standing",
        "The tier a state holds on a day (upgrade at once, downgrade on the evaluation date)."),
    "TierDefinition": ("tiers", "One tier of the catalogue."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
