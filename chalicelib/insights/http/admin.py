"""Operators (role admin): month-end closes, the points' accounting settings, programme health; CSV for finance."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.core.errors import AppError
from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.insights import accounting, closes, csv_out, daily, health
else:  # loaded when a view first runs (core/lazy.py)
    accounting = lazy_module("chalicelib.insights.accounting")
    closes = lazy_module("chalicelib.insights.closes")
    csv_out = lazy_module("chalicelib.insights.csv_out")
    daily = lazy_module("chalicelib.insights.daily")
    health = lazy_module("chalicelib.insights.health")

api = Api(__name__, "admin")

CSV = "text/csv; charset=utf-8"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CLOSE_EXAMPLE = {
    "month": "2026-11", "status": "done", "requested_at": "2026-12-01T09:00:00.000+08:00",
    "completed_at": "2026-12-01T09:00:41.000+08:00", "outstanding_points": 1_250_000, "issued": 310_000,
    "redeemed": 120_000, "expired": 15_000, "reversed": 4_000, "breakage_rate": 0.1111,
    "expected_redemption_rate": 0.85, "point_value_fen": 1.0, "deferred_revenue_fen": 1_062_500,
    "expiring_by_month": [{"month": "2026-12", "points": 20_000}],
    "reconciled": {"ledger_sum": 1_251_000, "buckets_sum": 1_251_000, "difference": 0}}


def _by(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return str(ctx.principal.staff_id or ctx.principal.subject)


def _month(text: str) -> str:
    if not MONTH.match(text):
        raise AppError("validation_error", [{"field": "month", "issue": "must be a month YYYY-MM"}])
    return text


@api.route("/v1/admin/closes", "POST", auth="admin", body="CloseIn", response="CloseOut", status=202,
           other_statuses={200: "The month was closed (or is closing) already: its close as it is"},
           errors=("validation_error", "malformed_json", "close_month_not_over"),
           summary="Close a Shanghai month: the points liability snapshot, built by a pass over the ledger and "
                   "buckets fanned out through SQS (once per month)",
           examples={"request": {"month": "2026-11"}})
def request_close(ctx: RequestContext) -> Reply:
    """202 with the close running; a month asked for before answers 200 with its close (running or done)."""
    started, close = closes.request(ctx.body.month, _by(ctx))
    return Reply(close, 202 if started else 200)


@api.route("/v1/admin/closes", "GET", auth="admin", query="CloseListQuery", response="CloseListOut",
           errors=("validation_error", "closes_range_too_large", "service_unavailable"),
           summary="The closes of the months [from, to] (at most 60) that exist: month, status, outstanding points, "
                   "deferred revenue, points expired, completed_at (one BatchGetItem)",
           examples={"response": {"from": "2026-06", "to": "2026-11", "items": [
               {"month": "2026-11", "status": "done", "outstanding_points": 1_250_000,
                "deferred_revenue_fen": 1_062_500, "expired": 15_000,
                "completed_at": "2026-12-01T09:00:41.000+08:00"}]}})
def list_closes(ctx: RequestContext) -> dict:
    return closes.listed(ctx.query.from_, ctx.query.to)


@api.route("/v1/admin/closes/{month}", "GET", auth="admin", response="CloseOut", media_types=("application/json", CSV),
           errors=("validation_error", "close_not_found"),
           summary="A month's close (status while running; the immutable snapshot once done); "
                   "`/v1/admin/closes/{month}.csv` answers it as CSV (UTF-8 with BOM)",
           examples={"response": CLOSE_EXAMPLE})
def get_close(ctx: RequestContext, month: str) -> Any:
    """The snapshot never changes once ``done``: the settings are those of when the close was asked for."""
    if month.endswith(".csv"):
        month = _month(month[:-len(".csv")])
        return Reply(csv_out.close_csv(closes.get(month)), 200, csv_out.headers(f"points-close-{month}.csv"),
                     raw=True)
    return closes.get(_month(month))


@api.route("/v1/admin/points/accounting", "GET", auth="admin", response="AccountingOut", errors=(),
           summary="The points' accounting settings: point value (fen) and expected redemption rate",
           examples={"response": {"point_value_fen": 1.0, "expected_redemption_rate": 0.85,
                                  "updated_at": "2026-11-30T10:00:00.000+08:00", "updated_by": "st_finance"}})
def get_accounting(ctx: RequestContext) -> dict:
    return accounting.view(accounting.read())


@api.route("/v1/admin/points/accounting", "PUT", auth="admin", body="AccountingIn", response="AccountingOut",
           errors=("validation_error", "malformed_json"),
           summary="Set the point value (fen) and expected redemption rate; copied into each close when asked for",
           examples={"request": {"point_value_fen": 1.0, "expected_redemption_rate": 0.85}})
def put_accounting(ctx: RequestContext) -> dict:
    body = ctx.body
    return accounting.put(Decimal(str(body.point_value_fen)), Decimal(str(body.expected_redemption_rate)), _by(ctx))


@api.route("/v1/admin/health", "GET", auth="admin", query="HealthQuery", response="HealthOut",
           errors=("validation_error", "health_range_too_large", "service_unavailable"),
           summary="Programme health per Shanghai month [from, to] (at most 12): active-member, check-in, redemption, "
                   "benefit usage per tier, Plus renewal and trial conversion, no-show and event attendance rates")
def get_health(ctx: RequestContext) -> dict:
    """Read from month counters kept from the table's stream: one BatchGetItem (two calls at most)."""
    return health.health(ctx.query.from_, ctx.query.to)


@api.route("/v1/admin/health.csv", "GET", auth="admin", query="HealthQuery", media_types=(CSV,),
           errors=("validation_error", "health_range_too_large", "service_unavailable"),
           summary="Programme health per month as CSV (UTF-8 with BOM, for spreadsheets)")
def get_health_csv(ctx: RequestContext) -> Reply:
    q = ctx.query
    return Reply(csv_out.health_csv(health.health(q.from_, q.to)), 200,
                 csv_out.headers(f"programme-health-{q.from_}-{q.to}.csv"), raw=True)




@api.route("/v1/admin/health/daily", "GET", auth="admin", query="DailyHealthQuery", response="DailyHealthOut",
           errors=("validation_error", "daily_range_too_large", "service_unavailable"),
           summary="Programme figures per Shanghai day [from, to] (at most 92): active members, enrolments, points "
                   "issued, redeemed and expired, redemptions",
           examples={"response": {"from": "2026-11-01", "to": "2026-11-01", "days": [
               {"day": "2026-11-01", "active_members": 1830, "enrolled": 42, "points_issued": 96_500,
                "points_redeemed": 41_200, "points_expired": 3_100, "redemptions": 57}]}})
def get_health_daily(ctx: RequestContext) -> dict:
    """Read from the day counters kept from the table's stream: BatchGetItem of the days' shards, at most 8 calls."""
    return daily.daily(ctx.query.from_, ctx.query.to)
