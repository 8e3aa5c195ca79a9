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
        execute_with as execute_with,
    )
    from chalicelib.points.earn_and_spend import (
        earn_in as earn_in,
    )
    from chalicelib.points.earn_and_spend import (
        expiry_for as expiry_for,
    )
    from chalicelib.points.earn_and_spend import (
        hold_in as hold_in,
    )
    from chalicelib.points.earn_and_spend import (
        spend_in as spend_in,
    )
    from chalicelib.points.earn_and_spend import (
        take_back_in as take_back_in,
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
        tier_decision as tier_decision,
    )
    from chalicelib.points.tiers import (
        TierDefinition as TierDefinition,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "ask": ("approvals", "Ask for a second staff member's approval (maker-checker): 202, nothing moved yet."),
    "money_needs_approval": ("approvals", "Whether a money amount needs a second staff member's approval."),
    "execute_with": (
        "committing",
        "Read the member, let the caller add its points change (``*_in``) and its items to one transaction, commit."),
    "earn_in": ("earn_and_spend",
        "Add a credit of points to the caller's transaction, planned from the member state the caller read."),
    "expiry_for": ("earn_and_spend", "When points earned on a day expire."),
    "hold_in": ("earn_and_spend",
        "Add the member's points state (its version moved) to the caller's transaction, to serialise with points."),
    "take_back_in": ("earn_and_spend",
        "Add the reversal of what a voided service or refunded order earned to the caller's transaction."),
    "spend_in": ("earn_and_spend",
        "Add a debit of points (soonest-expiring first) to the caller's transaction; 409 when the balance is short."),
    "held_tier": ("member_views", "The tier a member holds today, as ``GET /v1/me`` shows it."),
    "points_summary": ("member_views", "A member's balance, debt and what expires next, from a member read."),
    "tier_view": ("member_views", "The held tier and the progress to the next, from a member read."),
    "POINTS_SK": ("models", "The sort key of the points state item."),
    "PointsStateItem": ("models", "A member's balance, debt, ledger sequence, check-in and tier state (``M#POINTS``)."),
    "Outcome": ("planning",
        "What a points change wrote: its plan, the state it was planned from, the ledger entries, the balance after."),
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
    "tier_decision": ("tier_standing",
        "The tier a state holds on a day (upgrade at once, downgrade on the evaluation date)."),
    "TierDefinition": ("tiers", "One tier of the catalogue."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
