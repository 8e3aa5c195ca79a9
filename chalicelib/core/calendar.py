"""The programme's calendar: business days and quota periods, always on Asia/Shanghai time.

A *business day* is the calendar date in Asia/Shanghai of an instant (not a working day: weekends count).
Check-ins, points expiry dates and quota periods are all expressed in business days, so a member in
Shanghai at 00:30 is already on the next day although UTC is still on the previous one.

Nothing here reads the clock: every function takes the instant or the day it works on.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Period = Literal["day", "week", "month", "year", "lifetime"]
PERIODS: tuple[str, ...] = get_args(Period)
LIFETIME_KEY = "LIFETIME"

DEFAULT_POINTS_HORIZON_MONTHS = 12


def business_day(moment: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware instant; naive datetimes are refused (their zone is a guess)."""
    if not isinstance(moment, datetime):
        raise TypeError("business_day() needs a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business_day() needs an aware datetime")
    return moment.astimezone(SHANGHAI).date()


def as_business_day(when: date | datetime) -> date:
    """Accept either a business day (``date``) or an aware instant (``datetime``)."""
    return business_day(when) if isinstance(when, datetime) else when


def start_of_day(day: date) -> datetime:
    """The aware instant at which a business day starts (00:00 in Shanghai)."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def end_of_month_after(day: date, months: int) -> date:
    """Last day of the month ``months`` after ``day``'s month (``months=0``: end of the same month)."""
    year, month = _shift_month(day.year, day.month, months)
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The same day-of-month ``months`` later, clamped to the month's end (2024-02-29 + 12 -> 2025-02-28)."""
    year, month = _shift_month(day.year, day.month, months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def points_expiry(earned_on: date | datetime, horizon_months: int = DEFAULT_POINTS_HORIZON_MONTHS) -> date:
    """Expiry day of points earned on a business day: end of the same month ``horizon_months`` later.

    Default: earned any day in November 2026 -> expire on 2027-11-30 (usable through that whole day).
    """
    if horizon_months < 0:
        raise ValueError("horizon_months must be >= 0")
    return end_of_month_after(as_business_day(earned_on), horizon_months)


@dataclass(frozen=True)
class PeriodWindow:
    """One quota period. ``start``/``end`` are inclusive business days; ``ends_at`` is the exclusive end instant.

    For ``lifetime`` there are no bounds (all three are ``None``).
    """

    period: str
    key: str
    start: date | None
    end: date | None

    @property
    def ends_at(self) -> datetime | None:
        return None if self.end is None else start_of_day(self.end + timedelta(days=1))

    def contains(self, day: date) -> bool:
        if self.start is None or self.end is None:
            return True
        return self.start <= day <= self.end


def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def period_window(period: str, when: date | datetime) -> PeriodWindow:
    """The period of kind ``period`` that contains ``when`` (weeks are ISO weeks, Monday first)."""
    _check_period(period)
    day = as_business_day(when)
    if period == "day":
        return PeriodWindow(period, f"D{day.isoformat()}", day, day)
    if period == "week":
        iso = day.isocalendar()
        monday = day - timedelta(days=iso.weekday - 1)
        # ISO year, not calendar year: 2027-01-01 belongs to 2026-W53.
        return PeriodWindow(period, f"W{iso.year:04d}-W{iso.week:02d}", monday, monday + timedelta(days=6))
    if period == "month":
        return PeriodWindow(period, f"M{day.year:04d}-{day.month:02d}", day.replace(day=1), end_of_month(day))
    if period == "year":
        return PeriodWindow(period, f"Y{day.year:04d}", date(day.year, 1, 1), date(day.year, 12, 31))
    return PeriodWindow(period, LIFETIME_KEY, None, None)


def period_key(period: str, when: date | datetime) -> str:
    """E.g. ``D2026-11-23``, ``W2026-W48``, ``M2026-11``, ``Y2026``, ``LIFETIME``."""
    return period_window(period, when).key


def period_end(period: str, when: date | datetime) -> date | None:
    """Last business day (inclusive) of the period containing ``when``; ``None`` for lifetime."""
    return period_window(period, when).end


def add_working_days(day: date, days: int) -> date:
    """The working day ``days`` working days after ``day`` (Monday to Friday; the statutory holidays and their
    make-up working days are not modelled, so a deadline over a holiday comes early, never late)."""
    current = day
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current
