"""The C2B rules, pure (no I/O): statuses and their moves, which shard a member counts on, how the headroom below
the threshold is shared among the shards, and what the listings show of a shard's count.

The headroom invariant (see the area's docstring): while a request is ``open``, ``sum(head) == threshold - demand``
and every ``head >= 0``. A support that leaves its own shard's head at 1 or more cannot have reached the threshold
(the sum stays positive), so it needs no other shard; only a support that would empty its shard's head reads and
conditions on every shard, and so knows the exact total.
"""

from __future__ import annotations

import hashlib

SHARDS = 8
POLL_SHARDS = 4
MAX_POLLS = 4
MAX_OPTIONS = 10
MAX_QUANTITY = 10

STATUSES = ("open", "threshold_reached", "under_review", "accepted", "in_production", "launched", "declined",
            "hidden")
LISTED_STATUSES = STATUSES[:-1]  # what members may filter on (hidden requests are not listed)
OPERATOR_MOVES = ("under_review", "accepted", "in_production", "launched", "declined", "hidden")

# Where an operator may move a request from each status (``threshold_reached`` is reached by demand only).
MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"under_review", "declined", "hidden"}),
    "threshold_reached": frozenset({"under_review", "accepted", "declined", "hidden"}),
    "under_review": frozenset({"accepted", "declined", "hidden"}),
    "accepted": frozenset({"in_production", "declined"}),
    "in_production": frozenset({"launched", "declined"}),
    "launched": frozenset(),
    "declined": frozenset(),
    "hidden": frozenset(),
}

# The phase every shard carries, so that a support conditions on its own shard only.
OPEN, REACHED, CLOSED = "open", "reached", "closed"


def phase_of(status: str) -> str:
    """``open``: the threshold is watched; ``reached``: supports are counted freely; ``closed``: frozen."""
    if status == "open":
        return OPEN
    if status in ("launched", "declined", "hidden"):
        return CLOSED
    return REACHED


def may_move(current: str, target: str) -> bool:
    return target in MOVES.get(current, frozenset())


def shard_of(customer_id: str, shards: int = SHARDS) -> int:
    """A stable shard per member (the support item keeps it, so a merge moves a support without moving counts)."""
    return int.from_bytes(hashlib.sha256(customer_id.encode()).digest()[:4], "big") % shards


def share(headroom: int, shards: int = SHARDS) -> list[int]:
    """``headroom`` split as evenly as possible over ``shards`` (sums to ``headroom``; none negative)."""
    headroom = max(headroom, 0)
    base, extra = divmod(headroom, shards)
    return [base + (1 if i < extra else 0) for i in range(shards)]


def fits_fast(head: int, delta: int) -> bool:
    """A change of ``delta`` units on a shard whose head is ``head`` keeps that head >= 1 (or gives units back)."""
    return delta <= 0 or head > delta


def listed(value: int) -> int:
    """What the listings show of one shard's count: exact below 100, then in steps of 10, then of 100 from 1,000.

    The listing items are rewritten only when a shard's listed value changes, so a request taking thousands of
    supports a minute writes its listing about once per 10-100 units per shard, not once per support."""
    if value < 100:
        return max(value, 0)
    if value < 1000:
        return value - value % 10
    return value - value % 100


def popularity_key(demand: int, created_at: str, request_id: str) -> str:
    """The ``popular`` index's sort key: demand zero-padded (sorts as a string), then age, then ID."""
    return f"{max(demand, 0):012d}#{created_at}#{request_id}"


def newest_key(created_at: str, request_id: str) -> str:
    return f"{created_at}#{request_id}"
