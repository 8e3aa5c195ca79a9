"""The partners area's items.

================================================  ==========================================  =====================
item                                              pk / sk                                     notes
================================================  ==========================================  =====================
a partner (alliance merchant)                     ``PARTNER#<id>`` / ``PARTNER``              gsi1: ``PARTNERS``
one of its API keys (a SHA-256 digest)            ``PARTNER#<id>`` / ``KEY#<key_id>``         revoked_at stops it
an earning at the partner (one per order_no)      ``PARTNER#<id>`` / ``EARN#<order_no>``      refunded once
a redemption's order_no (one per partner)         ``PARTNER#<id>`` / ``RORDER#<order_no>``    names the redemption
a month's settlement counters                     ``PARTNER#<id>`` / ``STMT#<YYYY-MM>``       ADDed with the ledger
a partner's Idempotency-Key records               ``PARTNER#<id>`` / ``H#IDEM#...``           core.idempotency
a redemption awaiting the member                  ``PRDM#<redemption_id>`` / ``PRDM``         gsi1: the member's
================================================  ==========================================  =====================

Nothing is kept under a customer's partition: a redemption is found by its ID (the partner's poll, the member's
confirmation) and listed for the member through ``gsi1`` (``PRDMBY#<customer_id>``); a member's earnings are
found through ``gsi2`` (``PEARNBY#<customer_id>``) for their data export.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

PARTNER_SK = "PARTNER"
PARTNERS_INDEX = "PARTNERS"
KEY_PREFIX = "KEY#"
EARN_PREFIX = "EARN#"
RORDER_PREFIX = "RORDER#"
STMT_PREFIX = "STMT#"
REDEMPTION_SK = "PRDM"
MEMBER_INDEX_PREFIX = "PRDMBY#"
EARNINGS_INDEX_PREFIX = "PEARNBY#"


def partner_pk(partner_id: str) -> str:
    return f"PARTNER#{partner_id}"


def redemption_pk(redemption_id: str) -> str:
    return f"PRDM#{redemption_id}"


class PartnerItem(Item):
    """An alliance merchant: what it may do (``roles``), what a point costs it and what it earns members."""

    partner_id = UnicodeAttribute()
    name = UnicodeAttribute()
    roles = ListAttribute(of=UnicodeAttribute)  # accrual | redemption
    cost_per_point_fen = NumberAttribute()
    earn_rate_per_yuan = UnicodeAttribute()  # a decimal, kept as text (points per whole yuan)
    benefits_by_tier = JSONAttribute()  # tier code -> [benefit text]
    created_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()


class PartnerKeyItem(Item):
    """One API key of a partner, stored as the SHA-256 of its secret part (the key is shown once)."""

    partner_id = UnicodeAttribute()
    key_id = UnicodeAttribute()
    digest = UnicodeAttribute()
    created_at = UnicodeAttribute()
    revoked_at = UnicodeAttribute(null=True)


class EarningItem(Item):
    """Points a member earned at the partner for one order; ``refunded_at`` once reversed."""

    partner_id = UnicodeAttribute()
    order_no = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    amount_fen = NumberAttribute()
    points = NumberAttribute()
    month = UnicodeAttribute()
    created_at = UnicodeAttribute()
    refunded_at = UnicodeAttribute(null=True)
    refund_month = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()  # PEARNBY#<customer_id>: the member's earnings at partners (their data export)
    gsi2sk = UnicodeAttribute()  # <created_at>#<partner_id>#<order_no>


class RedemptionOrderItem(Item):
    """The partner's order_no is used by one redemption."""

    redemption_id = UnicodeAttribute()


class StatementItem(Item):
    """A partner's month, counted in the transaction of each ledger entry of kind ``partner`` (``ADD`` only)."""

    points_issued = NumberAttribute(default=0)
    points_spent = NumberAttribute(default=0)
    points_reversed = NumberAttribute(default=0)


class PartnerRedemptionItem(Item):
    """A partner's request to spend a member's points. ``status``: awaiting_member -> confirmed | declined
    (``expired`` is computed from ``expires_at`` while awaiting). ``code_hash``: the SMS code's HMAC."""

    redemption_id = UnicodeAttribute()
    partner_id = UnicodeAttribute()
    partner_name = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    order_no = UnicodeAttribute()
    points = NumberAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = NumberAttribute()  # epoch seconds
    code_hash = UnicodeAttribute()
    otp_attempts = NumberAttribute(default=0)
    decided_at = UnicodeAttribute(null=True)
    confirmed_by = UnicodeAttribute(null=True)  # member | otp
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
