"""Plus plans as operators configure them (``CONFIG#PLUS`` / ``PLAN#<id>``), read with one Query and cached in-process
for a minute; ``rules.DEFAULT_PLANS`` until any is configured. The local stack seeds the defaults."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.core import clock
from chalicelib.core.errors import AppError
from chalicelib.membership.models import CONFIG_PK, PLAN_PREFIX, PlanItem
from chalicelib.membership.rules import DEFAULT_PLANS, Plan

CACHE_SECONDS = 60.0
_cache: tuple[float, tuple[Plan, ...]] | None = None


def reset_cache() -> None:
    global _cache
    _cache = None


def catalogue() -> tuple[Plan, ...]:
    global _cache
    if _cache is not None and time.monotonic() - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    found = tuple(Plan(i.plan_id, i.name, int(i.price_fen), i.period, bool(i.active))  # type: ignore[arg-type]
                  for i in PlanItem.query(CONFIG_PK, PlanItem.sk.startswith(PLAN_PREFIX)))
    plans = found or DEFAULT_PLANS
    _cache = (time.monotonic(), plans)
    return plans


def plan(plan_id: str) -> Plan:
    """An offered plan, or 404 ``plan_not_found``."""
    found = next((p for p in catalogue() if p.plan_id == plan_id and p.active), None)
    if found is None:
        raise AppError("plan_not_found")
    return found


def find(plan_id: str | None) -> Plan | None:
    """A plan by ID, withdrawn ones included (for showing what a member bought)."""
    return next((p for p in catalogue() if p.plan_id == plan_id), None)


def view(p: Plan) -> dict[str, Any]:
    return {"plan_id": p.plan_id, "name": p.name, "price_fen": p.price_fen, "period": p.period}


def list_plans() -> dict[str, Any]:
    """``GET /v1/membership/plans``: the plans on offer."""
    return {"items": [view(p) for p in catalogue() if p.active]}


def save(p: Plan) -> None:
    PlanItem(pk=CONFIG_PK, sk=f"{PLAN_PREFIX}{p.plan_id}", plan_id=p.plan_id, name=p.name, price_fen=p.price_fen,
             period=p.period, active=p.active, updated_at=clock.iso()).save()
    reset_cache()


def seed_defaults() -> None:
    """``Area.seeds``: the monthly and yearly plans, unless an operator configured plans already."""
    if any(True for _ in PlanItem.query(CONFIG_PK, PlanItem.sk.startswith(PLAN_PREFIX), limit=1)):
        return
    for p in DEFAULT_PLANS:
        save(p)
