"""The events area's items. Everything about one event lives in its own partition ``EV#<event_id>``, so one
Query reads the event, its seat counter, its waitlist and every registration and invitation of it.

=====================================  =========================================  ===================================
item                                   key                                        index
=====================================  =========================================  ===================================
the event                              ``EV#<id>`` / ``EVENT``                    gsi1 ``EVLIST`` (approved) or
                                                                                  ``EVPENDING`` / ``<starts_utc>#<id>``
its seats (``core.capacity``)          ``EV#<id>`` / ``SEATS#EVENT``              -
its waitlist state                     ``EV#<id>`` / ``WAITLIST``                 -
a waiting place (in waitlist order)    ``EV#<id>`` / ``WAIT#<group>#<ticket>``    -
a member's registration                ``EV#<id>`` / ``REG#<customer_id>``        gsi2 ``EVM#<customer_id>`` /
a member's invitation                  ``EV#<id>`` / ``INV#<customer_id>``        ``<starts_utc>#<id>#REG|INV``
a registration's Idempotency-Key       ``EV#<id>`` / ``M#IDEM#<hash>``            -
=====================================  =========================================  ===================================
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

EVENT_PK_PREFIX = "EV#"
EVENT_SK = "EVENT"
WAITLIST_SK = "WAITLIST"
WAIT_PREFIX = "WAIT#"
REG_PREFIX = "REG#"
INV_PREFIX = "INV#"
LISTED = "EVLIST"  # gsi1pk of approved events
PENDING = "EVPENDING"  # gsi1pk of member-hosted events waiting for an operator
MINE_PREFIX = "EVM#"  # gsi2pk: a member's registrations and invitations


def event_pk(event_id: str) -> str:
    return f"{EVENT_PK_PREFIX}{event_id}"


class EventItem(Item):
    """``EV#<id>`` / ``EVENT``: what the operator (or the host) set, the review, and the check-in code's hash."""

    event_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    venue = UnicodeAttribute()
    store_id = UnicodeAttribute(null=True)
    starts_at = UnicodeAttribute()  # ISO 8601 with offset (+08:00)
    ends_at = UnicodeAttribute()
    registration_closes_at = UnicodeAttribute()
    day = UnicodeAttribute()  # the Shanghai day of the start (the seat counter's day)
    capacity = NumberAttribute()
    tiers = ListAttribute[Any](of=UnicodeAttribute, null=True)  # audience: these tiers (none: every tier)
    tags = ListAttribute[Any](of=UnicodeAttribute, null=True)  # audience: members with one of these profile tags
    invite_only = BooleanAttribute(default=False)
    check_in_points = NumberAttribute(default=0)
    participant_tags = ListAttribute[Any](of=UnicodeAttribute, null=True)  # put on participants' profiles
    waitlist_order = UnicodeAttribute(default="first_come")  # first_come | tiers_first
    priority_tiers = ListAttribute[Any](of=UnicodeAttribute, null=True)  # served first when tiers_first
    status = UnicodeAttribute()  # pending_approval | approved | rejected | cancelled
    host_customer_id = UnicodeAttribute(null=True)  # member-hosted events
    review_reason = UnicodeAttribute(null=True)
    reviewed_by = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    code_salt = UnicodeAttribute()
    code_hash = UnicodeAttribute()  # sha256(salt, code): the code itself is never stored nor logged
    code_rotated_at = UnicodeAttribute(null=True)
    ver = NumberAttribute(default=1)  # bumped by every change members are told about
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class WaitlistItem(Item):
    """``EV#<id>`` / ``WAITLIST``: the last ticket given, the places waiting, and a version that every change of the
    waitlist (a join, a leave, a promotion, a seat freed while nobody waits) bumps conditioned on the version read."""

    next_ticket = NumberAttribute(default=0)
    waiting = NumberAttribute(default=0)
    ver = NumberAttribute(default=0)


class WaitEntryItem(Item):
    """``EV#<id>`` / ``WAIT#<group>#<ticket:010d>``: one waiting place; the sort key is the waitlist order."""

    customer_id = UnicodeAttribute()
    ticket = NumberAttribute()


class RegistrationItem(Item):
    """``EV#<id>`` / ``REG#<customer_id>``: a member's registration and what became of it."""

    registration_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    status = UnicodeAttribute()  # registered | waitlisted | checked_in | cancelled | check_in_revoked
    wait_sk = UnicodeAttribute(null=True)  # the waiting place, while waitlisted
    counted_open = BooleanAttribute(default=True)  # how its seat was taken (core.capacity)
    title = UnicodeAttribute()
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    kind = UnicodeAttribute(default="REG")
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    promoted_at = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancelled_by = UnicodeAttribute(null=True)  # member | host | operator
    checked_in_at = UnicodeAttribute(null=True)
    checked_in_by = UnicodeAttribute(null=True)
    points_awarded = NumberAttribute(null=True)
    revoked_at = UnicodeAttribute(null=True)  # an agent revoked the check-in: when, who and why
    revoked_by = UnicodeAttribute(null=True)
    revoke_reason = UnicodeAttribute(null=True)
    reminded_at = UnicodeAttribute(null=True)
    told_ver = NumberAttribute(null=True)  # the event version this member was last told about
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()


class InvitationItem(Item):
    """``EV#<id>`` / ``INV#<customer_id>``: the host invited this member (they may register even if invite-only)."""

    event_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    title = UnicodeAttribute()
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    kind = UnicodeAttribute(default="INV")
    invited_by = UnicodeAttribute()
    invited_at = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
