from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.core.calendar import (
    PERIODS,
    SHANGHAI,
    add_months,
    business_day,
    end_of_month,
    end_of_month_after,
    period_end,
    period_key,
    period_window,
    points_expiry,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- business day ----------------------------------------------------------------------------------------------


def test_shanghai_is_already_in_the_new_year_when_utc_is_not():
    # 2026-12-31 16:30 UTC is 2027-01-01 00:30 in Shanghai.
    assert business_day(utc(2026, 12, 31, 16, 30)) == date(2027, 1, 1)
    assert business_day(utc(2026, 12, 31, 15, 59, 59)) == date(2026, 12, 31)


def test_last_minute_of_the_year_in_shanghai():
    assert business_day(datetime(2026, 12, 31, 23, 59, tzinfo=SHANGHAI)) == date(2026, 12, 31)
    assert business_day(datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI)) == date(2027, 1, 1)


def test_other_offsets_are_converted():
    new_york = timezone(timedelta(hours=-5))
    # 2026-11-23 11:30 in New York = 16:30 UTC = 2026-11-24 00:30 in Shanghai.
    assert business_day(datetime(2026, 11, 23, 11, 30, tzinfo=new_york)) == date(2026, 11, 24)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        business_day(datetime(2026, 11, 23, 12, 0))


# --- months ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2028, 2, 10), date(2028, 2, 29)),  # leap year
        (date(2026, 2, 10), date(2026, 2, 28)),
        (date(2100, 2, 1), date(2100, 2, 28)),  # century, not a leap year
        (date(2000, 2, 1), date(2000, 2, 29)),  # divisible by 400
        (date(2026, 12, 31), date(2026, 12, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
    ],
)
def test_end_of_month(day, expected):
    assert end_of_month(day) == expected


def test_points_earned_in_a_month_expire_at_the_end_of_that_month_a_year_later():
    assert points_expiry(date(2026, 11, 1)) == date(2027, 11, 30)
    assert points_expiry(date(2026, 11, 30)) == date(2027, 11, 30)
    assert points_expiry(date(2027, 2, 3)) == date(2028, 2, 29)  # lands in a leap February
    assert points_expiry(date(2028, 2, 29)) == date(2029, 2, 28)
    assert points_expiry(date(2026, 12, 31)) == date(2027, 12, 31)
    assert points_expiry(date(2026, 11, 5), horizon_months=3) == date(2027, 2, 28)


def test_points_expiry_uses_the_shanghai_day_of_an_instant():
    # Still November in UTC, already December in Shanghai.
    assert points_expiry(utc(2026, 11, 30, 17, 0)) == date(2027, 12, 31)


@given(days, st.integers(min_value=0, max_value=60))
@settings(max_examples=200)
def test_end_of_month_after_is_a_month_end_exactly_n_months_later(day, months):
    result = end_of_month_after(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert (result + timedelta(days=1)).day == 1


@given(days, st.integers(min_value=-36, max_value=36))
@settings(max_examples=200)
def test_add_months_keeps_the_day_or_clamps_to_month_end(day, months):
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (result.day < day.day and result == end_of_month(result))


# --- periods ---------------------------------------------------------------------------------------------------


def test_period_keys_for_a_sample_day():
    day = date(2026, 11, 23)
    assert period_key("day", day) == "D2026-11-23"
    assert period_key("week", day) == "W2026-W48"
    assert period_key("month", day) == "M2026-11"
    assert period_key("year", day) == "Y2026"
    assert period_key("lifetime", day) == "LIFETIME"


def test_iso_week_53_spans_the_new_year():
    # 2026 has 53 ISO weeks: Mon 2026-12-28 .. Sun 2027-01-03 is 2026-W53; 2027-W01 starts Mon 2027-01-04.
    for day in (date(2026, 12, 28), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 3)):
        window = period_window("week", day)
        assert window.key == "W2026-W53"
        assert (window.start, window.end) == (date(2026, 12, 28), date(2027, 1, 3))
    assert period_key("week", date(2027, 1, 4)) == "W2027-W01"
    # while year and month keys change at 1 January
    assert period_key("year", date(2027, 1, 1)) == "Y2027"
    assert period_key("month", date(2027, 1, 1)) == "M2027-01"


def test_iso_week_one_can_start_in_december():
    # 2025-12-29 (Monday) is in 2026-W01.
    assert period_key("week", date(2025, 12, 29)) == "W2026-W01"
    assert period_key("week", date(2025, 12, 28)) == "W2025-W52"


def test_week_key_follows_shanghai_midnight_not_utc():
    # Sunday 2026-11-29 16:00 UTC is Monday 00:00 in Shanghai: a new week.
    assert period_key("week", utc(2026, 11, 29, 15, 59)) == "W2026-W48"
    assert period_key("week", utc(2026, 11, 29, 16, 0)) == "W2026-W49"
    assert period_key("day", utc(2026, 12, 31, 16, 0)) == "D2027-01-01"
    assert period_key("year", utc(2026, 12, 31, 15, 59)) == "Y2026"
    assert period_key("year", utc(2026, 12, 31, 16, 0)) == "Y2027"


def test_period_ends():
    assert period_end("day", date(2026, 11, 23)) == date(2026, 11, 23)
    assert period_end("week", date(2026, 11, 23)) == date(2026, 11, 29)
    assert period_end("month", date(2028, 2, 3)) == date(2028, 2, 29)
    assert period_end("month", date(2027, 2, 3)) == date(2027, 2, 28)
    assert period_end("year", date(2026, 5, 5)) == date(2026, 12, 31)
    assert period_end("lifetime", date(2026, 5, 5)) is None


def test_a_period_ends_at_the_next_shanghai_midnight():
    window = period_window("month", date(2026, 12, 15))
    assert window.ends_at == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert window.ends_at == utc(2026, 12, 31, 16, 0)
    assert period_window("lifetime", date(2026, 12, 15)).ends_at is None


def test_unknown_period_is_refused():
    with pytest.raises(ValueError):
        period_key("fortnight", date(2026, 1, 1))


@given(st.sampled_from([p for p in PERIODS if p != "lifetime"]), days)
@settings(max_examples=300)
def test_a_window_contains_its_day_and_neighbours_share_its_key_only_inside(period, day):
    window = period_window(period, day)
    assert window.start <= day <= window.end
    assert period_key(period, window.start) == window.key == period_key(period, window.end)
    assert period_key(period, window.start - timedelta(days=1)) != window.key
    assert period_key(period, window.end + timedelta(days=1)) != window.key
    if period == "week":
        assert window.start.weekday() == 0 and (window.end - window.start).days == 6
