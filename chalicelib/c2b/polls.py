"""Polls on a request (design, price, specification): options set by operators, optionally for supporters only,
one vote per member that moves until the poll closes. Counts live on ``POLL_SHARDS`` shards per poll; a move takes
one from the old option and adds one to the new in the same update of the member's shard."""

from __future__ import annotations

from typing import Any

from chalicelib.c2b import reading, rules
from chalicelib.c2b.models import (
    MY_VOTE_PREFIX,
    MyVoteItem,
    PollShardItem,
    RequestItem,
    SupportItem,
    VoteItem,
    request_pk,
    support_sk,
    vote_sk,
)
from chalicelib.c2b.supports import visible
from chalicelib.core import clock, results
from chalicelib.core.dynamo import keys, member_layout, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.results import Result

MAX_ATTEMPTS = 25


def _request(request_id: str) -> RequestItem:
    request = reading.read(request_id).request
    if request is None:
        raise AppError("not_found")
    return request


def create(staff_id: str, request_id: str, question: str, options: list[str], supporters_only: bool
           ) -> dict[str, Any]:
    """``POST /v1/admin/product-requests/{id}/polls``: the poll's definition on the request item (conditioned on the
    number of polls read, so two racing creations cannot take the same number) and its zeroed shards."""
    def once(_: int) -> dict[str, Any]:
        request = _request(request_id)
        count = int(request.poll_count or 0)
        existing: list[dict[str, Any]] = list(request.polls or [])
        if count >= rules.MAX_POLLS:
            raise AppError("too_many_polls")
        poll_id = reading.POLL_IDS[count]
        choices = [{"option_id": f"o{i}", "label": label} for i, label in enumerate(options, 1)]
        poll = {"poll_id": poll_id, "question": question, "supporters_only": supporters_only, "closed": False,
                "options": choices, "created_by": staff_id}
        tx = Tx()
        tx.update("request", RequestItem(pk=request.pk, sk=request.sk),
                  [RequestItem.polls.set([*existing, poll]), RequestItem.poll_count.set(count + 1),
                   RequestItem.updated_at.set(clock.iso())],
                  RequestItem.poll_count == count)
        for n in range(rules.POLL_SHARDS):
            shard = reading.poll_shard_key(request_id, poll_id, n)
            for option in choices:
                setattr(shard, option["option_id"], 0)
            tx.put(f"poll_shard:{n}", shard)
        try:
            tx.commit()
        except TxCancelled as exc:
            if "request" in exc.failed:
                raise retry.Again from None
            raise
        return {"poll_id": poll_id, "question": question, "supporters_only": supporters_only,
                "options": choices}
    return retry.until_committed(once, limit=8, what="poll creation", request_id=request_id)


def close(staff_id: str, request_id: str, poll_id: str) -> dict[str, Any]:
    """``POST /v1/admin/product-requests/{id}/polls/{poll_id}/close``: no vote moves after this."""
    def once(_: int) -> dict[str, Any]:
        request = _request(request_id)
        polls: list[dict[str, Any]] = [dict(p) for p in request.polls or []]
        poll = next((p for p in polls if p["poll_id"] == poll_id), None)
        if poll is None:
            raise AppError("not_found")
        poll["closed"], poll["closed_by"] = True, staff_id
        tx = Tx()
        tx.update("request", RequestItem(pk=request.pk, sk=request.sk),
                  [RequestItem.polls.set(polls), RequestItem.updated_at.set(clock.iso())],
                  RequestItem.updated_at == request.updated_at)
        for n in range(rules.POLL_SHARDS):
            tx.update(f"poll_shard:{n}", reading.poll_shard_key(request_id, poll_id, n),
                      [PollShardItem.closed.set(True)])
        try:
            tx.commit()
        except TxCancelled as exc:
            if "request" in exc.failed:
                raise retry.Again from None
            raise
        return {"poll_id": poll_id, "closed": True}
    return retry.until_committed(once, limit=8, what="poll closing", request_id=request_id)


def _option_attr(option_id: str) -> Any:
    return getattr(PollShardItem, option_id)


def vote(customer_id: str, request_id: str, poll_id: str, option_id: str) -> Result:
    """``POST .../polls/{poll_id}/votes``: 201 with my vote; voting again moves it (200)."""
    def once(_: int) -> Result:
        state = reading.read(request_id, customer_id, polls=True)
        request = visible(state)
        poll = next((p for p in request.polls or [] if p["poll_id"] == poll_id), None)
        if poll is None:
            raise AppError("not_found")
        if option_id not in {o["option_id"] for o in poll["options"]}:
            raise AppError("validation_error", details=[{"field": "option_id", "issue": "is not an option of "
                                                                                        "this poll"}])
        if poll.get("closed"):
            raise AppError("poll_closed")
        if state.phase() == rules.CLOSED:
            raise AppError("request_closed")
        if poll.get("supporters_only") and state.support is None:
            raise AppError("supporters_only")
        old = state.votes.get(poll_id)
        counts = {o["option_id"]: state.poll_votes(poll_id, o["option_id"]) for o in poll["options"]}
        if old is not None and old.option_id == option_id:
            return results.ok(_body(poll, counts, option_id))
        n = int(old.shard) if old else rules.shard_of(customer_id, rules.POLL_SHARDS)
        at = clock.iso()
        tx = Tx()
        if old is None:
            tx.put("vote", VoteItem(pk=request_pk(request_id), sk=vote_sk(poll_id, customer_id),
                                    customer_id=customer_id, poll_id=poll_id, option_id=option_id, shard=n,
                                    updated_at=at), VoteItem.pk.does_not_exist())
        else:
            tx.update("vote", VoteItem(pk=request_pk(request_id), sk=vote_sk(poll_id, customer_id)),
                      [VoteItem.option_id.set(option_id), VoteItem.updated_at.set(at)],
                      VoteItem.option_id == old.option_id)
        actions = [_option_attr(option_id).add(1)]
        if old is not None:
            actions.append(_option_attr(old.option_id).add(-1))
        tx.update("poll_shard", reading.poll_shard_key(request_id, poll_id, n), actions,
                  PollShardItem.pk.exists() & PollShardItem.closed.does_not_exist())
        if poll.get("supporters_only"):
            tx.check("supporter", SupportItem, request_pk(request_id), support_sk(customer_id),
                     SupportItem.pk.exists())
        tx.put("mirror", MyVoteItem(pk=keys.customer_pk(customer_id), sk=f"{MY_VOTE_PREFIX}{request_id}#{poll_id}",
                                    request_id=request_id, poll_id=poll_id, option_id=option_id))
        member_layout.retire_old(tx, "mirror_old", MyVoteItem, keys.customer_pk(customer_id),
                                 f"{MY_VOTE_PREFIX}{request_id}#{poll_id}")
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed & {"vote", "poll_shard", "supporter"}:
                # my other tap, the poll closing, my support withdrawn: read again and decide again
                raise retry.Again from None
            raise
        counts[option_id] += 1
        if old is not None:
            counts[old.option_id] -= 1
        body = _body(poll, counts, option_id)
        return results.created(body) if old is None else results.ok(body)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="poll vote", transient=True, customer_id=customer_id,
                                 request_id=request_id)


def _body(poll: dict[str, Any], counts: dict[str, int], mine: str) -> dict[str, Any]:
    return {"poll_id": poll["poll_id"], "my_vote": mine,
            "options": [{"option_id": o["option_id"], "label": o["label"], "votes": counts[o["option_id"]]}
                        for o in poll["options"]]}
