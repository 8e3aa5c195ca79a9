"""Membership's (Plus) front door: what other areas may use of it (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.membership.models import (
        MEMBERSHIP_SK as MEMBERSHIP_SK,
    )
    from chalicelib.membership.models import (
        MembershipItem as MembershipItem,
    )
    from chalicelib.membership.records import (
        membership as membership,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "MEMBERSHIP_SK": ("models", "The sort key of a member's Plus membership item."),
    "MembershipItem": ("models", "A member's Plus membership (``CUST#<id>`` / ``MEMBERSHIP_SK``)."),
    "membership": ("records", "A member's Plus membership as the member sees it."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
