"""Membership's (Plus) front door: what other areas may use of it (the rest of the folder is its own).

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.membership import models, records

MEMBERSHIP_SK = models.MEMBERSHIP_SK
"""The sort key of a member's Plus membership item."""

MembershipItem = models.MembershipItem
"""A member's Plus membership (``CUST#<id>`` / ``MEMBERSHIP_SK``)."""

membership = records.membership
"""A member's Plus membership as the member sees it."""
