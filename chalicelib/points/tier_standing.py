"""Tier metrics kept per Shanghai month on the points state, and the tier a state holds on a day."""

from __future__ import annotations

from datetime import date

from chalicelib.core.calendar import add_months
from chalicelib.points import tiers
from chalicelib.points.programme import PointsConfig
from chalicelib.points.reading import PointsState

STATS_MONTHS = 12


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window_months(day: date, months: int = STATS_MONTHS) -> list[str]:
    """The month of ``day`` and the ``months - 1`` before it: the rolling window of tier metrics."""
    return [month_key(add_months(day.replace(day=1), -i)) for i in range(months)]


def stats_with(
    stats: dict[str, dict[str, int]], month: str, *, spend: int = 0, orders: int = 0, points: int = 0, on: date
) -> dict[str, dict[str, int]]:
    """``stats`` plus one change in ``month`` (never below zero), pruned to the months that can still count."""
    keep = set(window_months(on, STATS_MONTHS + 1))
    out = {m: dict(v) for m, v in stats.items() if m in keep}
    if month in keep:
        row = out.setdefault(month, {"s": 0, "o": 0, "p": 0})
        row["s"] = max(0, int(row.get("s", 0)) + spend)
        row["o"] = max(0, int(row.get("o", 0)) + orders)
        row["p"] = max(0, int(row.get("p", 0)) + points)
    return out


def metric_values(stats: dict[str, dict[str, int]], on: date) -> dict[str, int]:
    months = window_months(on)
    rows = [stats.get(m) or {} for m in months]
    return {
        "spend_12m_fen": sum(int(r.get("s", 0)) for r in rows),
        "orders_12m": sum(int(r.get("o", 0)) for r in rows),
        "points_12m": sum(int(r.get("p", 0)) for r in rows),
    }


def tier_decision(
    state: PointsState, config: PointsConfig, on: date, stats: dict[str, dict[str, int]] | None = None
) -> tiers.TierDecision:
    """The tier ``state`` holds on ``on`` given its (possibly updated) stats: upgrade at once, downgrade only on
    the evaluation date, never below an active floor."""
    catalogue = config.tiers
    current = config.tier(state.profile.tier_code)
    qualified = tiers.qualified_tier(catalogue, metric_values(state.tier_stats if stats is None else stats, on))
    floor = config.tier(state.floor_code) if state.floor_code else None
    evaluation_on = state.tier_evaluation_on or date.max
    return tiers.evaluate(current, qualified, on, evaluation_on, floor, state.floor_until)
