"""Reading a request in one call: a BatchGetItem of the request, its counter shards, the caller's support and, for
the page, its poll shards and the caller's votes (every key is known: polls are numbered ``pl1``..``pl4``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib.c2b import rules
from chalicelib.c2b.models import (
    REQUEST_SK,
    PollShardItem,
    RequestItem,
    ShardItem,
    SupportItem,
    VoteItem,
    number,
    poll_shard_sk,
    request_pk,
    shard_sk,
    support_sk,
    vote_sk,
)
from chalicelib.core.dynamo.batch import batch_get
from chalicelib.core.errors import AppError

REQUEST_ID = re.compile(r"^pr_[0-9a-f]{16}$")
POLL_IDS = tuple(f"pl{n}" for n in range(1, rules.MAX_POLLS + 1))


@dataclass
class State:
    """What one read found: absent items are None (a shard never written reads as zeros)."""

    request: RequestItem | None
    shards: list[dict[str, Any]]
    support: SupportItem | None = None
    proposer_support: SupportItem | None = None
    votes: dict[str, VoteItem] = field(default_factory=dict)
    poll_shards: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def support_count(self) -> int:
        return sum(number(s, "cnt") for s in self.shards)

    @property
    def demand(self) -> int:
        return sum(number(s, "qty") for s in self.shards)

    def shard(self, n: int) -> dict[str, Any]:
        return self.shards[n]

    def phase(self) -> str:
        return self.shards[0].get("phase", {}).get("S") or rules.phase_of(self.request.status if self.request
                                                                         else "open")

    def poll_votes(self, poll_id: str, option_id: str) -> int:
        return sum(number(s, option_id) for s in self.poll_shards.get(poll_id, []))


def read(request_id: str, customer_id: str | None = None, *, polls: bool = False,
         proposer: str | None = None) -> State:
    if not REQUEST_ID.match(request_id):
        raise AppError("not_found")  # no such ID can exist (and no odd key reaches DynamoDB)
    pk = request_pk(request_id)
    keys = [(pk, REQUEST_SK), *((pk, shard_sk(n)) for n in range(rules.SHARDS))]
    if customer_id:
        keys.append((pk, support_sk(customer_id)))
    if proposer:
        keys.append((pk, support_sk(proposer)))
    if polls:
        keys += [(pk, poll_shard_sk(p, n)) for p in POLL_IDS for n in range(rules.POLL_SHARDS)]
        if customer_id:
            keys += [(pk, vote_sk(p, customer_id)) for p in POLL_IDS]
    found = batch_get(keys)
    raw_request = found.get((pk, REQUEST_SK))
    request = RequestItem.from_raw_data(raw_request) if raw_request else None
    state = State(request, [found.get((pk, shard_sk(n)), {}) for n in range(rules.SHARDS)])
    if customer_id and (raw := found.get((pk, support_sk(customer_id)))):
        state.support = SupportItem.from_raw_data(raw)
    if proposer and (raw := found.get((pk, support_sk(proposer)))):
        state.proposer_support = SupportItem.from_raw_data(raw)
    if polls:
        for p in POLL_IDS:
            shards = [found[(pk, poll_shard_sk(p, n))] for n in range(rules.POLL_SHARDS)
                      if (pk, poll_shard_sk(p, n)) in found]
            if shards:
                state.poll_shards[p] = shards
            if customer_id and (raw := found.get((pk, vote_sk(p, customer_id)))):
                state.votes[p] = VoteItem.from_raw_data(raw)
    return state


def shard_key(request_id: str, n: int) -> ShardItem:
    return ShardItem(pk=request_pk(request_id), sk=shard_sk(n))


def poll_shard_key(request_id: str, poll_id: str, n: int) -> PollShardItem:
    return PollShardItem(pk=request_pk(request_id), sk=poll_shard_sk(poll_id, n))
