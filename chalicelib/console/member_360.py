"""The agent's 360 view of a member: profile, tier, accounts, recent ledger, redemptions, vouchers, transactions, cases.

Everything lives in the member's partition ``CUST#<id>``, under sort-key prefixes that each hold one kind of item:

==============  ==================================================  ================================
prefix          what                                                read
==============  ==================================================  ================================
``M#``          profile, points state, buckets, Plus (``GET /v1/me``)  one Query (points' reading)
``L#``          ledger entries (grows for ever)                     newest 10: Query, Limit      
``RDM#``        redemptions (IDs sort by time)                      newest 10: Query, Limit      
``V#``          benefit vouchers (IDs sort by time)                 newest 10: Query, Limit      
``TXN#``        transactions accepted for retry                     newest 10: Query, Limit      
``CASE#``       follow-up cases                                     up to 50: Query
``M#APPT#``     appointments (under ``M#``: also in the first read)  newest 20: Query, Limit
``EVM#<id>``    event registrations and invitations (``gsi2``)      newest: Query, Limit
``M#C2BS#``     product-request supports (under ``M#``, as above)   newest: Query, Limit
==============  ==================================================  ================================

One Query over the whole partition would read the member's entire ledger, so each area's section (its manifest's
``member_360``) makes its own bounded Query per prefix, all at once on a small thread pool: nine calls, one round
trip of latency, the same cost at 10 or 10,000 ledger entries. Phone numbers are masked here; the full number is
shown only on a case the agent has claimed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.core import area, clock
from chalicelib.core.area import Section360
from chalicelib.points import public as points

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="member360")  # every section at once


def sections() -> list[Section360]:
    """Every area's section, in ``AREAS`` order."""
    return [area.resolve(a.member_360) for a in area.installed() if a.member_360]


def _read_all(customer_id: str, parts: list[Section360]) -> tuple[points.MemberItems, list[Any]]:
    member = _pool.submit(points.query_member, customer_id, True)
    reads = [_pool.submit(part.read, customer_id) if part.read else None for part in parts]
    return member.result(), [job.result() if job else None for job in reads]


def view(customer_id: str) -> dict[str, Any]:
    """``GET /v1/agent/members/{customer_id}`` (follows a merged customer to the survivor: one more round)."""
    parts = sections()

    def read(cid: str) -> tuple[points.MemberItems, list[Any]]:
        return _read_all(cid, parts)

    member, reads = points.follow_member(customer_id, read, lambda found: found[0])
    now = clock.now()
    out: dict[str, Any] = {}
    for part, raw in zip(parts, reads, strict=True):
        out.update(part.render(raw, member, now))
    return out
