"""Pure rules of the insights area: what a ledger entry counts as, the Shanghai day and month of an instant, months.

One classification of a ledger entry serves the stream's day counters, the nightly reconciliation and the month-end
close, so the three always agree on what "issued", "redeemed", "expired" and "reversed" mean:

- ``expiry`` entries are *expired* (points left by time);
- ``redemption`` entries are *redeemed* (points spent in the mall);
- ``merge_in``/``merge_out`` move points between two IDs of one person: *moved* (they sum to zero programme-wide);
- any other positive entry is *issued* (purchase, check-in, event, survey, claim, campaign, compensation, an upward
  adjustment); any other negative entry is *reversed* (a refund's reversal, a downward adjustment).

So for any period: issued - redeemed - expired - reversed + moved = the change in outstanding points.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.core.calendar import SHANGHAI

MOVE_KINDS = frozenset({"merge_in", "merge_out"})
FIGURES = ("issued", "redeemed", "expired", "reversed")


def classify(kind: str, delta: int) -> str:
    """``issued`` | ``redeemed`` | ``expired`` | ``reversed`` | ``moved`` (see the module docstring)."""
    if kind == "expiry":
        return "expired"
    if kind == "redemption":
        return "redeemed"
    if kind in MOVE_KINDS:
        return "moved"
    return "issued" if delta >= 0 else "reversed"


def amount(kind: str, delta: int) -> tuple[str, int]:
    """The figure an entry adds to, and by how much (a positive number of points, or the signed delta if moved)."""
    figure = classify(kind, delta)
    return figure, (delta if figure in ("issued", "moved") else -delta)


def day_of(instant: str) -> str:
    """The Shanghai day of an ISO 8601 instant (``YYYY-MM-DD``)."""
    moment = datetime.fromisoformat(instant)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date().isoformat()


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The instants [start, end) of a Shanghai month ``YYYY-MM``."""
    first = date.fromisoformat(f"{month}-01")
    following = next_month(month)
    start = datetime(first.year, first.month, 1, tzinfo=SHANGHAI)
    nxt = date.fromisoformat(f"{following}-01")
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=SHANGHAI)


def day_bounds(day: str) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when ``last`` is before ``first``)."""
    out, month = [], first
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def months_after(month: str, count: int) -> list[str]:
    out, current = [], month
    for _ in range(count):
        current = next_month(current)
        out.append(current)
    return out


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` to 4 places; None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def deferred_revenue_fen(outstanding_points: int, point_value_fen: Decimal, expected_redemption_rate: Decimal) -> int:
    """The liability carried for unredeemed points (CAS 14 / IFRS 15): outstanding points x the value of a point x the
    share of points expected to be redeemed, rounded half up to a whole fen."""
    value = Decimal(outstanding_points) * point_value_fen * expected_redemption_rate
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
