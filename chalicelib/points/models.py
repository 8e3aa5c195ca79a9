"""PynamoDB models of points and tiers (same table and connection as ``models.py``).

Keys (all in the one application table):

=================================  ==============================  =============================================
item                               pk / sk                         index keys
=================================  ==============================  =============================================
points state of a member           ``CUST#<id>`` / ``M#POINTS``    -
point bucket (one per expiry day)  ``CUST#<id>`` / ``M#BUCKET#<d>``  gsi1: ``EXPIRY#<d>`` / ``<customer_id>``
ledger entry (immutable)           ``CUST#<id>`` / ``L#<at>#<seq>``  -
tier evaluation due                ``CUST#<id>`` / ``TIEREVAL``    gsi1: ``TIEREVAL#<d>`` / ``<customer_id>``
order (earned once)                ``ORDER#<order_no>`` / ``ORDER``  -
refund of an order (idempotency)   ``ORDER#<no>`` / ``REFUND#<id>``  -
back-fill claim                    ``CLAIM#<id>`` / ``CLAIM``      gsi1: ``CLAIMQ#<status>`` / ``<at>#<id>``;
                                                                   gsi2: ``CUSTCLAIM#<cid>`` / ``<at>#<id>``
claim lock per order number        ``CLAIMLOCK#<order_no>`` / ``LOCK``  -
admin adjustment (audit)           ``ADJ#<id>`` / ``ADJ``          gsi1: ``ADJLOG`` / ``<at>#<id>``
points configuration               ``CONFIG#POINTS`` / ``TIERS``, ``SETTINGS``, ``PROMO#<id>``
job progress                       ``JOB#<name>`` / ``STATE``      -
=================================  ==============================  =============================================

The points state sits on its own item beside the profile (``M#PROFILE``), in the same partition and under
the same ``M#`` prefix, so the one Query that answers ``GET /v1/me`` returns it with the buckets. It is
not on the profile item itself because a DynamoDB transaction may not touch one item twice: the identity
merge transaction already updates both profiles, and points must move in that same transaction.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

POINTS_SK = "M#POINTS"
BUCKET_PREFIX = "M#BUCKET#"
LEDGER_PREFIX = "L#"
TIEREVAL_SK = "TIEREVAL"
ORDER_SK = "ORDER"
CLAIM_SK = "CLAIM"
CONFIG_PK = "CONFIG#POINTS"


class PointsStateItem(Item):
    """``CUST#<id>`` / ``M#POINTS``: balance, debt, the ledger sequence, check-in and tier state.

    ``points_seq`` counts ledger entries (it numbers them); ``ver`` counts writes: every write of this item is
    conditioned on the ``ver`` it read, which serialises a member's changes (optimistic concurrency).
    ``claims_open`` is only ever changed by atomic ``ADD`` and so needs no version. ``tier_stats`` maps
    ``YYYY-MM`` (Shanghai month) to ``{"s": spend_fen, "o": orders, "p": points}`` for the last 13 months:
    the rolling 12-month tier metrics.
    """

    customer_id = UnicodeAttribute()
    points_balance = NumberAttribute(default=0)
    points_debt = NumberAttribute(default=0)
    points_seq = NumberAttribute(null=True)
    ver = NumberAttribute(null=True)
    points_last_at = UnicodeAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    checkin_last_day = UnicodeAttribute(null=True)
    checkin_streak = NumberAttribute(null=True)
    claims_open = NumberAttribute(null=True)
    tier_stats = JSONAttribute(null=True)
    tier_evaluation_on = UnicodeAttribute(null=True)
    tier_floor_code = UnicodeAttribute(null=True)
    tier_floor_until = UnicodeAttribute(null=True)
    tier_floor_set_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class BucketItem(Item):
    """``CUST#<id>`` / ``M#BUCKET#<expires_on>``: live points expiring on one Shanghai day (always > 0).

    A bucket that reaches zero is deleted, so the expiry index holds only live buckets.
    """

    customer_id = UnicodeAttribute()
    expires_on = UnicodeAttribute()
    points = NumberAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()


class LedgerEntryItem(Item):
    """``CUST#<id>`` / ``L#<created_at>#<seq>``: one change of points; never updated."""

    customer_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    seq = NumberAttribute()
    kind = UnicodeAttribute()
    delta = NumberAttribute()
    balance_after = NumberAttribute()
    debt_delta = NumberAttribute(default=0)
    debt_after = NumberAttribute(default=0)
    reference = UnicodeAttribute(null=True)
    expires_on = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    actor = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)


class TierEvalItem(Item):
    """``CUST#<id>`` / ``TIEREVAL``: when the member's tier is next evaluated (the daily job's index)."""

    customer_id = UnicodeAttribute()
    evaluation_on = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()


class OrderItem(Item):
    """``ORDER#<order_no>`` / ``ORDER``: an order that earned points (from the integration or a claim)."""

    order_no = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    amount_fen = NumberAttribute()
    points_awarded = NumberAttribute()
    refunded_fen = NumberAttribute(default=0)
    points_reversed = NumberAttribute(default=0)
    stats_month = UnicodeAttribute()
    paid_at = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    store_id = UnicodeAttribute(null=True)
    source = UnicodeAttribute()  # integration | claim
    claim_id = UnicodeAttribute(null=True)
    tier_code = UnicodeAttribute(null=True)
    promotion_id = UnicodeAttribute(null=True)
    plus_extra_points = NumberAttribute(null=True)  # what the Plus multiplier added (the membership's savings)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)


class RefundItem(Item):
    """``ORDER#<order_no>`` / ``REFUND#<refund_no>``: one refund, so a repeated refund call changes nothing."""

    refund_no = UnicodeAttribute()
    amount_fen = NumberAttribute()
    points_reversed = NumberAttribute()
    created_at = UnicodeAttribute()


class ClaimItem(Item):
    """``CLAIM#<claim_id>`` / ``CLAIM``: a member's back-fill claim for an order that was not credited."""

    claim_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    order_no = UnicodeAttribute()
    store_id = UnicodeAttribute(null=True)
    amount_fen = NumberAttribute()
    purchased_on = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # pending | approved | rejected
    channel = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    points_awarded = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()


class ClaimLockItem(Item):
    """``CLAIMLOCK#<order_no>`` / ``LOCK``: at most one open claim per order number."""

    claim_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()


class AdjustmentItem(Item):
    """``ADJ#<adjustment_id>`` / ``ADJ``: who adjusted whose points, by how much, why and when."""

    adjustment_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    delta = NumberAttribute()
    reason = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    balance_after = NumberAttribute()
    request_hash = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()


class ConfigItem(Item):
    """``CONFIG#POINTS`` / ``TIERS`` | ``SETTINGS`` | ``PROMO#<id>``: admin configuration as JSON."""

    data = JSONAttribute()
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class JobStateItem(Item):
    """``JOB#<name>`` / ``STATE``: the last business day a daily job completed."""

    last_completed_day = UnicodeAttribute(null=True)
    last_run_at = UnicodeAttribute(null=True)
    last_result = JSONAttribute(null=True)


class ApprovalItem(Item):
    """``APPROVAL#<approval_id>`` / ``APPROVAL``: a staff change over the threshold, waiting for a second staff member
    (maker-checker, ``approvals.py``); listed on gsi1 ``APPROVALS#<status>`` / ``<created_at>#<approval_id>``."""

    approval_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # compensation | adjustment | refund
    customer_id = UnicodeAttribute()
    points = NumberAttribute()  # the change asked for (negative: a debit); 0 for a refund
    amount_fen = NumberAttribute(null=True)  # a refund's money
    reason = UnicodeAttribute()
    reference = UnicodeAttribute()  # the compensation or adjustment ID it becomes
    case_id = UnicodeAttribute(null=True)
    maker = UnicodeAttribute()
    maker_role = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | approved | rejected
    created_at = UnicodeAttribute()
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    decision_reason = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)  # APPROVALSOF#<customer_id>: the member's (personal-data finder)
    gsi2sk = UnicodeAttribute(null=True)
