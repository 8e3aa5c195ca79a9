"""Supports: a member's pledge of units, counted on sharded counters, and the one support that reaches the
threshold.

Every support is one BatchGetItem (the request, its shards, my support) and one transaction:

- the fast path (almost every support): my support item (conditioned on what I read of it, so one member is one
  support however often they tap), my mirror, and ``ADD`` on my shard conditioned on that shard alone: its phase,
  and, while the request is open, that its head stays >= 1. Supports on other shards never conflict with it.
- the borrowing path (my shard's head is too small, plenty is left elsewhere): half of the richest other shard's
  head moves to mine in the same transaction, conditioned on those two shards alone.
- the slow path (my shard's head too small and little headroom left anywhere, so this support may reach the
  threshold): every shard is conditioned on the ``ver`` read, so the transaction knows the exact total; it either
  reaches the threshold (the status, once, in this transaction) or shares the remaining headroom out again.
"""

from __future__ import annotations

from typing import Any

from chalicelib.c2b import lifecycle, reading, rules
from chalicelib.c2b.models import (
    MY_SUPPORT_PREFIX,
    MySupportItem,
    RequestItem,
    ShardItem,
    SupportItem,
    number,
    request_pk,
    support_sk,
)
from chalicelib.core import clock, results
from chalicelib.core.dynamo import keys, member_layout, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result

MAX_ATTEMPTS = 25  # a hot request's supports on one shard race; each attempt re-reads and decides again
SHARD_LABELS = {f"shard:{n}" for n in range(rules.SHARDS)}


def visible(state: reading.State) -> RequestItem:
    """The request, or 404 (a hidden request is gone for members)."""
    if state.request is None or state.request.status == "hidden":
        raise AppError("not_found")
    return state.request


def _body(state: reading.State, dc: int, dq: int, quantity: int | None, status: str) -> dict[str, Any]:
    return {"request_id": state.request.request_id if state.request else None,
            "support_count": state.support_count + dc, "demand_quantity": state.demand + dq,
            "threshold": int(state.request.threshold) if state.request else None, "status": status,
            "my_support": None if quantity is None else {"quantity": quantity}}


def _listed(state: reading.State, n: int, dc: int, dq: int) -> tuple[int, int] | None:
    """The listings' counts after this change when shard ``n``'s listed value moves (else None: no write)."""
    own = state.shard(n)
    cnt, qty = number(own, "cnt"), number(own, "qty")
    if rules.listed(cnt) == rules.listed(cnt + dc) and rules.listed(qty) == rules.listed(qty + dq):
        return None
    others = [s for i, s in enumerate(state.shards) if i != n]
    return (sum(rules.listed(number(s, "cnt")) for s in others) + rules.listed(cnt + dc),
            sum(rules.listed(number(s, "qty")) for s in others) + rules.listed(qty + dq))


def _fast(tx: Tx, request_id: str, n: int, phase: str, dc: int, dq: int) -> None:
    actions = [ShardItem.cnt.add(dc), ShardItem.qty.add(dq), ShardItem.ver.add(1)]
    condition = ShardItem.phase == phase
    if phase == rules.OPEN:
        actions.append(ShardItem.head.add(-dq))
        if dq > 0:
            condition = condition & (ShardItem.head > dq)
    tx.update(f"shard:{n}", reading.shard_key(request_id, n), actions, condition)


def _borrow(tx: Tx, state: reading.State, request_id: str, n: int, dc: int, dq: int) -> bool:
    """My shard's head is too small: move half of the richest other shard's head to mine, in this transaction,
    conditioned on those two shards alone (the donor keeps head >= 0, mine ends >= 1). The sum of heads is unchanged,
    so the invariant holds. False (nothing added) when the headroom left is too small to lend: the slow path."""
    heads = [number(s, "head") for s in state.shards]
    donor = max((i for i in range(rules.SHARDS) if i != n), key=lambda i: heads[i])
    lent = heads[donor] // 2
    if sum(heads) < rules.SHARDS * rules.MAX_QUANTITY or not rules.fits_fast(heads[n] + lent, dq):
        return False
    tx.update(f"shard:{donor}", reading.shard_key(request_id, donor), [ShardItem.head.add(-lent), ShardItem.ver.add(1)],
              (ShardItem.phase == rules.OPEN) & (ShardItem.head >= lent))
    tx.update(f"shard:{n}", reading.shard_key(request_id, n),
              [ShardItem.cnt.add(dc), ShardItem.qty.add(dq), ShardItem.head.add(lent - dq), ShardItem.ver.add(1)],
              (ShardItem.phase == rules.OPEN) & (ShardItem.head > dq - lent))
    return True


def _slow(tx: Tx, state: reading.State, n: int, dc: int, dq: int, at: str, counts: tuple[int, int] | None) -> bool:
    """Every shard conditioned on its ``ver``: the exact total. True when this support reaches the threshold."""
    request = state.request
    assert request is not None
    total = state.demand + dq
    reached = total >= int(request.threshold)
    heads = [0] * rules.SHARDS if reached else rules.share(int(request.threshold) - total)
    for i, raw in enumerate(state.shards):
        actions = [ShardItem.head.set(heads[i]), ShardItem.ver.add(1)]
        if i == n:
            actions += [ShardItem.cnt.add(dc), ShardItem.qty.add(dq)]
        if reached:
            actions.append(ShardItem.phase.set(rules.REACHED))
        tx.update(f"shard:{i}", reading.shard_key(request.request_id, i), actions,
                  (ShardItem.ver == number(raw, "ver")) & (ShardItem.phase == rules.OPEN))
    if reached:
        lifecycle.cross_in(tx, request, at, counts)
    elif counts is not None:
        lifecycle.into_listings(tx, request, counts=counts)
    return reached


def _mirror(customer_id: str, request: RequestItem, quantity: int, created_at: str, at: str) -> MySupportItem:
    return MySupportItem(pk=keys.customer_pk(customer_id), sk=f"{MY_SUPPORT_PREFIX}{request.request_id}",
                         request_id=request.request_id, title=request.title, quantity=quantity,
                         created_at=created_at, updated_at=at)


def support(customer_id: str, request_id: str, quantity: int | None) -> Result:
    """``POST .../supports``: 201 with my new support; a repeat is 200 with the same support (its quantity updated
    when given)."""
    def once(_: int) -> Result:
        state = reading.read(request_id, customer_id)
        request = visible(state)
        phase = state.phase()
        if phase == rules.CLOSED:
            raise AppError("request_closed")
        old = state.support
        new_qty = quantity if quantity is not None else (int(old.quantity) if old else 1)
        if old is not None and new_qty == int(old.quantity):
            return results.ok(_body(state, 0, 0, new_qty, request.status))
        dc, dq = (0, new_qty - int(old.quantity)) if old else (1, new_qty)
        n = int(old.shard) if old else rules.shard_of(customer_id)
        at = clock.iso()
        tx = Tx()
        if old is None:
            tx.put("support", SupportItem(pk=request_pk(request_id), sk=support_sk(customer_id),
                                          customer_id=customer_id, quantity=new_qty, shard=n,
                                          early=phase == rules.OPEN, created_at=at, updated_at=at),
                   SupportItem.pk.does_not_exist())
        else:
            tx.update("support", SupportItem(pk=request_pk(request_id), sk=support_sk(customer_id)),
                      [SupportItem.quantity.set(new_qty), SupportItem.updated_at.set(at)],
                      SupportItem.quantity == int(old.quantity))
        mirror = _mirror(customer_id, request, new_qty, old.created_at if old else at, at)
        tx.put("mirror", mirror)
        member_layout.retire_old(tx, "mirror_old", MySupportItem, mirror.pk, mirror.sk)
        counts = _listed(state, n, dc, dq)
        reached = False
        if phase == rules.OPEN and not rules.fits_fast(number(state.shard(n), "head"), dq):
            if _borrow(tx, state, request_id, n, dc, dq):
                if counts is not None:
                    lifecycle.into_listings(tx, request, counts=counts)
            else:
                reached = _slow(tx, state, n, dc, dq, at, counts)
        else:
            _fast(tx, request_id, n, phase, dc, dq)
            if counts is not None:
                lifecycle.into_listings(tx, request, counts=counts)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed & ({"support", "request"} | SHARD_LABELS):
                # a racing support (mine or another's on my shard) or the threshold: read again
                raise retry.Again from None
            raise
        status = "threshold_reached" if reached else request.status
        if reached:
            logger.info("threshold reached", extra={"request_id": request_id, "customer_id": customer_id})
        body = _body(state, dc, dq, new_qty, status)
        return results.created(body) if old is None else results.ok(body)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="product request support", transient=True,
                                 customer_id=customer_id, request_id=request_id)


def withdraw(customer_id: str, request_id: str) -> dict[str, Any]:
    """``POST .../supports/withdraw``: my support is gone and its units with it (nothing to withdraw: the same
    answer, so a repeated tap is harmless)."""
    def once(_: int) -> dict[str, Any]:
        state = reading.read(request_id, customer_id)
        request = visible(state)
        phase = state.phase()
        if phase == rules.CLOSED:
            raise AppError("request_closed")
        old = state.support
        if old is None:
            return _body(state, 0, 0, None, request.status)
        n, q = int(old.shard), int(old.quantity)
        tx = Tx()
        tx.delete("support", SupportItem(pk=request_pk(request_id), sk=support_sk(customer_id)),
                  SupportItem.quantity == q)
        tx.delete("mirror", MySupportItem(pk=keys.customer_pk(customer_id), sk=f"{MY_SUPPORT_PREFIX}{request_id}"))
        member_layout.retire_old(tx, "mirror_old", MySupportItem, keys.customer_pk(customer_id),
                                 f"{MY_SUPPORT_PREFIX}{request_id}")
        _fast(tx, request_id, n, phase, -1, -q)
        counts = _listed(state, n, -1, -q)
        if counts is not None:
            lifecycle.into_listings(tx, request, counts=counts)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed & ({"support"} | SHARD_LABELS):
                raise retry.Again from None
            raise
        return _body(state, -1, -q, None, request.status)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="product request withdrawal", transient=True,
                                 customer_id=customer_id, request_id=request_id)
