"""The campaigns' items.

| item | pk | sk |
|---|---|---|
| a campaign (definition, status, pages of the fan-out done) | ``CAMP#<id>`` | ``CAMP`` |
| a member reached (put if absent: once per campaign, whatever is retried) | ``CAMP#<id>`` | ``R#<customer_id>`` |
| a conversion (put if absent) | ``CAMP#<id>`` | ``CONV#<customer_id>`` |
| outcome counters, ``COUNT_SHARDS`` of them (each moved with the marker it counts) | ``CAMP#<id>`` | ``CNT#<n>`` |
| the member's marketing sends that day / week (the caps; expire) | ``CUST#<id>`` | ``H#CAMPCAP#<D|W>#<day>`` |
| the member's campaigns (the conversion window reads the last 14 days) | ``CUST#<id>`` | ``H#CAMP#<at>#<id>`` |
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

CAMPAIGN_SK = "CAMP"
REACHED_PREFIX = "R#"
CONVERSION_PREFIX = "CONV#"
COUNT_PREFIX = "CNT#"
CAP_PREFIX = "H#CAMPCAP#"
MINE_PREFIX = "H#CAMP#"
OUTCOMES = ("sent", "holdout", "no_consent", "capped", "quiet_hours", "no_grant", "deleted")


def campaign_pk(campaign_id: str) -> str:
    return f"CAMP#{campaign_id}"


class CampaignItem(Item):
    campaign_id = UnicodeAttribute()
    name = UnicodeAttribute()
    segment_ids = JSONAttribute()
    message = JSONAttribute()
    channels = JSONAttribute()
    offer = JSONAttribute(null=True)
    holdout_percent = NumberAttribute()
    starts_at = UnicodeAttribute()
    ends_at = UnicodeAttribute()
    call_list = JSONAttribute(null=True)
    status = UnicodeAttribute()  # draft | running | done
    pages_total = JSONAttribute(null=True)  # segment_id -> pages, known when its last page is read
    pages_done = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    launched_at = UnicodeAttribute(null=True)
    done_at = UnicodeAttribute(null=True)


class ReachedItem(Item):
    customer_id = UnicodeAttribute()
    outcome = UnicodeAttribute()
    at = UnicodeAttribute()


class CounterItem(Item):
    sent = NumberAttribute(null=True)
    holdout = NumberAttribute(null=True)
    no_consent = NumberAttribute(null=True)
    capped = NumberAttribute(null=True)
    quiet_hours = NumberAttribute(null=True)
    no_grant = NumberAttribute(null=True)
    deleted = NumberAttribute(null=True)
    offers_granted = NumberAttribute(null=True)
    conv_treated = NumberAttribute(null=True)
    conv_holdout = NumberAttribute(null=True)


class CapItem(Item):
    n = NumberAttribute()
    ttl = NumberAttribute()


class MyCampaignItem(Item):
    campaign_id = UnicodeAttribute()
    group = UnicodeAttribute()  # treated | holdout
    at = UnicodeAttribute()
    ttl = NumberAttribute()
