"""Working days for the deletion deadline: weekends do not count."""

from datetime import date

from chalicelib.core.calendar import add_working_days


def test_fifteen_working_days_skip_three_weekends():
    assert add_working_days(date(2027, 1, 6), 15) == date(2027, 1, 27)  # a Wednesday to the Wednesday three weeks on
    assert add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 11)  # Friday -> Monday
    assert add_working_days(date(2027, 1, 9), 1) == date(2027, 1, 11)  # Saturday -> Monday
