"""The business metrics, in one place: what the operators' dashboard charts and where each is counted.

Most are counted where the business event commits (``SignIn`` in sign-in, ``CasesOpened`` in the follow-up intake,
points in ``points.planning``). What a member creates through one route (a redemption, a booking, a
registration, a Plus order) is counted by the route layer when the route answers its creating status: not a replay
(``Idempotent-Replayed``), not a 202 accepted for retry, not an error. ``tools/deploy/operations.py`` builds the
business dashboard from ``BUSINESS``, so a metric listed here is charted and a metric charted is listed here.

Alarmed metrics that must stay at zero or under a rate (``StockOversold``, ``CasesPastSla``,
``NotificationSend_failed``) are named here too, for the alarms in ``infra/operations.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from chalicelib.core.observability import metrics


class Kpi(NamedTuple):
    metric: str
    label: str
    stat: str = "Sum"  # how the dashboard aggregates it: a count per period (Sum), a level (Maximum)


BUSINESS: tuple[Kpi, ...] = (
    Kpi("SignIn", "Sign-ins"),
    Kpi("MemberEnrolled", "New members"),
    Kpi("PointsIssued", "Points issued"),
    Kpi("PointsSpent", "Points spent"),
    Kpi("Redemptions", "Redemptions (points mall)"),
    Kpi("Bookings", "Store bookings"),
    Kpi("EventRegistrations", "Event registrations"),
    Kpi("PlusOrders", "Plus orders placed"),
    Kpi("CasesOpened", "Follow-up cases opened"),
    Kpi("CasesOpen", "Follow-up cases open (backlog)", "Maximum"),
    Kpi("CasesPastSla", "Follow-up cases past SLA", "Maximum"),
)

# Route (the view's name) -> the metric its creating answer counts.
ROUTE_KPIS: Mapping[str, str] = {
    "create_redemption": "Redemptions",
    "book_appointment": "Bookings",
    "book_for_member": "Bookings",
    "register_for_event": "EventRegistrations",
    "create_membership_order": "PlusOrders",
}

STOCK_OVERSOLD = "StockOversold"
CASES_OPEN = "CasesOpen"
CASES_PAST_SLA = "CasesPastSla"


def count_route(view: str, status: int, creating_status: int, replayed: bool) -> None:
    """Count a route's business event when it answered its creating status for the first time."""
    metric = ROUTE_KPIS.get(view)
    if metric is not None and status == creating_status and not replayed:
        metrics.add_metric(name=metric, unit="Count", value=1)


def count_points(moves: list[tuple[str, int]], spend_kinds: frozenset[str]) -> None:
    """Points credited, and points a member spent (``spend_kinds``: not expiry, not a refund's reversal), by one
    committed ledger change of ``(kind, delta)`` entries."""
    issued = sum(d for _k, d in moves if d > 0)
    spent = -sum(d for k, d in moves if d < 0 and k in spend_kinds)
    if issued:
        metrics.add_metric(name="PointsIssued", unit="Count", value=issued)
    if spent:
        metrics.add_metric(name="PointsSpent", unit="Count", value=spent)
