"""Figures per Shanghai day, from the day counters kept from the table's stream (``counting``): active members,
members enrolled, points issued, redeemed (spent) and expired, redemptions.

A day's counters are ``store.SHARDS`` items in separate partitions (``INS#D#<day>#<n>``), so a range is read by
BatchGetItem of every day's shards, 100 keys a call: ``ceil(days x SHARDS / 100)`` calls, 8 for the longest range
(``MAX_DAYS`` = 92 days: 736 keys), each call's unprocessed keys asked once more at most. No Query or Scan.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.core.errors import AppError
from chalicelib.insights import store

MAX_DAYS = 92  # a quarter: the dashboard's longest daily chart
KEYS_PER_CALL = 100  # BatchGetItem's limit

# counter -> the field it is answered as
COUNTS = {"active": "active_members", "enrolled": "enrolled", "pts_issued": "points_issued",
          "pts_redeemed": "points_redeemed", "pts_expired": "points_expired", "redemptions": "redemptions"}


def days_of(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    if end < start:
        raise AppError("validation_error", [{"field": "to", "issue": "must not be before from"}])
    span = (end - start).days + 1
    if span > MAX_DAYS:
        raise AppError("daily_range_too_large", [{"field": "to", "issue": f"at most {MAX_DAYS} days, not {span}"}])
    return [(start + timedelta(days=n)).isoformat() for n in range(span)]


def day_view(day: str, counters: dict[str, int]) -> dict[str, Any]:
    return {"day": day, **{field: int(counters.get(name, 0)) for name, field in COUNTS.items()}}


def daily(first: str, last: str) -> dict[str, Any]:
    """``GET /v1/admin/health/daily``: every day of [first, last], oldest first (a day with nothing counted: zeros)."""
    days = days_of(first, last)
    keys = [store.day_key(d, n) for d in days for n in range(store.SHARDS)]
    by_day: dict[str, list[dict[str, Any]]] = {d: [] for d in days}
    for start in range(0, len(keys), KEYS_PER_CALL):
        for item in store.batch_get(keys[start:start + KEYS_PER_CALL]):
            by_day[item["pk"]["S"].split("#")[2]].append(item)
    return {"from": first, "to": last, "days": [day_view(d, store.counters_of(by_day[d])) for d in days]}
