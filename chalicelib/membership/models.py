"""The membership area's items.

- ``CONFIG#PLUS`` / ``PLAN#<plan_id>``: a plan as the operator configured it (one Query reads them all).
- ``CUST#<id>`` / ``M#PLUS``: the member's membership (a version ``ver`` conditions every change to it). While it
  has an expiry, ``gsi1`` files it under its expiry's local day (``PLUSEXP#<YYYY-MM-DD>``): the reminder job reads
  one day's partition, never a Scan.
- ``CUST#<id>`` / ``M#PLUSORDER#<order_id>``: one purchase. While it waits for payment, ``gsi1`` files it under its
  creation day (``PLUSPAY#<YYYY-MM-DD>``, a sparse index: settled orders drop out), for the settling job.
  While its refund is in flight (WeChat Pay answered ``PROCESSING``), ``gsi1`` files it under ``PLUSREFUNDING`` /
  ``<order_id>#<customer_id>``: the settling job asks about each, and a refund notification finds its member there.
- ``CUST#<id>`` / ``M#PLUSSAVE#<at>#<id>``: one line of the savings ledger (negative when netted by a refund).
- ``CUST#<id>`` / ``M#PLUSUSE``: the member's latest use of something only Plus gives (a Plus-only benefit claimed, a
  Plus-only reward redeemed), written in that claim's or redemption's transaction: one item, however many uses, so
  the refund's Query (``M#PLUS`` .. ``M#PROFILE``) reads it at no extra call and the ``M#`` prefix stays bounded.
- ``PLUSTRIAL#<digest>`` / ``TRIAL``: the trial marker of one person's phone or unionid, so a trial is once per
  person across accounts and channels.
- ``PLUSREMIND#<customer>#<expiry>#<days>`` / ``REMINDER``: a reminder sent (the condition that sends it once).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

CONFIG_PK = "CONFIG#PLUS"
PLAN_PREFIX = "PLAN#"
MEMBERSHIP_SK = "M#PLUS"
SAVED_SK = "M#PLUSSAVED"  # the running total of the current membership year (bounded: one)
ORDER_PREFIX = "H#PLUSORDER#"  # orders and savings lines grow with the years: outside the bounded M# read
SAVING_PREFIX = "H#PLUSSAVE#"
OLD_ORDER_PREFIX = "M#PLUSORDER#"  # where an earlier version kept them (read until migrate_member_partition ran)
OLD_SAVING_PREFIX = "M#PLUSSAVE#"
USE_SK = "M#PLUSUSE"
EXPIRY_INDEX = "PLUSEXP#"
PENDING_INDEX = "PLUSPAY#"
REFUNDING_INDEX = "PLUSREFUNDING"
TRIAL_MARKER_PREFIX = "PLUSTRIAL#"
REMINDER_PREFIX = "PLUSREMIND#"


class PlanItem(Item):
    plan_id = UnicodeAttribute()
    name = UnicodeAttribute()
    price_fen = NumberAttribute()
    period = UnicodeAttribute()  # month | year
    active = BooleanAttribute(default=True)
    updated_at = UnicodeAttribute()


class MembershipItem(Item):
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute(null=True)  # trial | paid
    plan_id = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)  # ISO 8601, +08:00
    expires_at = UnicodeAttribute(null=True)
    anchor_day = NumberAttribute(null=True)
    year_start = UnicodeAttribute(null=True)
    trial_used = BooleanAttribute(default=False)
    ver = NumberAttribute(default=0)
    updated_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)  # PLUSEXP#<local expiry day>
    gsi1sk = UnicodeAttribute(null=True)  # <customer_id>


class OrderItem(Item):
    order_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    plan_id = UnicodeAttribute()
    plan_name = UnicodeAttribute()
    period = UnicodeAttribute()  # month | year: what was bought, whatever the plan becomes
    amount_fen = NumberAttribute()
    status = UnicodeAttribute()  # pending | paid | closed | failed | refunded
    created_at = UnicodeAttribute()
    pay_by_epoch = NumberAttribute()  # the provider closes payment then (time_expire)
    prepay_id = UnicodeAttribute(null=True)
    transaction_id = UnicodeAttribute(null=True)
    paid_at = UnicodeAttribute(null=True)
    closed_at = UnicodeAttribute(null=True)
    refund_id = UnicodeAttribute(null=True)
    refunded_at = UnicodeAttribute(null=True)
    refunded_by = UnicodeAttribute(null=True)
    refund_status = UnicodeAttribute(null=True)  # WeChat Pay's: SUCCESS | PROCESSING | ABNORMAL | CLOSED
    gsi1pk = UnicodeAttribute(null=True)  # PLUSPAY#<local creation day> while pending; PLUSREFUNDING while refunding
    gsi1sk = UnicodeAttribute(null=True)  # <created_at>#<customer_id>#<order_id>; <order_id>#<customer_id>


class SavingItem(Item):
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # voucher | points_multiplier | ...
    saved_fen = NumberAttribute()
    ref = UnicodeAttribute()  # what saved it (voucher ID, order number)
    at = UnicodeAttribute()


class SavedTotalItem(Item):
    """``CUST#<id>`` / ``M#PLUSSAVED``: what Plus saved the member since ``since`` (the start of the membership year it
    was written in), by kind. Written with every savings line, in the points change's transaction: the points
    state's version condition orders the writers, so the total read is the total replaced."""

    since = UnicodeAttribute()
    by_kind = JSONAttribute()
    updated_at = UnicodeAttribute()


class UseItem(Item):
    customer_id = UnicodeAttribute(null=True)
    last_at = UnicodeAttribute(null=True)  # ISO 8601: the latest Plus-only use
    last_what = UnicodeAttribute(null=True)  # benefit | reward
    last_ref = UnicodeAttribute(null=True)  # its benefit or reward ID
    uses = NumberAttribute(null=True)


class MarkerItem(Item):
    """A trial marker or a sent reminder: its existence is the fact."""

    customer_id = UnicodeAttribute()
    at = UnicodeAttribute()
