"""The C2B area's items. A request's partition ``C2B#<request_id>`` holds everything about it, sorted so that the
header (the request, its counter shards, its poll shards) comes first, then the listing entries, the fan-out tasks,
the supports and the votes. A member's partition keeps a mirror of each of their supports and votes (``M#C2B...``)
for their list, the agents' 360 view and a merge.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

REQUEST_PREFIX = "C2B#"
REQUEST_SK = "A#REQ"
SHARD_PREFIX = "B#SHARD#"
POLL_SHARD_PREFIX = "C#POLL#"
LISTING_ALL_SK = "L#ALL"
LISTING_STATUS_SK = "L#ST"
FANOUT_PREFIX = "F#"
SUPPORT_PREFIX = "S#"
VOTE_PREFIX = "V#"
MY_PROPOSAL_PREFIX = "H#C2BP#"  # the proposals the member wrote (export and erasure find them here)
MY_SUPPORT_PREFIX = "H#C2BS#"  # the member's own items grow with their history: under H# (core.dynamo.member_layout)
MY_VOTE_PREFIX = "H#C2BV#"
GIFT_PREFIX = "H#C2BGIFT#"
MINE_PREFIX = "H#C2B"  # every one of the three
FANOUT_INDEX_PK = "C2B#FANOUT"  # gsi1pk of a fan-out task still running
NEW_INDEX = "C2B#NEW"  # gsi1pk of the listings by age (``#<status>`` for one status)
POPULAR_INDEX = "C2B#POP"  # gsi2pk of the listings by demand


def request_pk(request_id: str) -> str:
    return f"{REQUEST_PREFIX}{request_id}"


def shard_sk(n: int) -> str:
    return f"{SHARD_PREFIX}{n}"


def poll_shard_sk(poll_id: str, n: int) -> str:
    return f"{POLL_SHARD_PREFIX}{poll_id}#{n}"


def support_sk(customer_id: str) -> str:
    return f"{SUPPORT_PREFIX}{customer_id}"


def vote_sk(poll_id: str, customer_id: str) -> str:
    return f"{VOTE_PREFIX}{poll_id}#{customer_id}"


class RequestItem(Item):
    """``C2B#<id>`` / ``A#REQ``: the proposal as the member wrote it, its status and the operators' notes.

    Written by the proposer once, by operators, and by the one support that crosses the threshold: never by every
    support (the counts live in the shards). ``polls`` holds the polls' definitions (``[{poll_id, question,
    options: [{option_id, label}], supporters_only, closed}]``)."""

    request_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()  # the proposer
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    category = UnicodeAttribute()
    target_price_fen = NumberAttribute(null=True)
    specs = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    threshold = NumberAttribute()
    note = UnicodeAttribute(null=True)  # the latest note supporters see
    history = JSONAttribute(null=True)  # [{status, note, at, by}]
    polls = JSONAttribute(null=True)
    poll_count = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reached_at = UnicodeAttribute(null=True)


class ShardItem(Item):
    """``C2B#<id>`` / ``B#SHARD#<n>``: one of the request's counter shards (a member counts on ``shard_of``).

    ``head`` is this shard's part of the headroom below the threshold (see ``rules``); ``ver`` changes on every
    write, so a write that must know the exact total conditions on every shard's ``ver``; ``phase`` mirrors the
    request's status (``rules.phase_of``) so that a support conditions on its own shard only."""

    cnt = NumberAttribute(default=0)
    qty = NumberAttribute(default=0)
    head = NumberAttribute(default=0)
    ver = NumberAttribute(default=0)
    phase = UnicodeAttribute()


class PollShardItem(Item):
    """``C2B#<id>`` / ``C#POLL#<poll_id>#<n>``: one shard of a poll's counts, ``o1``..``o10`` per option."""

    closed = BooleanAttribute(null=True)
    o1 = NumberAttribute(null=True)
    o2 = NumberAttribute(null=True)
    o3 = NumberAttribute(null=True)
    o4 = NumberAttribute(null=True)
    o5 = NumberAttribute(null=True)
    o6 = NumberAttribute(null=True)
    o7 = NumberAttribute(null=True)
    o8 = NumberAttribute(null=True)
    o9 = NumberAttribute(null=True)
    o10 = NumberAttribute(null=True)


class ListingItem(Item):
    """``C2B#<id>`` / ``L#ALL`` or ``L#ST``: the request as the listings show it, on ``gsi1`` (newest) and ``gsi2``
    (popular); ``L#ALL`` in the partitions of every status, ``L#ST`` in those of its status. Counts are the sum of
    ``rules.listed`` over the shards, rewritten only when a shard's listed value changes."""

    request_id = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    threshold = NumberAttribute()
    support_count = NumberAttribute(default=0)
    demand_quantity = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)


class FanoutItem(Item):
    """``C2B#<id>`` / ``F#<fanout_id>``: telling every supporter of one event (threshold, status change, launch),
    page by page; ``cursor`` is the last support told, advanced in the page's own transaction."""

    fanout_id = UnicodeAttribute()
    request_id = UnicodeAttribute()
    template = UnicodeAttribute()
    data = JSONAttribute()
    only_early = BooleanAttribute(default=False)  # the threshold: only those who supported while it was open
    voucher = JSONAttribute(null=True)  # the launch: {name, kind, valid_days}
    skip = UnicodeAttribute(null=True)  # the proposer, told in the event's own transaction
    cursor = UnicodeAttribute(null=True)
    told = NumberAttribute(default=0)
    status = UnicodeAttribute()  # pending | done
    created_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class SupportItem(Item):
    """``C2B#<id>`` / ``S#<customer_id>``: one member's pledge (units they would buy); ``shard`` is the shard it
    counts on; ``early`` says it was made while the request was open (those are told of the threshold)."""

    customer_id = UnicodeAttribute()
    quantity = NumberAttribute()
    shard = NumberAttribute()
    early = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class VoteItem(Item):
    """``C2B#<id>`` / ``V#<poll_id>#<customer_id>``: one member's vote in one poll (moved, never doubled)."""

    customer_id = UnicodeAttribute()
    poll_id = UnicodeAttribute()
    option_id = UnicodeAttribute()
    shard = NumberAttribute()
    updated_at = UnicodeAttribute()


class MyProposalItem(Item):
    """``CUST#<id>`` / ``H#C2BP#<request_id>``: a proposal the member wrote (their export and erasure find it here)."""

    request_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class MySupportItem(Item):
    """``CUST#<id>`` / ``M#C2BS#<request_id>``: the member's mirror of a support (their list, 360, merge)."""

    request_id = UnicodeAttribute()
    title = UnicodeAttribute()
    quantity = NumberAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class MyVoteItem(Item):
    """``CUST#<id>`` / ``M#C2BV#<request_id>#<poll_id>``: the member's mirror of a vote (merge)."""

    request_id = UnicodeAttribute()
    poll_id = UnicodeAttribute()
    option_id = UnicodeAttribute()


def number(raw: dict[str, Any], name: str) -> int:
    """A number attribute of a raw (low-level) item, 0 when absent."""
    value = raw.get(name)
    return int(value["N"]) if value and "N" in value else 0
