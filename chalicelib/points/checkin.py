"""Daily check-in: once per business day (Asia/Shanghai), with a streak and a bonus schedule.

The streak counts consecutive business days with a check-in (calendar days in Shanghai, weekends included);
missing a day starts it again at 1. Each check-in earns ``base_points`` plus the bonus for its streak day. With
``cycle_days`` set (default 7), the bonus schedule repeats every cycle (day 10 earns the day-3 bonus again) while
the streak itself keeps counting; with ``cycle_days=None`` bonuses are paid only on the exact streak days listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

from chalicelib.core.calendar import business_day


class AlreadyCheckedIn(Exception):
    code = "already_checked_in"

    def __init__(self, day: date) -> None:
        super().__init__(f"already checked in on {day.isoformat()}")
        self.day = day


@dataclass(frozen=True)
class CheckinSchedule:
    base_points: int = 5
    streak_bonuses: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({3: 10, 7: 30}))
    cycle_days: int | None = 7

    def __post_init__(self) -> None:
        if self.base_points < 0 or any(v < 0 for v in self.streak_bonuses.values()):
            raise ValueError("points must be >= 0")
        if any(d < 1 for d in self.streak_bonuses):
            raise ValueError("streak days start at 1")
        if self.cycle_days is not None:
            if self.cycle_days < 1:
                raise ValueError("cycle_days must be >= 1")
            if any(d > self.cycle_days for d in self.streak_bonuses):
                raise ValueError("a bonus day beyond the cycle would never be paid")
        object.__setattr__(self, "streak_bonuses", MappingProxyType(dict(self.streak_bonuses)))

    def points_for(self, streak_day: int) -> int:
        """Points for the check-in that makes the streak ``streak_day`` long."""
        if streak_day < 1:
            raise ValueError("streak_day must be >= 1")
        position = streak_day if self.cycle_days is None else (streak_day - 1) % self.cycle_days + 1
        return self.base_points + self.streak_bonuses.get(position, 0)


DEFAULT_SCHEDULE = CheckinSchedule()


class CheckinResult(NamedTuple):
    """``(points_awarded, new_streak)``."""

    points_awarded: int
    streak: int


def next_checkin(
    last_day: date | None, streak: int, today: date | datetime, schedule: CheckinSchedule = DEFAULT_SCHEDULE
) -> CheckinResult:
    """Check in on ``today`` (a business day, or an aware instant converted to one).

    Raises ``AlreadyCheckedIn`` when the last check-in is today, or later (a clock that went back never pays twice).
    """
    day = business_day(today) if isinstance(today, datetime) else today
    if streak < 0:
        raise ValueError("streak must be >= 0")
    if last_day is not None and last_day >= day:
        raise AlreadyCheckedIn(last_day)
    continues = last_day is not None and streak > 0 and last_day == day - timedelta(days=1)
    new_streak = streak + 1 if continues else 1
    return CheckinResult(schedule.points_for(new_streak), new_streak)


def current_streak(last_day: date | None, streak: int, today: date | datetime) -> int:
    """The streak to show on ``today``: still alive if the last check-in was today or yesterday, else 0."""
    day = business_day(today) if isinstance(today, datetime) else today
    if last_day is None or last_day < day - timedelta(days=1):
        return 0
    return streak
