"""Plus plans as operators configure them (``CONFIG#PLUS`` / ``PLAN#<id>``), read with one Query and cached in-process
for a minute; ``rules.DEFAULT_PLANS`` until any is configured. The local stack seeds the defaults.

Operators create and change plans (``http/admin.py``). A write resets this process's cache at once; another process
sees it when its cache expires (``CACHE_SECONDS``). The first write while nothing is stored stores the defaults in
the same transaction, so creating one plan never withdraws the monthly and yearly ones members were offered.
A plan's period never changes (memberships bought are extended by it); a withdrawn plan (``active`` false) is
refused to new orders (409 ``plan_not_on_sale``) and still names what members bought."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.membership.models import CONFIG_PK, PLAN_PREFIX, PlanItem
from chalicelib.membership.rules import DEFAULT_PLANS, Period, PlusPlan

CACHE_SECONDS = 60.0
_cache: tuple[float, tuple[PlusPlan, ...]] | None = None


def reset_cache() -> None:
    global _cache
    _cache = None


def catalogue() -> tuple[PlusPlan, ...]:
    global _cache
    if _cache is not None and time.monotonic() - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    plans = _stored() or DEFAULT_PLANS
    _cache = (time.monotonic(), plans)
    return plans


def _stored(consistent: bool = False) -> tuple[PlusPlan, ...]:
    return tuple(PlusPlan(i.plan_id, i.name, int(i.price_fen), i.period, bool(i.active))  # type: ignore[arg-type]
                 for i in PlanItem.query(CONFIG_PK, PlanItem.sk.startswith(PLAN_PREFIX), consistent_read=consistent))


def plan(plan_id: str) -> PlusPlan:
    """An offered plan: 404 ``plan_not_found`` for an unknown one, 409 ``plan_not_on_sale`` for a withdrawn one."""
    found = find(plan_id)
    if found is None:
        raise AppError("plan_not_found")
    if not found.active:
        raise AppError("plan_not_on_sale")
    return found


def find(plan_id: str | None) -> PlusPlan | None:
    """A plan by ID, withdrawn ones included (for showing what a member bought)."""
    return next((p for p in catalogue() if p.plan_id == plan_id), None)


def view(p: PlusPlan) -> dict[str, Any]:
    return {"plan_id": p.plan_id, "name": p.name, "price_fen": p.price_fen, "period": p.period}


def list_plans() -> dict[str, Any]:
    """``GET /v1/membership/plans``: the plans on offer."""
    return {"items": [view(p) for p in catalogue() if p.active]}


def _item(p: PlusPlan, at: str) -> PlanItem:
    return PlanItem(pk=CONFIG_PK, sk=f"{PLAN_PREFIX}{p.plan_id}", plan_id=p.plan_id, name=p.name,
                    price_fen=p.price_fen, period=p.period, active=p.active, updated_at=at)


def save(p: PlusPlan) -> None:
    _item(p, clock.iso()).save()
    reset_cache()


def admin_view(p: PlusPlan) -> dict[str, Any]:
    return {**view(p), "active": p.active}


def list_for_admin() -> dict[str, Any]:
    """``GET /v1/admin/membership/plans``: every plan, withdrawn ones included (a consistent read: just written)."""
    return {"items": [admin_view(p) for p in (_stored(consistent=True) or DEFAULT_PLANS)]}


WRITE_ATTEMPTS = 3


def _write(plan_id: str, change: Callable[[PlusPlan | None], PlusPlan]) -> PlusPlan:
    """Store ``change(current)`` (``current`` None for a new plan), plus the defaults when nothing is stored yet.

    The plan is written on condition that it is (or, new, is not) there as read; defaults on condition of their
    absence: a concurrent operator's write makes the transaction fail and it is planned again from a fresh read.
    """
    for _ in range(WRITE_ATTEMPTS):
        stored = _stored(consistent=True)
        known = stored or DEFAULT_PLANS
        current = next((p for p in known if p.plan_id == plan_id), None)
        new = change(current)
        at = clock.iso()
        tx = Tx()
        for default in () if stored else DEFAULT_PLANS:
            if default.plan_id != plan_id:
                tx.put(f"default:{default.plan_id}", _item(default, at), PlanItem.pk.does_not_exist())
        exists = current is not None and bool(stored)
        tx.put("plan", _item(new, at), PlanItem.pk.exists() if exists else PlanItem.pk.does_not_exist())
        try:
            tx.commit()
        except TxCancelled:
            continue
        reset_cache()
        return new
    raise AppError("service_unavailable")


def create(plan_id: str, name: str, price_fen: int, period: Period, active: bool = True) -> dict[str, Any]:
    """``POST /v1/admin/membership/plans``: 409 ``plan_exists`` for an ID already used (a default's included)."""
    def new(current: PlusPlan | None) -> PlusPlan:
        if current is not None:
            raise AppError("plan_exists")
        return PlusPlan(plan_id, name, price_fen, period, active)

    created = _write(plan_id, new)
    logger.info("plus plan created", extra={"plan_id": plan_id, "price_fen": price_fen, "period": period})
    return admin_view(created)


def update(plan_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """``PATCH /v1/admin/membership/plans/{plan_id}``: name, price and whether it is on sale; 404 ``plan_not_found``."""
    def changed(current: PlusPlan | None) -> PlusPlan:
        if current is None:
            raise AppError("plan_not_found")
        return replace(current, **changes)

    updated = _write(plan_id, changed)
    logger.info("plus plan changed", extra={"plan_id": plan_id, "fields": sorted(changes)})
    return admin_view(updated)


def seed_defaults() -> None:
    """``Area.seeds``: the monthly and yearly plans, unless an operator configured plans already."""
    if any(True for _ in PlanItem.query(CONFIG_PK, PlanItem.sk.startswith(PLAN_PREFIX), limit=1)):
        return
    for p in DEFAULT_PLANS:
        save(p)
