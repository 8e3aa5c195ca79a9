"""Benefit quotas: how many claims a member has left in the current period, and the counter that tracks it.

A quota is ``per_period`` claims per ``day | week | month | year | lifetime`` on the Asia/Shanghai calendar
(weeks are ISO weeks starting on Monday). Each (benefit, customer, period) has one counter; a claim fits when the
counter plus the claimed quantity stays within ``per_period``. A new period means a new counter key, so nothing
has to be reset; a counter may be deleted (TTL) some time after ``resets_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from chalicelib.core.calendar import PERIODS, period_window

COUNTER_PREFIX = "QUOTA"
COUNTER_TTL_GRACE = timedelta(days=7)


class QuotaExhausted(Exception):
    code = "quota_exhausted"

    def __init__(self, period_key: str, per_period: int, used: int) -> None:
        super().__init__(f"quota {per_period} for {period_key} is used up ({used} used)")
        self.period_key = period_key
        self.per_period = per_period
        self.used = used


@dataclass(frozen=True)
class Quota:
    per_period: int
    period: str

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"unknown period {self.period!r}")
        if self.per_period < 0:
            raise ValueError("per_period must be >= 0")


def remaining(per_period: int, period: str, used_in_period_key: int) -> int:
    """Claims left in the period whose counter reads ``used_in_period_key`` (never negative)."""
    Quota(per_period, period)
    if used_in_period_key < 0:
        raise ValueError("used must be >= 0")
    return max(per_period - used_in_period_key, 0)


def fits(per_period: int, used_in_period_key: int, quantity: int = 1) -> bool:
    """Whether a claim of ``quantity`` stays within the quota (the condition a store must check atomically)."""
    if quantity < 1:
        raise ValueError("quantity must be >= 1")
    return used_in_period_key + quantity <= per_period


def _component(name: str, value: str) -> str:
    if not value or "#" in value:
        raise ValueError(f"{name} must be non-empty and must not contain '#'")
    return value


def counter_key(benefit_id: str, customer_id: str, period_key: str) -> str:
    """``QUOTA#<benefit_id>#<customer_id>#<period_key>``: one counter per benefit, member and period."""
    parts = (
        _component("benefit_id", benefit_id),
        _component("customer_id", customer_id),
        _component("period_key", period_key),
    )
    return "#".join((COUNTER_PREFIX, *parts))


@dataclass(frozen=True)
class QuotaStatus:
    period_key: str
    counter_key: str
    used: int
    remaining: int
    resets_at: datetime | None  # None: lifetime, never resets
    counter_expires_at: datetime | None  # when a store may drop the counter (TTL); None: keep it

    def as_dict(self, quota: Quota) -> dict[str, object]:
        """The ``quota`` object of ``GET /v1/benefits``."""
        return {"per_period": quota.per_period, "period": quota.period, "used": self.used, "remaining": self.remaining}


def status(quota: Quota, benefit_id: str, customer_id: str, when: date | datetime, used: int) -> QuotaStatus:
    """Quota state at ``when`` given the counter of ``when``'s period (read by the caller with ``counter_key``)."""
    window = period_window(quota.period, when)
    resets_at = window.ends_at
    return QuotaStatus(
        window.key,
        counter_key(benefit_id, customer_id, window.key),
        used,
        remaining(quota.per_period, quota.period, used),
        resets_at,
        None if resets_at is None else resets_at + COUNTER_TTL_GRACE,
    )


def check_claim(
    quota: Quota, benefit_id: str, customer_id: str, when: date | datetime, used: int, quantity: int = 1
) -> QuotaStatus:
    """The status before the claim, or ``QuotaExhausted`` when ``quantity`` more would pass the quota."""
    current = status(quota, benefit_id, customer_id, when, used)
    if not fits(quota.per_period, used, quantity):
        raise QuotaExhausted(current.period_key, quota.per_period, used)
    return current
