"""The campaigns' items.

| item | pk | sk |
|---|---|---|
| a campaign (definition, status, pages of the fan-out done; gsi1 ``CAMPSTART`` / ``<starts_at>#<id>`` while it
  waits, launched, for its start) | ``CAMP#<id>`` | ``CAMP`` |
| a member reached (put if absent: once per campaign, whatever is retried) | ``CAMP#<id>`` | ``R#<customer_id>`` |
| a conversion (put if absent) | ``CAMP#<id>`` | ``CONV#<customer_id>`` |
| outcome counters, ``COUNT_SHARDS`` of them (each moved with the marker it counts) | ``CAMP#<id>`` | ``CNT#<n>`` |
| the member's marketing sends that day / week (the caps; expire) | ``CUST#<id>`` | ``H#CAMPCAP#<D|W>#<day>`` |
| the member's campaigns (the conversion window reads the last 14 days) | ``CUST#<id>`` | ``H#CAMP#<at>#<id>`` |
| a call task of a call-list campaign (put if absent with the marker: a member is on the list once) | ``CAMP#<id>`` |
  ``TASK#<customer_id>`` |
| an agent's open claims on a campaign's list (``max_per_agent``) | ``CAMP#<id>`` | ``AGENT#<staff_id>`` |

A call task is on ``gsi2``: ``CALLTASK#pool`` / ``<created_at>#<task_id>`` while open, ``CALLTASK#held#<staff_id>`` /
``<claim_until>#<task_id>`` while claimed (then also on gsi1 ``CALLLAPSE`` / ``<claim_until>#<task_id>``, which the
``call_tasks_lapse`` job reads to return lapsed claims to the pool); a finished task is on neither.
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
TASK_PREFIX = "TASK#"
HOLDER_PREFIX = "AGENT#"
START_DUE = "CAMPSTART"
CALL_POOL, CALL_HELD, CALL_LAPSE = "CALLTASK#pool", "CALLTASK#held#", "CALLLAPSE"
CALL_OUTCOMES = ("reached", "no_answer", "declined")
WINDOW_DAYS = 14  # the conversion window: a member's campaign record (``H#CAMP#``) is read, and kept, this long


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
    gsi1pk = UnicodeAttribute(null=True)  # CAMPSTART while scheduled
    gsi1sk = UnicodeAttribute(null=True)


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
    call_tasks = NumberAttribute(null=True)  # of ``sent``: the members put on the call list
    call_reached = NumberAttribute(null=True)
    call_no_answer = NumberAttribute(null=True)
    call_declined = NumberAttribute(null=True)


class CapItem(Item):
    n = NumberAttribute()
    ttl = NumberAttribute()


class MyCampaignItem(Item):
    campaign_id = UnicodeAttribute()
    group = UnicodeAttribute()  # treated | holdout
    at = UnicodeAttribute()
    ttl = NumberAttribute()


class CallTaskItem(Item):
    """``CAMP#<id>`` / ``TASK#<customer_id>``: a member an agent is to call. ``status``: open -> claimed -> done; a
    claim lapses at ``claim_until`` (the campaign's ``expires_days``) and the task returns to the pool. ``rev`` moves
    with every write: a claim is conditioned on the revision it read."""

    task_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute()
    campaign_name = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    member_no = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    rev = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    claimed_by = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute(null=True)
    claim_until = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)  # reached | no_answer | declined
    note = UnicodeAttribute(null=True)
    done_by = UnicodeAttribute(null=True)
    done_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)


class CallHolderItem(Item):
    """``CAMP#<id>`` / ``AGENT#<staff_id>``: how many of the campaign's tasks the agent holds (claimed, not done or
    returned): a claim adds 1 only while below ``max_per_agent``, in the claim's transaction."""

    open = NumberAttribute(default=0)
