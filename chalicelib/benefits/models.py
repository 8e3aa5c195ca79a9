"""PynamoDB models of the benefits zone (same table and shared connection as ``models.py``).

Keys (all in the one application table):

==========================================  ====================================================  ===========
item                                        pk / sk                                               index
==========================================  ====================================================  ===========
benefit definition                          ``CONFIG#BENEFITS`` / ``BENEFIT#<benefit_id>``        -
quota counter of the current period (one    ``CUST#<id>`` / ``M#QNOW#<benefit>``                  -
per benefit; TTL a week after the period)
voucher                                     ``CUST#<id>`` / ``V#<voucher_id>`` (ids sort by time)  -
opening gift pack marker (once)             ``CUST#<id>`` / ``M#GIFTPACK``                        -
birthday marker (once a year)               ``CUST#<id>`` / ``H#BDAY#<yyyy>``                     -
this year's birthday grant                  ``CUST#<id>`` / ``M#BDAYNOW``                         -
birthday index on the profile               ``CUST#<id>`` / ``M#PROFILE``                         gsi2:
                                                                                                  ``BDAY#<MM>#<k>`` /
                                                                                                  ``Y<yyyy>#<id>``
==========================================  ====================================================  ===========

Every definition sits in one partition, so the catalogue is one Query (cached in-process). The current counters and
the grants sit under the member's ``M#`` prefix, one item per benefit (a new period overwrites the counter) and one
for this year's birthday: the one bounded Query that reads the profile and the points state (for the held tier)
also returns them, so ``GET /v1/benefits`` and a claim's checks cost one read. The yearly birthday markers grow
with the years: ``H#`` (``core.dynamo.member_layout``). Until ``migrate_member_partition`` has run, the old
layout's ``M#QUOTA#<benefit>#<id>#<period>`` and ``M#BDAY#<yyyy>`` are read too. Vouchers are *not*
under ``M#`` (they accumulate); they are listed with their own Query on ``V#``.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

BENEFITS_PK = "CONFIG#BENEFITS"
BENEFIT_PREFIX = "BENEFIT#"
QUOTA_PREFIX = "M#"  # + quota.counter_key(...) = M#QUOTA#<benefit>#<customer>#<period>: the old layout, read only
QUOTA_NOW_PREFIX = "M#QNOW#"  # + <benefit>: the counter of the current period
VOUCHER_PREFIX = "V#"
GIFTPACK_SK = "M#GIFTPACK"
BIRTHDAY_PREFIX = "H#BDAY#"
OLD_BIRTHDAY_PREFIX = "M#BDAY#"
BIRTHDAY_NOW_SK = "M#BDAYNOW"


class BenefitItem(Item):
    """``CONFIG#BENEFITS`` / ``BENEFIT#<id>``: one benefit as an operator configured it.

    ``trigger`` says how vouchers are issued: ``claim`` (the member claims in the zone, within the quota),
    ``opening_gift`` (issued once when the member enrols) or ``birthday`` (issued by the scheduled job in the
    birthday month). ``per_period`` is the quota of a claimable benefit, and the number of vouchers a gift issues.
    """

    benefit_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    kind = UnicodeAttribute()
    trigger = UnicodeAttribute()
    tiers = ListAttribute[Any](of=UnicodeAttribute)
    per_period = NumberAttribute()
    period = UnicodeAttribute()
    voucher_valid_days = NumberAttribute()
    status = UnicodeAttribute()  # active | disabled
    plus_only = BooleanAttribute(null=True)  # only Plus members (chalicelib/membership) may claim it
    ver = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class QuotaCounterItem(Item):
    """``CUST#<id>`` / ``M#QNOW#<benefit>``: claims of one benefit by the member in the period ``period_key``.

    Incremented in the claim's transaction on condition ``period_key`` is the current one and ``count < per_period``,
    or replaced by the first claim of a new period (on condition that it still holds the period read); ``ttl``
    drops it a week after its period ends (lifetime counters are kept).
    """

    benefit_id = UnicodeAttribute()
    period_key = UnicodeAttribute()
    count = NumberAttribute(default=0)  # type: ignore[assignment]  # the stored name; shadows Model.count()


class VoucherItem(Item):
    """``CUST#<id>`` / ``V#<voucher_id>``: a voucher the member holds.

    ``status`` is stored as ``available`` or ``used``; ``expired`` is computed from the clock (``expires_epoch``).
    ``source`` is ``claim``, ``opening_gift`` or ``birthday``.
    """

    voucher_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    benefit_id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    source = UnicodeAttribute()
    status = UnicodeAttribute()
    expires_at = UnicodeAttribute()  # ISO 8601, +08:00
    expires_epoch = NumberAttribute()
    period_key = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    used_at = UnicodeAttribute(null=True)
    used_order_no = UnicodeAttribute(null=True)
    used_by = UnicodeAttribute(null=True)  # member | integration
    # Expiry index for the 3-day reminder (chalicelib/notifications/reminders.py): VEXP#<expiry day> / <cid>#<id>
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class GiftMarkerItem(Item):
    """``CUST#<id>`` / ``M#GIFTPACK``, ``H#BDAY#<yyyy>`` or ``M#BDAYNOW`` (``year``): what a one-off grant issued
    (``{benefit_id: count}``)."""

    issued = JSONAttribute()
    vouchers = ListAttribute[Any](of=UnicodeAttribute, default=list)
    created_at = UnicodeAttribute()
    year = NumberAttribute(null=True)  # of ``M#BDAYNOW``
