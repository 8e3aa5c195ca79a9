"""Operators (role admin): the programme's figures per day, for the dashboard's daily lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.insights import daily
else:  # loaded when a view first runs (core/lazy.py)
    daily = lazy_module("chalicelib.insights.daily")

api = Api(__name__, "admin")

ADMIN_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


@api.route("/v1/admin/health/daily", "GET", auth="admin", query="DailyHealthQuery", response="DailyHealthOut",
           errors=(*ADMIN_ERRORS, "validation_error", "daily_range_too_large"),
           summary="Programme figures per Shanghai day [from, to] (at most 92): active members, enrolments, points "
                   "issued, redeemed and expired, redemptions",
           examples={"response": {"from": "2026-11-01", "to": "2026-11-01", "days": [
               {"day": "2026-11-01", "active_members": 1830, "enrolled": 42, "points_issued": 96_500,
                "points_redeemed": 41_200, "points_expired": 3_100, "redemptions": 57}]}})
def get_health_daily(ctx: RequestContext) -> dict:
    """Read from the day counters kept from the table's stream: BatchGetItem of the days' shards, at most 8 calls."""
    return daily.daily(ctx.query.from_, ctx.query.to)
