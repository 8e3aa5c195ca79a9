"""The daily points job: expire due buckets and persist due tier evaluations, both reached through ``gsi1``.

* Expiry: buckets are indexed by ``EXPIRY#<expires_on>``; points of day D die at the end of D, so a run on day T
  queries the index for each day before T it has not covered yet (plus a few days of overlap, since an index
  is eventually consistent) and expires, per member, every bucket due before T, with one ``expiry`` ledger
  entry per bucket. The expiry itself re-reads the member and takes only buckets that still exist, so a
  second run (or an overlap) expires nothing twice.
* Tiers: ``TIEREVAL#<day>`` lists members whose evaluation date is that day; evaluating writes the
  downgrade (or retention) and the next evaluation date. Upgrades never wait for this: they happen with the
  order that crosses the threshold.

No Scan anywhere: every member touched was found by a Query on the index partition of one day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.core.dynamo import paging
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.points import committing, planning, programme, reading
from chalicelib.points.models import JobStateItem
from chalicelib.points.planning import Plan
from chalicelib.points.reading import PointsState

EXPIRY_JOB = "points-expiry"
TIER_JOB = "tier-evaluation"
FIRST_RUN_LOOKBACK_DAYS = 62
OVERLAP_DAYS = 3


def _job_state(name: str) -> JobStateItem | None:
    try:
        return JobStateItem.get(f"JOB#{name}", "STATE", consistent_read=True)
    except JobStateItem.DoesNotExist:
        return None


def _days_to_cover(name: str, through: date, since: date | None) -> list[date]:
    if since is None:
        state = _job_state(name)
        last = date.fromisoformat(state.last_completed_day) if state and state.last_completed_day else None
        since = (
            min(last + timedelta(days=1), through - timedelta(days=OVERLAP_DAYS))
            if last
            else through - timedelta(days=FIRST_RUN_LOOKBACK_DAYS)
        )
    days = []
    day = since
    while day <= through:
        days.append(day)
        day += timedelta(days=1)
    return days


def _record(name: str, through: date, result: dict[str, Any]) -> None:
    JobStateItem(
        pk=f"JOB#{name}", sk="STATE", last_completed_day=through.isoformat(), last_run_at=reading.now_iso(),
        last_result=result,
    ).save(add_version_condition=False)


def expire_customer(customer_id: str, on: date) -> int:
    """Expire what is due before ``on`` for one member; returns the points expired (0: nothing was due)."""

    def plan(state: PointsState) -> Plan:
        change = state.account.expire(on)
        return Plan(change, write=bool(change.entries), result=-sum(e.delta for e in change.entries))

    return int(committing.execute(customer_id, plan).plan.result)


def expire_due(on: date | None = None, since: date | None = None) -> dict[str, Any]:
    """Expire every bucket due before ``on`` (default: today in Shanghai)."""
    on = on or reading.today()
    through = on - timedelta(days=1)
    days = _days_to_cover(EXPIRY_JOB, through, since)
    members = expired = failures = 0
    for day in days:
        customers = {raw["gsi1sk"]["S"] for raw in paging.index_all("gsi1", f"EXPIRY#{day.isoformat()}")}
        for customer_id in sorted(customers):
            try:
                points = expire_customer(customer_id, on)
            except AppError as err:  # one member failing must not stop the others; the overlap retries it
                failures += 1
                logger.warning("expiry failed for a member", extra={"customer_id": customer_id, "code": err.code})
                continue
            if points:
                members += 1
                expired += points
    result = {"days": len(days), "members": members, "points_expired": expired, "failures": failures}
    if not failures:
        _record(EXPIRY_JOB, through, result)
    logger.info("points expiry done", extra=result)
    return result


def evaluate_customer(customer_id: str, on: date) -> bool:
    """Apply a due tier evaluation; True when something was written."""
    config = programme.current()

    def plan(state: PointsState) -> Plan:
        result = Plan()
        planning.add_tier_update(result, state, config, on)
        result.write = bool(result.profile_actions or result.state_actions)
        return result

    return committing.execute(customer_id, plan).plan.write


def evaluate_tiers_due(on: date | None = None, since: date | None = None) -> dict[str, Any]:
    on = on or reading.today()
    days = _days_to_cover(TIER_JOB, on, since)
    evaluated = failures = 0
    for day in days:
        for raw in paging.index_all("gsi1", f"TIEREVAL#{day.isoformat()}"):
            try:
                evaluated += evaluate_customer(raw["gsi1sk"]["S"], on)
            except AppError as err:
                failures += 1
                logger.warning("tier evaluation failed", extra={"customer_id": raw["gsi1sk"]["S"], "code": err.code})
    result = {"days": len(days), "evaluated": evaluated, "failures": failures}
    if not failures:
        _record(TIER_JOB, on, result)
    logger.info("tier evaluation done", extra=result)
    return result


def run_daily(on: date | None = None) -> dict[str, Any]:
    """The scheduled job (``expire_points_job`` in app.py); also ``python -m tools.run_job expire_points_job``."""
    return {"expiry": expire_due(on), "tiers": evaluate_tiers_due(on)}
