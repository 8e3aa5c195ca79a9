"""The audit hash chain, pure: how a record's hash is computed and how a day's chains are verified.

Chains: one per Shanghai day and shard (``SHARDS`` of them, a staff member's records always in the shard of their
staff ID). A chain's head is one item written in every audited transaction with a condition on its sequence
number, so records of one chain are strictly ordered; sixteen chains a day mean two staff members contend only when
their IDs share a shard, and never across days (one chain for the whole system would serialise every staff write).

A record's ``hash`` is SHA-256 over the previous record's hash and the record's canonical JSON ``body`` (which
names its day, shard and sequence number): an edited body, a record moved to another place, a removed or reordered
record each break the chain at that record; the head (sequence and hash of the last record) tells a removed tail.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

SHARDS = 16


def shard_of(actor: str) -> int:
    return zlib.crc32(actor.encode()) % SHARDS


def genesis(day: str, shard: int) -> str:
    """The ``prev`` of a chain's first record: bound to its day and shard, so a chain cannot be moved."""
    return hashlib.sha256(f"audit-genesis#{day}#{shard:02d}".encode()).hexdigest()


def canonical(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(prev: str, body_json: str) -> str:
    return hashlib.sha256(f"{prev}\n{body_json}".encode()).hexdigest()


class Problem(NamedTuple):
    shard: int
    seq: int
    problem: str


def verify_chain(day: str, shard: int, records: Iterable[Mapping[str, Any]],
                 head: Mapping[str, Any] | None) -> Problem | None:
    """The first problem of one chain (records in sequence order: ``seq``, ``prev``, ``hash``, ``body``), or None.

    ``edited`` (the hash does not match the body), ``misplaced`` (the body names another day, shard or place),
    ``removed`` (a sequence number missing, or the head names a later record), ``reordered`` (the record does not
    follow the one before it).
    """
    prev, expected = genesis(day, shard), 1
    for rec in records:
        seq = int(rec["seq"])
        try:
            body = json.loads(rec["body"])
        except (TypeError, ValueError):
            return Problem(shard, seq, "edited")
        if record_hash(str(rec.get("prev")), str(rec["body"])) != rec.get("hash"):
            return Problem(shard, seq, "edited")
        if (body.get("day"), body.get("shard"), body.get("seq")) != (day, shard, seq):
            return Problem(shard, seq, "misplaced")
        if seq != expected:
            return Problem(shard, expected, "removed")
        if rec.get("prev") != prev:
            return Problem(shard, seq, "reordered")
        prev, expected = str(rec["hash"]), expected + 1
    if head is not None and (int(head["seq"]) != expected - 1 or head.get("hash") != prev):
        return Problem(shard, expected, "removed")
    return None
