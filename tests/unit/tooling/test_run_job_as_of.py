"""``python -m tools.run_job --as-of``: a Shanghai day at the current wall-clock time, or an instant; the clock runs on
from it; ``REMINDERS_ON`` moves the reminder jobs' day on the local stage only."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import pytest

from chalicelib.core import clock
from chalicelib.core.config import reset_settings
from tests.support.clock import at
from tools.stack.run_job import as_of


def test_a_day_is_that_shanghai_day_at_the_current_shanghai_time() -> None:
    real = at(2026, 12, 6, 7, 30)  # 23:30 UTC the day before
    assert as_of("2027-01-15", real) == at(2027, 1, 15, 7, 30)
    assert as_of("2027-01-15T08:01:00+08:00", real) == at(2027, 1, 15, 8, 1)
    assert as_of("2027-01-15T00:01:00Z", real).tzinfo == UTC


@pytest.mark.parametrize("text", ["2027-13-01", "tomorrow", "2027-01-15T08:01:00"])
def test_a_bad_or_naive_as_of_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        as_of(text)


def test_the_clock_runs_on_from_the_as_of_instant() -> None:
    try:
        clock.run_from(at(2027, 1, 15, 8, 1))
        first = clock.now()
        time.sleep(0.01)
        assert at(2027, 1, 15, 8, 1) <= first < clock.now() < at(2027, 1, 15, 8, 2)
        assert clock.now().tzinfo == UTC
    finally:
        clock.run_from(None)
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5


@pytest.mark.parametrize(("stage", "expected"), [("local", at(2027, 1, 15, 10, 0)), ("prod", at(2026, 12, 1, 10, 0))])
def test_reminders_on_moves_the_reminders_day_on_the_local_stage_only(monkeypatch: pytest.MonkeyPatch, stage: str,
                                                                     expected: datetime) -> None:
    monkeypatch.setenv("STAGE", stage)
    monkeypatch.setenv("REMINDERS_ON", "2027-01-15")
    reset_settings()
    try:
        clock.set_now(at(2026, 12, 1, 10, 0).astimezone(UTC))
        assert clock.as_of() == expected
    finally:
        clock.set_now(None)
        monkeypatch.undo()
        reset_settings()
