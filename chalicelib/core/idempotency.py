"""Idempotency-Key for POST routes that spend, reserve or issue something (the outline's Conventions).

A repeat with the same key and body returns the first response with ``Idempotent-Replayed: true`` and changes
nothing; the same key with another body is 422 ``idempotency_key_reused``; a missing key is 400
``idempotency_key_required`` (the route layer checks that: declare the route with ``idempotent=True``).

Where the record lives
    In the caller's own partition, outside the member's bounded ``M#`` read (records accumulate with the member's
    requests): ``CUST#<id>`` / ``H#IDEM#<sha256(scope, key)[:32]>``, with the request hash, the response and a
    24-hour TTL. Keys are scoped per caller and route: the scope is the route (``"POST /v1/redemptions"``) and the
    partition is the caller's, so two members (or two routes) never share a key. (Before the member partition was
    bounded they sat at ``M#IDEM#...``; ``lookup`` still finds one among the member's ``M#`` items, and while
    ``core.dynamo.member_layout.migrating()`` ``get`` reads both keys in one BatchGetItem.)

What it costs
    * Reading: one consistent GetItem, ``get(req)``, before anything else: a replay is answered from that one read.
    * Writing: ``record_in(tx, req, status, body)`` puts the record in the use case's own TransactWrite,
      conditioned on its absence (or expiry). Two racing requests with one key cannot both commit: the loser's
      transaction is cancelled on the ``idempotency`` label and ``replay_after_race(req)`` answers it from the
      winner's record (or 422 if the winner's body differed).

Only successful outcomes (2xx, including 202 accepted-for-retry) are recorded, since they are the ones written in
the use case's transaction; a refusal (409 ``insufficient_points``...) changed nothing, so repeating the request
runs it again and may succeed once the member can afford it.

Usage (any POST route)::

    req = idempotency.request(keys.customer_pk(cid), "POST /v1/benefits/{benefit_id}/claims", ctx.idempotency_key,
                              {"benefit_id": benefit_id, "body": ctx.body})
    stored = idempotency.get(req)            # one GetItem, before the use case's own reads
    if stored is not None:
        return idempotency.replay_response(stored)       # raises 422 if the body differs
    tx = Tx(); ...your items...; idempotency.record_in(tx, req, "created", body)
    try:
        tx.commit()
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        raise                                # one of your own conditions failed
    return results.created(body)

Records keep the first answer's HTTP status (``STORED_STATUS``), as they always have: the stored format does not
change with the code that reads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.dynamo import member_layout
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.results import Outcome, Result

IDEM_PREFIX = "H#IDEM#"


class IdempotencyItem(Item):
    """``<owner pk>`` / ``M#IDEM#<sha256(scope, key)[:32]>``: the first response to one Idempotency-Key.

    ``request_hash`` tells a replay (same body) from a reused key (another body). ``provisional`` marks a response
    written before the request finished (a partner fulfilment still running); the final one replaces it.
    ``ttl`` (epoch seconds) is the table's TTL attribute: DynamoDB deletes the record some time after it.
    """

    request_hash = UnicodeAttribute()
    status = NumberAttribute()
    body = JSONAttribute(null=True)
    headers = JSONAttribute(null=True)
    provisional = BooleanAttribute(null=True)


TTL_SECONDS = 24 * 3600
DIGEST_CHARS = 32  # 128 bits of SHA-256: plenty within one caller's partition, and records stay small
LABEL = "idempotency"
# The outcome as stored in a record (an HTTP status, the records' format since the first version).
STORED_STATUS: dict[Outcome, int] = {"ok": 200, "created": 201, "accepted": 202}
OUTCOME_OF: dict[int, Outcome] = {status: outcome for outcome, status in STORED_STATUS.items()}


def _canonical(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=False)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def hash_payload(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload`` (pydantic models dumped; keys sorted)."""
    text = json.dumps(_canonical(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_CHARS]


@dataclass(frozen=True)
class Request:
    """One idempotent request: whose partition holds its record, its scope (route), key and body hash."""

    owner_pk: str
    scope: str
    key: str
    request_hash: str

    @property
    def sk(self) -> str:
        digest = hashlib.sha256(f"{self.scope}\n{self.key}".encode()).hexdigest()[:DIGEST_CHARS]
        return f"{IDEM_PREFIX}{digest}"


def request(owner_pk: str, scope: str, key: str | None, payload: Any) -> Request:
    """``owner_pk``: the caller's partition (``CUST#<id>``); ``scope``: the route (method and path template);
    ``payload``: what makes two requests "the same" (the body, plus path parameters if the scope has any)."""
    if not key:
        raise AppError("idempotency_key_required")
    return Request(owner_pk, scope, key, hash_payload(payload))


@dataclass
class Stored:
    status: int
    body: Any
    request_hash: str
    expires_at: int
    provisional: bool = False


def _stored(item: IdempotencyItem) -> Stored:
    return Stored(
        status=int(item.status), body=item.body, request_hash=item.request_hash, expires_at=int(item.ttl or 0),
        provisional=bool(item.provisional),
    )


def _live(item: IdempotencyItem, now: int) -> bool:
    return item.ttl is None or int(item.ttl) > now


def _checked(req: Request, stored: Stored) -> Stored:
    if stored.request_hash != req.request_hash:
        raise AppError("idempotency_key_reused")
    return stored


def owner_moved(req: Request, owner_pk: str, raw_items: Iterable[dict[str, Any]]) -> tuple[Request, Stored | None]:
    """After ``get(req)`` found nothing and the use case read the member: ``req`` for the partition it actually read
    (``owner_pk``: the survivor when the read followed a merge; one more GetItem then), and a record of the old
    layout found among the raw items read."""
    if owner_pk != req.owner_pk:
        req = Request(owner_pk, req.scope, req.key, req.request_hash)
        stored = get(req)
        if stored is not None:
            return req, stored
    return req, lookup(req, raw_items)


def lookup(req: Request, raw_items: Iterable[dict[str, Any]]) -> Stored | None:
    """The live record of ``req`` among raw DynamoDB items the caller already read (e.g. ``MemberItems.others``).

    Records past their TTL count as absent (DynamoDB deletes them lazily). 422 ``idempotency_key_reused`` if the
    record's body hash differs from this request's.
    """
    sks, now = {req.sk, member_layout.old_key(req.sk)}, clock.epoch()
    for raw in raw_items:
        if raw.get("sk", {}).get("S") in sks and raw.get("pk", {}).get("S") == req.owner_pk:
            item = IdempotencyItem.from_raw_data(raw)
            return _checked(req, _stored(item)) if _live(item, now) else None
    return None


def sort_keys(req: Request) -> list[str]:
    """Where the record of ``req`` may be: its key, and its old-layout key while the partition is migrated."""
    return [req.sk, member_layout.old_key(req.sk)] if member_layout.migrating() else [req.sk]


def from_found(req: Request, found: dict[tuple[str, str], dict[str, Any]]) -> Stored | None:
    """The live record of ``req`` among items a caller's BatchGetItem of ``sort_keys(req)`` returned, checked."""
    return lookup(req, [raw for sk in sort_keys(req) if (raw := found.get((req.owner_pk, sk)))])


def get(req: Request, consistent: bool = True) -> Stored | None:
    """One GetItem (strongly consistent by default): the live record of ``req``, checked as in ``lookup``; one
    BatchGetItem of its two places while the member partition is being migrated."""
    if member_layout.migrating():
        found = {i.sk: i for i in IdempotencyItem.batch_get(
            [(req.owner_pk, req.sk), (req.owner_pk, member_layout.old_key(req.sk))], consistent_read=consistent)}
        item = found.get(req.sk) or found.get(member_layout.old_key(req.sk))
        if item is None:
            return None
        return _checked(req, _stored(item)) if _live(item, clock.epoch()) else None
    try:
        item = IdempotencyItem.get(req.owner_pk, req.sk, consistent_read=consistent)
    except IdempotencyItem.DoesNotExist:
        return None
    return _checked(req, _stored(item)) if _live(item, clock.epoch()) else None


def _item(req: Request, outcome: Outcome, body: Any, provisional: bool) -> IdempotencyItem:
    return IdempotencyItem(
        pk=req.owner_pk, sk=req.sk, request_hash=req.request_hash, status=STORED_STATUS[outcome], body=body,
        provisional=provisional or None, ttl=clock.epoch() + TTL_SECONDS,
    )


def record_in(
    tx: Tx,
    req: Request,
    outcome: Outcome,
    body: Any,
    *,
    provisional: bool = False,
    label: str = LABEL,
) -> None:
    """Put the record of ``req`` (its response) in ``tx``, on condition that no live record exists.

    If another request with the same key committed first, ``tx`` is cancelled with ``label`` among the failed
    labels: answer with ``replay_after_race(req)``.
    """
    condition = IdempotencyItem.pk.does_not_exist() | (IdempotencyItem.ttl < clock.epoch())
    tx.put(label, _item(req, outcome, body, provisional), condition)
    if member_layout.migrating():  # a record of the old layout counts too
        tx.check(label, IdempotencyItem, req.owner_pk, member_layout.old_key(req.sk), condition)


def finalise_in(tx: Tx, req: Request, outcome: Outcome, body: Any, *, label: str = LABEL) -> None:
    """Replace a provisional record (written by ``record_in(..., provisional=True)``) with the final response."""
    condition = IdempotencyItem.request_hash == req.request_hash
    tx.put(label, _item(req, outcome, body, False), condition)


def replay_response(stored: Stored) -> Result:
    """The first response again, as a replay (the HTTP layer marks it ``Idempotent-Replayed: true``)."""
    return Result(stored.body, OUTCOME_OF.get(stored.status, "ok"), replayed=True)


def commit_or_replay(tx: Tx, req: Request) -> Result | None:
    """Commit ``tx`` (holding ``req``'s record): None when it committed; the winner's answer when another request
    with the same key committed first; any other cancellation is raised for the caller to read."""
    try:
        tx.commit()
    except TxCancelled as exc:
        if (replayed := replay_if_recorded(req, exc)) is not None:
            return replayed
        raise
    return None


def replay_if_recorded(req: Request | None, exc: TxCancelled) -> Result | None:
    """After a cancelled commit that held ``req``'s record: the first answer if a request with the same key committed
    first, else None (the caller reads ``exc`` for its own conditions).

    A twin that committed first shows as the record's failed condition, or, when the two transactions overlapped, as
    a conflict on the record beside a failed condition of another item (the survey already answered, the export
    already running): so the record is read whenever its own condition was not the one that failed.
    """
    if req is None:
        return None
    if LABEL in exc.failed:
        return replay_after_race(req)
    stored = get(req)
    return None if stored is None else replay_response(stored)


def replay_after_race(req: Request) -> Result:
    """After losing a race on the record: read the winner's record (consistently) and replay it (or 422)."""
    stored = get(req)
    if stored is None:  # the winner's record expired meanwhile: vanishingly rare; let the client retry
        raise AppError("service_unavailable", retry_after=1)
    return replay_response(stored)


def stored_from_raw(raw: dict[str, Any]) -> Stored:
    return _stored(IdempotencyItem.from_raw_data(raw))
