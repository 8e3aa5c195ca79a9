"""C2B's items in the personal-data registry (``core/personal_data.py``)."""

from typing import Any

from chalicelib.c2b.models import MY_PROPOSAL_PREFIX, REQUEST_PREFIX, REQUEST_SK
from chalicelib.core.dynamo.batch import batch_get
from chalicelib.core.dynamo.member_layout import newest
from chalicelib.core.personal_data import Kind

REGISTRY = {
    "RequestItem": Kind(
        finder="chalicelib.c2b.personal_data:proposals_of",
        export="request_id title description category specs target_price_fen status created_at",
        erase="title description specs note history",
        plain="category created_at customer_id poll_count polls reached_at request_id status target_price_fen "
              "threshold updated_at"),
    "ShardItem": Kind(none="a request's counter shard"),
    "PollShardItem": Kind(none="a poll's counter shard"),
    "ListingItem": Kind(none="a request as the listings show it (its text follows the request's at erasure)"),
    "FanoutItem": Kind(none="telling every supporter of one event: a cursor over the supports"),
    "SupportItem": Kind(none="a pledge as the request counts it; the member's copy is the mirror (M#C2BS#)"),
    "VoteItem": Kind(none="a vote as the poll counts it; the member's copy is the mirror (M#C2BV#)"),
    "MyProposalItem": Kind(where=(MY_PROPOSAL_PREFIX,), export="request_id created_at", plain="request_id created_at"),
    "MySupportItem": Kind(where=("M#C2BS#", "H#C2BS#"), export="request_id title quantity created_at",
                          plain="created_at quantity request_id title updated_at"),
    "MyVoteItem": Kind(where=("M#C2BV#", "H#C2BV#"), export="request_id poll_id option_id",
                       plain="option_id poll_id request_id"),
}


def proposals_of(customer_id: str) -> list[dict[str, Any]]:
    """The proposals the member wrote, raw: their mirrors (``H#C2BP#``), then the requests in one BatchGetItem."""
    mirrors = newest(customer_id, MY_PROPOSAL_PREFIX, 1000)
    keys = [(REQUEST_PREFIX + m["request_id"]["S"], REQUEST_SK) for m in mirrors]
    return [raw for start in range(0, len(keys), 100) for raw in batch_get(keys[start:start + 100]).values()]
