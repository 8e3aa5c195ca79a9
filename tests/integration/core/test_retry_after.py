"""Every 429 says when trying again makes sense: ``Retry-After`` is the rate limit's real window (the seconds
until the fixed window that refused the request ends), not a guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core import clock

pytestmark = pytest.mark.integration

# 10 minutes into an hour and into a day (UTC): the hour window ends in 3000 s, the day window in 85800 s.
START = datetime(2030, 5, 6, 0, 10, tzinfo=UTC)


@pytest.mark.slow
def test_the_per_ip_hourly_otp_limit_says_when_the_hour_ends(api):
    clock.set_now(START)
    for i in range(30):
        status, body, _ = api.call("POST", "/v1/auth/app/otp", {"phone": f"1370000{i:04d}"})
        assert status == 202, body
    status, body, headers = api.call("POST", "/v1/auth/app/otp", {"phone": "13700009999"})
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert headers["Retry-After"] == "3000"


def test_the_per_phone_daily_otp_limit_says_when_the_day_ends(api):
    clock.set_now(START)
    for _ in range(10):
        status, body, _ = api.call("POST", "/v1/auth/app/otp", {"phone": "13700000001"})
        assert status == 202, body
        clock.set_now(clock.now() + timedelta(seconds=61))
    status, body, headers = api.call("POST", "/v1/auth/app/otp", {"phone": "13700000001"})
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert headers["Retry-After"] == str(86400 - 600 - 10 * 61)


@pytest.mark.slow
def test_the_per_ip_failed_login_limit_says_when_the_hour_ends(api):
    clock.set_now(START)
    assert api.call("POST", "/v1/auth/app/otp", {"phone": "13700000002"})[0] == 202
    for i in range(50):
        status, body, _ = api.call("POST", "/v1/auth/app/login", {"phone": "13700000002", "otp": f"{i:06d}"})
        assert status == 401, body
    status, body, headers = api.call("POST", "/v1/auth/app/login", {"phone": "13700000002", "otp": "999999"})
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert headers["Retry-After"] == "3000"
