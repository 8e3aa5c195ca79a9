"""Membership tiers: which tier a member qualifies for, which tier they hold, and what the next tier needs.

Rules:

* A tier qualifies when the member's value of its metric (spend, orders or points over a rolling 12 months)
  reaches its threshold. The member qualifies for the highest-ranked qualifying tier; the lowest tier has
  threshold 0, so everyone qualifies for something.
* **Upgrade at once:** as soon as the qualified tier ranks above the held tier, the member holds it, and the next
  evaluation date becomes one year later (a new tier is kept for at least a year).
* **Downgrade only on the evaluation date:** before it, the held tier is kept even when the member no longer
  qualifies; on or after it, the member holds what they qualify for (lower, equal or higher) and the evaluation
  date moves on by whole years.
* **Admin floor:** while a floor is active (until ``floor_until`` inclusive, or with no end) the member holds at
  least the floor tier. A floor that lifts the member schedules an evaluation the day after it ends, so the floor
  does not outlive its end date; it never lowers a member.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal, get_args

from chalicelib.core.calendar import add_months

Metric = Literal["spend_12m_fen", "orders_12m", "points_12m"]
Reason = Literal["upgrade", "downgrade", "retained", "unchanged", "floor"]
METRICS: tuple[str, ...] = get_args(Metric)
EVALUATION_PERIOD_MONTHS = 12


@dataclass(frozen=True)
class TierDefinition:
    code: str
    name: str
    badge: str
    rank: int
    metric: str
    threshold: int
    multiplier: Decimal = Decimal(1)

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}")
        if self.threshold < 0:
            raise ValueError("threshold must be >= 0")
        multiplier = Decimal(str(self.multiplier)) if not isinstance(self.multiplier, Decimal) else self.multiplier
        if not multiplier.is_finite() or multiplier < 0:
            raise ValueError("multiplier must be a finite, non-negative number")
        object.__setattr__(self, "multiplier", multiplier)

    def qualifies(self, metric_values: Mapping[str, int]) -> bool:
        return metric_values.get(self.metric, 0) >= self.threshold


DEFAULT_TIERS: tuple[TierDefinition, ...] = (
    TierDefinition("base", "普通会员", "badge-base", 0, "spend_12m_fen", 0, Decimal(1)),
    TierDefinition("silver", "银卡会员", "badge-silver", 1, "spend_12m_fen", 200_000, Decimal("1.2")),
    TierDefinition("gold", "金卡会员", "badge-gold", 2, "spend_12m_fen", 800_000, Decimal("1.5")),
    TierDefinition("platinum", "铂金会员", "badge-platinum", 3, "spend_12m_fen", 2_000_000, Decimal(2)),
)


def validate_tiers(tiers: Iterable[TierDefinition]) -> tuple[TierDefinition, ...]:
    """Return the tiers sorted by rank; refuse duplicate codes or ranks and a lowest tier with a threshold."""
    ordered = tuple(sorted(tiers, key=lambda t: t.rank))
    if not ordered:
        raise ValueError("at least one tier is needed")
    if len({t.code for t in ordered}) != len(ordered) or len({t.rank for t in ordered}) != len(ordered):
        raise ValueError("tier codes and ranks must be unique")
    if ordered[0].threshold != 0:
        raise ValueError("the lowest tier must have threshold 0 so that every member holds a tier")
    return ordered


def tier_by_code(tiers: Iterable[TierDefinition], code: str) -> TierDefinition:
    for tier in tiers:
        if tier.code == code:
            return tier
    raise KeyError(code)


def qualified_tier(tiers: Iterable[TierDefinition], metric_values: Mapping[str, int]) -> TierDefinition:
    """The highest-ranked tier whose threshold the member's metric value reaches (missing metrics count as 0)."""
    ordered = validate_tiers(tiers)
    return max((t for t in ordered if t.qualifies(metric_values)), key=lambda t: t.rank)


@dataclass(frozen=True)
class TierDecision:
    tier: TierDefinition
    next_evaluation: date
    reason: Reason


def _after(anchor: date, today: date) -> date:
    """The first anniversary of ``anchor`` (in whole evaluation periods) that is after ``today``."""
    periods = 1
    candidate = add_months(anchor, EVALUATION_PERIOD_MONTHS)
    while candidate <= today:
        periods += 1
        candidate = add_months(anchor, EVALUATION_PERIOD_MONTHS * periods)
    return candidate


def evaluate(
    current_tier: TierDefinition,
    qualified: TierDefinition,
    today: date,
    evaluation_date: date,
    floor_tier: TierDefinition | None = None,
    floor_until: date | None = None,
) -> TierDecision:
    """The tier to hold on ``today`` and the next evaluation date (see the module rules)."""
    if qualified.rank > current_tier.rank:
        decision = TierDecision(qualified, add_months(today, EVALUATION_PERIOD_MONTHS), "upgrade")
    elif today >= evaluation_date:
        reason: Reason = "downgrade" if qualified.rank < current_tier.rank else "retained"
        decision = TierDecision(qualified, _after(evaluation_date, today), reason)
    else:
        decision = TierDecision(current_tier, evaluation_date, "unchanged")
    floor_active = floor_until is None or today <= floor_until
    if floor_tier is not None and floor_active and floor_tier.rank > decision.tier.rank:
        next_evaluation = decision.next_evaluation
        if floor_until is not None:
            next_evaluation = min(next_evaluation, floor_until + timedelta(days=1))
        decision = TierDecision(floor_tier, next_evaluation, "floor")
    return decision


@dataclass(frozen=True)
class TierProgress:
    """What the next tier needs: ``required`` is its threshold, ``current`` the member's value of its metric.

    At the top tier ``next_tier`` and ``required`` are ``None`` and ``metric``/``current`` describe the held tier.
    """

    next_tier: str | None
    metric: str
    current: int
    required: int | None

    def as_dict(self) -> dict[str, object]:
        return {"next_tier": self.next_tier, "metric": self.metric, "current": self.current, "required": self.required}


def tier_progress(tiers: Sequence[TierDefinition], current_code: str, metric_values: Mapping[str, int]) -> TierProgress:
    ordered = validate_tiers(tiers)
    current = tier_by_code(ordered, current_code)
    higher = [t for t in ordered if t.rank > current.rank]
    if not higher:
        return TierProgress(None, current.metric, metric_values.get(current.metric, 0), None)
    nxt = higher[0]
    return TierProgress(nxt.code, nxt.metric, metric_values.get(nxt.metric, 0), nxt.threshold)
