"""Tier floors: an admin holds a member at a tier at least, until a day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.core.dynamo import keys
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.points import committing, planning, programme, reading
from chalicelib.points.member_views import tier_view
from chalicelib.points.models import TIEREVAL_SK, PointsStateItem, TierEvalItem
from chalicelib.points.planning import Plan
from chalicelib.points.reading import PointsState

# --- tier floors ---------------------------------------------------------------------------------------------------


def set_tier_floor(customer_id: str, tier_code: str | None, until: date | None, staff_id: str) -> dict[str, Any]:
    """Hold a member at ``tier_code`` at least, through ``until`` (inclusive; None: no end). ``tier_code`` None
    removes the floor; the member's tier is then evaluated the next day (the floor never outlives its end)."""
    config = programme.current()
    on = reading.today()
    if tier_code is not None and tier_code not in {t.code for t in config.tiers}:
        raise AppError("validation_error", details=[{"field": "tier_code", "issue": "unknown tier"}])
    if until is not None and until < on:
        raise AppError("validation_error", details=[{"field": "until", "issue": "must not be in the past"}])

    def plan(state: PointsState) -> Plan:
        floor_attr, until_attr = PointsStateItem.tier_floor_code, PointsStateItem.tier_floor_until
        result = Plan(state_actions=[PointsStateItem.tier_floor_set_by.set(staff_id)])
        if tier_code is None:
            result.state_actions += [floor_attr.remove(), until_attr.remove()]
            if state.floor_code:
                tomorrow = on + timedelta(days=1)
                _schedule_evaluation(result, state, min(state.tier_evaluation_on or tomorrow, tomorrow))
            return result
        result.state_actions.append(floor_attr.set(tier_code))
        result.state_actions.append(until_attr.set(until.isoformat()) if until else until_attr.remove())
        state.floor_code, state.floor_until = tier_code, until
        planning.add_tier_update(result, state, config, on)
        return result

    outcome = committing.execute(customer_id, plan)
    logger.info("tier floor set", extra={"customer_id": customer_id, "tier_code": tier_code, "staff_id": staff_id})
    items = reading.load_member(outcome.state.customer_id, consistent=True)
    floor = {"tier_code": tier_code, "until": until.isoformat() if until else None}
    return {"customer_id": outcome.state.customer_id, "floor": floor, **tier_view(items, on)}


def _schedule_evaluation(plan: Plan, state: PointsState, on: date) -> None:
    plan.state_actions.append(PointsStateItem.tier_evaluation_on.set(on.isoformat()))
    item = TierEvalItem(
        pk=keys.customer_pk(state.customer_id), sk=TIEREVAL_SK, customer_id=state.customer_id,
        evaluation_on=on.isoformat(), gsi1pk=f"TIEREVAL#{on.isoformat()}", gsi1sk=state.customer_id,
    )
    plan.add = lambda tx: tx.put("tier_eval", item)
