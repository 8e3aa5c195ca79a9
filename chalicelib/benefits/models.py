"""PynamoDB models of the benefits zone (same table and shared connection as ``models.py``).

Keys (all in the one application table):

==========================================  ====================================================  ===========
item                                        pk / sk                                               index
==========================================  ====================================================  ===========
benefit definition                          ``CONFIG#BENEFITS`` / ``BENEFIT#<benefit_id>``        -
quota counter (one per benefit, member,     ``CUST#<id>`` / ``M#QUOTA#<benefit>#<id>#<period>``   -
period; TTL a week after the period)
voucher                                     ``CUST#<id>`` / ``V#<voucher_id>`` (ids sort by time)  -
opening gift pack marker (once)             ``CUST#<id>`` / ``M#GIFTPACK``                        -
birthday marker (once a year)               ``CUST#<id>`` / ``M#BDAY#<yyyy>``                     -
birthday index on the profile               ``CUST#<id>`` / ``M#PROFILE``                         gsi2:
                                                                                                  ``BDAY#<MM>#<k>`` /
                                                                                                  ``Y<yyyy>#<id>``
==========================================  ====================================================  ===========

Every definition sits in one partition, so the catalogue is one Query (cached in-process). Counters and
markers sit under the member's ``M#`` prefix: the one Query that reads the profile and the points state (for the
held tier) also returns them, so ``GET /v1/benefits`` and a claim's checks cost one read. Vouchers are *not*
under ``M#`` (they accumulate); they are listed with their own Query on ``V#``.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

BENEFITS_PK = "CONFIG#BENEFITS"
BENEFIT_PREFIX = "BENEFIT#"
QUOTA_PREFIX = "M#"  # + domain.quota.counter_key(...) = M#QUOTA#<benefit>#<customer>#<period>
VOUCHER_PREFIX = "V#"
GIFTPACK_SK = "M#GIFTPACK"
BIRTHDAY_PREFIX = "M#BDAY#"


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
    """``CUST#<id>`` / ``M#QUOTA#<benefit>#<id>#<period key>``: claims of one benefit by one member in one period.

    Incremented in the claim's transaction on condition ``count < per_period``; ``ttl`` drops it a week after
    its period ends (lifetime counters are kept).
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
    """``CUST#<id>`` / ``M#GIFTPACK`` or ``M#BDAY#<yyyy>``: what a one-off grant issued (``{benefit_id: count}``)."""

    issued = JSONAttribute()
    vouchers = ListAttribute[Any](of=UnicodeAttribute, default=list)
    created_at = UnicodeAttribute()
