"""PynamoDB models of the points mall and of idempotency records (same table and connection as ``models.py``).

Keys (all in the one application table):

======================================  =====================================  ===================================
item                                    pk / sk                                index keys
======================================  =====================================  ===================================
idempotency record (24 h TTL)           ``CUST#<id>`` / ``M#IDEM#<digest>``    -
reward (definition)                     ``REWARD#<id>`` / ``REWARD``           gsi1: ``REWARDS`` / ``<at>#<id>``
reward stock shard k                    ``REWARD#<id>#STOCK#<k>`` / ``STOCK``  -
redemptions of a reward by a member     ``CUST#<id>`` / ``M#RLIM#<reward>``    -
redemption                              ``CUST#<id>`` / ``RDM#<id>``           -
in-house voucher of a redemption        ``RVOUCHER#<code>`` / ``RVOUCHER``     -
transaction (accepted-for-retry)        ``CUST#<id>`` / ``TXN#<id>``           gsi1 (while unsent): ``OUTBOX`` /
                                                                               ``<at>#<id>``
runtime faults of the local stage       ``CONFIG#DEV`` / ``FAULTS``            -
======================================  =====================================  ===================================

Idempotency records and per-member limit counters live under the customer's ``M#`` prefix, so the one Query a
member's points change already makes (profile, points state, buckets) also returns them.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

REWARD_SK = "REWARD"
STOCK_SK = "STOCK"
RLIMIT_PREFIX = "H#RLIM#"  # grows with the rewards redeemed: outside the bounded M# read
REDEMPTION_PREFIX = "RDM#"
VOUCHER_PREFIX = "RVOUCHER#"
VOUCHER_SK = "RVOUCHER"
REWARDS_INDEX_PK = "REWARDS"




class RewardItem(Item):
    """``REWARD#<id>`` / ``REWARD``: what a reward costs, who may redeem it, when, and how it is fulfilled.

    ``ver`` counts edits; every stock shard carries the ``ver`` of the definition it was written with, and a
    redemption's shard update is conditioned on it, so a cached definition can never be charged after an edit.
    """

    reward_id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    points_cost = NumberAttribute()
    stock_total = NumberAttribute()
    shards = NumberAttribute()
    per_member_limit = NumberAttribute(null=True)
    tiers = ListAttribute[Any](of=UnicodeAttribute, null=True)
    plus_only = BooleanAttribute(null=True)  # only members holding Plus (core/overlay.py) may redeem it
    fulfillment = UnicodeAttribute()  # in_house | partner
    partner = UnicodeAttribute(null=True)
    voucher_valid_days = NumberAttribute(null=True)
    starts_at = UnicodeAttribute(null=True)
    ends_at = UnicodeAttribute(null=True)
    ver = NumberAttribute(default=1)
    paused = BooleanAttribute(null=True)  # an operator paused it: listed, not redeemable (``reward_edits``)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()


class StockShardItem(Item):
    """``REWARD#<id>#STOCK#<k>`` / ``STOCK``: one shard of a reward's stock (its own partition key)."""

    reward_id = UnicodeAttribute()
    shard = NumberAttribute()
    remaining = NumberAttribute()
    ver = NumberAttribute()


class RedeemCountItem(Item):
    """``CUST#<id>`` / ``H#RLIM#<reward_id>``: how many units of a limited reward the member has redeemed."""

    reward_id = UnicodeAttribute()
    count = NumberAttribute()  # type: ignore[assignment]  # the stored name; shadows Model.count()


class RedemptionItem(Item):
    """``CUST#<id>`` / ``RDM#<redemption_id>``: a redemption (ids sort by time: newest first on a reversed Query)."""

    redemption_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    reward_id = UnicodeAttribute()
    reward_name = UnicodeAttribute()
    quantity = NumberAttribute()
    points_spent = NumberAttribute()
    balance_after = NumberAttribute()
    status = UnicodeAttribute()  # completed | pending_fulfillment | refunded | cancelled
    fulfillment = UnicodeAttribute()
    shards = JSONAttribute(null=True)  # {"<k>": units} taken from each stock shard (to return stock)
    vouchers = ListAttribute[Any](of=UnicodeAttribute, null=True)
    voucher_expires_at = UnicodeAttribute(null=True)
    partner_ref = UnicodeAttribute(null=True)
    partner_codes = ListAttribute[Any](of=UnicodeAttribute, null=True)
    transaction_id = UnicodeAttribute(null=True)
    ledger_entry_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


class RedemptionVoucherItem(Item):
    """``RVOUCHER#<code>`` / ``RVOUCHER``: an in-house voucher issued by a redemption (found by its code at the
    till, hence its own partition)."""

    code = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    redemption_id = UnicodeAttribute()
    reward_id = UnicodeAttribute()
    status = UnicodeAttribute()  # available | used | expired
    expires_at = UnicodeAttribute()
    created_at = UnicodeAttribute()

RETRY_KIND = "redemption_fulfillment"
"""The retry kind of a partner redemption's transaction (the mall manifest's ``retry_handlers`` key)."""
