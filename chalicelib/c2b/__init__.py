"""C2B product requests: members propose, pledge units, reach a threshold that starts the brand's decision, and
vote on design and price; operators moderate and move requests through to launch, when supporters get a voucher.

Key choices (the README's "C2B product requests" section says more, with the bench's figures):

- Proposals are open at once and moderated afterwards (``hidden`` or ``declined`` with a note); a member may
  propose ``C2B_PROPOSALS_PER_DAY`` (5) a day: a fixed-window counter in the proposal's own transaction (429
  ``rate_limited`` with ``Retry-After`` to the window's end).
- The counters are sharded: ``SHARDS`` (8) items per request; a member counts on ``shard_of(customer)`` (kept on
  the support item). No support writes the request item, so a request taking thousands of supports a minute
  spreads them over 8 items (one support = one BatchGetItem + one transaction).
- The threshold is crossed exactly once, in the transaction of the support that crossed it, by a headroom
  invariant: while open, ``sum(shard.head) == threshold - demand`` with every head >= 0. A support whose own
  shard's head stays >= 1 (the fast path: conditioned on that shard only) provably leaves demand below the
  threshold. A shard short of head borrows half of the richest other shard's (conditioned on those two shards
  only: the sum is unchanged). With little headroom left anywhere, a support takes the slow path: every shard
  conditioned on the ``ver`` read, so it knows the exact total, and either crosses (the status, the shards' phase
  ``reached``, the listings, the proposer's notification and the fan-out task, all in that transaction) or shares
  the headroom out again. Only the last ~``SHARDS x MAX_QUANTITY`` units before a threshold are serialised.
- Every shard mirrors the request's phase (open / reached / closed), so supports never read-check the request item.
- Supporters are told by a fan-out task (``fanout.py``): pages of 25 supports, each page's notifications (and
  launch vouchers, granted through ``benefits.vouchers`` with a marker per supporter and request) committed with the
  task's cursor, conditioned on the cursor read: each supporter exactly once, whatever the number of workers.
  Those told of the threshold are the supporters who supported while it was open (``early``).
- Listings: ``gsi1`` (newest) and ``gsi2`` (popular: zero-padded demand in the sort key) over two listing items per
  request (every status / its status); one Query a page. Their counts are the sum of ``rules.listed`` per shard
  (exact below 100 a shard, then steps of 10 and 100), rewritten only when a shard's listed value changes.
- Polls: counts on 4 shards per poll; a vote moves with one update of the member's shard (-1 old, +1 new).
- Merges: supports and votes move to the survivor with their shard (nothing re-counted); where both had one, the
  survivor's stays and the absorbed one's units come off its shard.
"""

from chalicelib.c2b.errors import ERRORS
from chalicelib.c2b.notices import NOTICES
from chalicelib.core.area import Area, Job

AREA = Area(
    name="c2b",
    moved_kinds={"M#C2BS#": "H#C2BS#", "M#C2BV#": "H#C2BV#", "M#C2BGIFT#": "H#C2BGIFT#"},
    routes=("member", "admin"),
    errors=ERRORS,
    notices=NOTICES,
    jobs=(Job("c2b_fanout_job", "rate(1 minute)", "chalicelib.c2b.fanout:run", with_context=True,
              doc="Tells every supporter of a threshold reached, a status change or a launch (with its voucher), "
                  "page by page, each exactly once."),),
    customer_items=True,
    merge="chalicelib.c2b.hooks:merge",
    seeds=("chalicelib.c2b.seeds:seed_defaults",),
    member_360="chalicelib.c2b.hooks:member_360",
    personal_data="chalicelib.c2b.personal_data:REGISTRY",
)
