from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.benefits.quota import Quota, QuotaExhausted, check_claim, counter_key, fits, remaining, status
from chalicelib.core.calendar import SHANGHAI


def test_remaining_counts_down_and_never_goes_negative():
    assert remaining(3, "month", 0) == 3
    assert remaining(3, "month", 2) == 1
    assert remaining(3, "month", 3) == 0
    assert remaining(3, "month", 7) == 0


def test_invalid_quota_is_refused():
    with pytest.raises(ValueError):
        remaining(3, "fortnight", 0)
    with pytest.raises(ValueError):
        Quota(-1, "day")


def test_fits():
    assert fits(2, 1)
    assert not fits(2, 2)
    assert not fits(2, 1, quantity=2)
    assert not fits(0, 0)


def test_counter_key_and_unambiguous_components():
    assert counter_key("B1", "C9", "M2026-11") == "QUOTA#B1#C9#M2026-11"
    with pytest.raises(ValueError):
        counter_key("B#1", "C9", "M2026-11")
    with pytest.raises(ValueError):
        counter_key("B1", "", "M2026-11")


def test_a_new_month_in_shanghai_opens_a_new_counter_before_utc_midnight():
    quota = Quota(1, "month")
    before = status(quota, "B1", "C9", datetime(2026, 11, 30, 15, 59, tzinfo=UTC), used=1)
    after = status(quota, "B1", "C9", datetime(2026, 11, 30, 16, 0, tzinfo=UTC), used=0)
    assert (before.period_key, before.remaining) == ("M2026-11", 0)
    assert (after.period_key, after.remaining) == ("M2026-12", 1)
    assert before.counter_key != after.counter_key
    assert before.resets_at == datetime(2026, 12, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("period", "day", "key", "resets_on"),
    [
        ("day", date(2026, 12, 31), "D2026-12-31", date(2027, 1, 1)),
        ("week", date(2027, 1, 3), "W2026-W53", date(2027, 1, 4)),
        ("week", date(2027, 1, 4), "W2027-W01", date(2027, 1, 11)),
        ("month", date(2028, 2, 29), "M2028-02", date(2028, 3, 1)),
        ("year", date(2026, 12, 31), "Y2026", date(2027, 1, 1)),
    ],
)
def test_periods_reset_at_shanghai_midnight_of_the_next_period(period, day, key, resets_on):
    result = status(Quota(2, period), "B1", "C9", day, used=0)
    assert result.period_key == key
    assert result.resets_at == datetime.combine(resets_on, datetime.min.time(), tzinfo=SHANGHAI)
    assert result.counter_expires_at == result.resets_at + timedelta(days=7)


def test_lifetime_quota_never_resets():
    result = status(Quota(1, "lifetime"), "B1", "C9", date(2030, 1, 1), used=1)
    assert (result.period_key, result.resets_at, result.counter_expires_at) == ("LIFETIME", None, None)
    assert result.as_dict(Quota(1, "lifetime")) == {"per_period": 1, "period": "lifetime", "used": 1, "remaining": 0}


def test_check_claim_refuses_past_the_quota():
    quota = Quota(2, "week")
    assert check_claim(quota, "B1", "C9", date(2026, 11, 23), used=1).remaining == 1
    with pytest.raises(QuotaExhausted) as caught:
        check_claim(quota, "B1", "C9", date(2026, 11, 23), used=2)
    assert (caught.value.code, caught.value.period_key) == ("quota_exhausted", "W2026-W48")


@given(
    per_period=st.integers(min_value=0, max_value=10),
    period=st.sampled_from(["day", "week", "month", "year", "lifetime"]),
    days=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=60),
)
@settings(max_examples=200)
def test_claims_accepted_per_period_never_pass_the_quota(per_period, period, days):
    counters: dict[str, int] = {}
    accepted: dict[str, int] = {}
    day = date(2026, 12, 20)
    for step in days:
        day += timedelta(days=step % 3)
        key = status(Quota(per_period, period), "B1", "C9", day, used=0).counter_key
        used = counters.get(key, 0)
        try:
            check_claim(Quota(per_period, period), "B1", "C9", day, used)
        except QuotaExhausted:
            assert used >= per_period
            continue
        counters[key] = used + 1
        accepted[key] = accepted.get(key, 0) + 1
    assert all(n <= per_period for n in accepted.values())
