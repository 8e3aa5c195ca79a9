"""A member's side of C2B: the merge of two accounts and the agents' 360 section (the member's supports)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.c2b import reading
from chalicelib.c2b.models import (
    MINE_PREFIX,
    MY_SUPPORT_PREFIX,
    MY_VOTE_PREFIX,
    MySupportItem,
    MyVoteItem,
    PollShardItem,
    ShardItem,
    SupportItem,
    VoteItem,
    request_pk,
    support_sk,
    vote_sk,
)
from chalicelib.core.area import Section360
from chalicelib.core.dynamo import keys, member_layout
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.observability import logger

MAX_MERGED = 8  # supports and votes moved in the merge transaction (shared with every other area's items)
RECENT_360 = 10


def _moved(item: Any, customer_id: str, sk: str) -> Any:
    moved = type(item).from_raw_data(item.serialize())
    moved.sk, moved.customer_id = sk, customer_id
    return moved


def merge(tx: Tx, absorbed: Any, survivor: Any) -> None:
    """``Area.merge``: the absorbed member's supports and votes follow the survivor without counting twice.

    A support the survivor does not have moves (same quantity, same shard: no count changes); where both supported,
    the survivor's stays and the absorbed one's units come off its shard. Votes likewise (the survivor's vote in a
    poll wins). The supports' and votes' shard stays with the item, so nothing is re-counted."""
    a, s = absorbed.customer_id, survivor.customer_id
    mirrors = member_layout.newest(a, MINE_PREFIX, MAX_MERGED * 2)
    wanted: list[tuple[str, str]] = []
    for raw in mirrors:
        sk = member_layout.current_sk(raw)
        if sk.startswith(MY_SUPPORT_PREFIX):
            rid = sk[len(MY_SUPPORT_PREFIX):]
            wanted += [(request_pk(rid), support_sk(a)), (request_pk(rid), support_sk(s))]
        elif sk.startswith(MY_VOTE_PREFIX):
            rid, _, poll = sk[len(MY_VOTE_PREFIX):].partition("#")
            wanted += [(request_pk(rid), vote_sk(poll, a)), (request_pk(rid), vote_sk(poll, s))]
    found = reading.batch_get(wanted[:100]) if wanted else {}
    moved = 0
    for raw in mirrors:
        if moved >= MAX_MERGED:
            logger.warning("c2b merge truncated", extra={"customer_id": a})
            break
        sk = member_layout.current_sk(raw)
        if sk.startswith(MY_SUPPORT_PREFIX):
            rid = sk[len(MY_SUPPORT_PREFIX):]
            mine = found.get((request_pk(rid), support_sk(a)))
            if mine is None:
                continue
            support = SupportItem.from_raw_data(mine)
            tx.delete(f"c2b_support_out:{moved}", support, SupportItem.quantity == int(support.quantity))
            tx.delete(f"c2b_mirror_out:{moved}", MySupportItem.from_raw_data(raw))
            if (request_pk(rid), support_sk(s)) in found:
                q = int(support.quantity)
                tx.update(f"c2b_shard:{moved}", reading.shard_key(rid, int(support.shard)),
                          [ShardItem.cnt.add(-1), ShardItem.qty.add(-q), ShardItem.head.add(q), ShardItem.ver.add(1)])
            else:
                tx.put(f"c2b_support_in:{moved}", _moved(support, s, support_sk(s)), SupportItem.pk.does_not_exist())
                mirror = MySupportItem.from_raw_data(raw)
                mirror.pk, mirror.sk = keys.customer_pk(s), sk
                tx.put(f"c2b_mirror_in:{moved}", mirror)
            moved += 1
        elif sk.startswith(MY_VOTE_PREFIX):
            rid, _, poll = sk[len(MY_VOTE_PREFIX):].partition("#")
            mine = found.get((request_pk(rid), vote_sk(poll, a)))
            if mine is None:
                continue
            vote = VoteItem.from_raw_data(mine)
            tx.delete(f"c2b_vote_out:{moved}", vote, VoteItem.option_id == vote.option_id)
            tx.delete(f"c2b_vmirror_out:{moved}", MyVoteItem.from_raw_data(raw))
            if (request_pk(rid), vote_sk(poll, s)) in found:
                tx.update(f"c2b_poll:{moved}", reading.poll_shard_key(rid, poll, int(vote.shard)),
                          [getattr(PollShardItem, vote.option_id).add(-1)])
            else:
                tx.put(f"c2b_vote_in:{moved}", _moved(vote, s, vote_sk(poll, s)), VoteItem.pk.does_not_exist())
                mirror_v = MyVoteItem.from_raw_data(raw)
                mirror_v.pk, mirror_v.sk = keys.customer_pk(s), sk
                tx.put(f"c2b_vmirror_in:{moved}", mirror_v)
            moved += 1


def _render_360(raw: list[dict[str, Any]], _member: Any, _now: datetime) -> dict[str, Any]:
    items = [MySupportItem.from_raw_data(r) for r in raw]
    return {"product_requests": {"supports": [
        {"request_id": i.request_id, "title": i.title, "quantity": int(i.quantity), "created_at": i.created_at}
        for i in sorted(items, key=lambda i: i.updated_at, reverse=True)]}}


member_360 = Section360(read=lambda customer_id: member_layout.newest(customer_id, MY_SUPPORT_PREFIX, RECENT_360),
                        render=_render_360, keys="chalicelib.c2b.http.member_schemas:Member360ProductRequests")

