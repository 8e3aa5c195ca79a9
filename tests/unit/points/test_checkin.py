from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.points.checkin import DEFAULT_SCHEDULE, AlreadyCheckedIn, CheckinSchedule, current_streak, next_checkin


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_first_check_in_starts_a_streak_with_the_base_points():
    assert next_checkin(None, 0, date(2026, 11, 23)) == (5, 1)


def test_default_schedule_pays_bonuses_on_day_3_and_day_7_and_repeats_weekly():
    awarded = [DEFAULT_SCHEDULE.points_for(day) for day in range(1, 15)]
    assert awarded == [5, 5, 15, 5, 5, 5, 35, 5, 5, 15, 5, 5, 5, 35]


def test_schedule_without_cycle_pays_each_bonus_once():
    schedule = CheckinSchedule(base_points=2, streak_bonuses={3: 4, 30: 100}, cycle_days=None)
    assert [schedule.points_for(d) for d in (1, 3, 10, 30, 33, 60)] == [2, 6, 2, 102, 2, 2]


def test_a_bonus_day_beyond_the_cycle_is_refused():
    with pytest.raises(ValueError):
        CheckinSchedule(streak_bonuses={8: 10}, cycle_days=7)


def test_consecutive_days_extend_the_streak_and_a_gap_resets_it():
    assert next_checkin(date(2026, 11, 22), 2, date(2026, 11, 23)) == (15, 3)
    assert next_checkin(date(2026, 11, 21), 2, date(2026, 11, 23)) == (5, 1)


def test_same_day_is_refused():
    with pytest.raises(AlreadyCheckedIn) as caught:
        next_checkin(date(2026, 11, 23), 1, date(2026, 11, 23))
    assert caught.value.code == "already_checked_in"


def test_a_clock_that_went_back_never_pays_twice():
    with pytest.raises(AlreadyCheckedIn):
        next_checkin(date(2026, 11, 24), 1, date(2026, 11, 23))


@pytest.mark.parametrize(
    ("last", "today"),
    [
        (date(2026, 11, 30), date(2026, 12, 1)),  # month
        (date(2026, 12, 31), date(2027, 1, 1)),  # year
        (date(2028, 2, 28), date(2028, 2, 29)),  # leap day
        (date(2028, 2, 29), date(2028, 3, 1)),
        (date(2027, 2, 28), date(2027, 3, 1)),  # no 29th in 2027
    ],
)
def test_streak_continues_across_month_and_year_ends(last, today):
    assert next_checkin(last, 6, today) == (35, 7)


def test_streak_follows_shanghai_midnight_while_utc_is_still_on_the_previous_day():
    # Checked in at 23:50 Shanghai on 31 Dec (15:50 UTC) ...
    first = utc(2026, 12, 31, 15, 50)
    assert next_checkin(date(2026, 12, 30), 2, first) == (15, 3)
    # ... and again at 00:10 Shanghai on 1 Jan, still 31 Dec 16:10 in UTC: a new business day.
    assert next_checkin(date(2026, 12, 31), 3, utc(2026, 12, 31, 16, 10)) == (5, 4)
    # but 23:59 UTC on 31 Dec is 07:59 on 1 Jan in Shanghai: already checked in that day.
    with pytest.raises(AlreadyCheckedIn):
        next_checkin(date(2027, 1, 1), 4, utc(2026, 12, 31, 23, 59))


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        next_checkin(None, 0, datetime(2026, 12, 31, 23, 0))


def test_current_streak_for_display():
    assert current_streak(date(2026, 11, 22), 4, date(2026, 11, 23)) == 4
    assert current_streak(date(2026, 11, 23), 4, date(2026, 11, 23)) == 4
    assert current_streak(date(2026, 11, 21), 4, date(2026, 11, 23)) == 0
    assert current_streak(None, 0, date(2026, 11, 23)) == 0


@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    gaps=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=40),
)
@settings(max_examples=200)
def test_any_sequence_of_taps_pays_once_per_day_and_counts_consecutive_days(start, gaps):
    last, streak, day, paid_days = None, 0, start, set()
    for gap in gaps:
        day += timedelta(days=gap)
        if last == day:
            with pytest.raises(AlreadyCheckedIn):
                next_checkin(last, streak, day)
            continue
        expected = streak + 1 if last == day - timedelta(days=1) else 1
        points, streak = next_checkin(last, streak, day)
        assert streak == expected
        assert points == DEFAULT_SCHEDULE.points_for(streak) >= DEFAULT_SCHEDULE.base_points
        assert day not in paid_days
        paid_days.add(day)
        last = day
