"""The area's defaults, from the environment (``C2B_DEFAULT_THRESHOLD``, ``C2B_PROPOSALS_PER_DAY``)."""

from __future__ import annotations

from chalicelib.core.config import live
from chalicelib.core.rate_limits import Limit


def default_threshold() -> int:
    """Units of demand a new request needs before the brand decides (operators may change it per request)."""
    return max(1, int(live("C2B_DEFAULT_THRESHOLD")))


def proposals_per_day() -> Limit:
    """How many requests one member may propose per day (a fixed window, ``core.rate_limits``)."""
    return Limit("c2b-proposals", max(1, int(live("C2B_PROPOSALS_PER_DAY"))), 86400)
