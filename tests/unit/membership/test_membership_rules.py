"""Plus membership rules: calendar month arithmetic in Asia/Shanghai (month ends, leap years, the anchor day kept
across renewals), the state machine none -> trial -> active -> expired, refunds and merges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.calendar import SHANGHAI
from chalicelib.membership import rules
from chalicelib.membership.rules import Membership, MembershipRefused, PlusPlan

MONTH = PlusPlan("m", "月卡", 1500, "month")
YEAR = PlusPlan("y", "年卡", 9900, "year")


def sh(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (sh(2027, 1, 31), 1, sh(2027, 2, 28)),  # 31 January + 1 month = end of February
    (sh(2028, 1, 31), 1, sh(2028, 2, 29)),  # a leap year
    (sh(2028, 2, 29), 12, sh(2029, 2, 28)),  # 29 February + 1 year, no 29th: the month's end
    (sh(2028, 2, 29), 48, sh(2032, 2, 29)),  # four years later there is one again
    (sh(2026, 3, 31), 1, sh(2026, 4, 30)),
    (sh(2026, 12, 15), 1, sh(2027, 1, 15)),  # across a year end
    (sh(2026, 8, 31), 6, sh(2027, 2, 28)),
])
def test_calendar_months_clamp_to_the_month_end(start: datetime, months: int, expected: datetime) -> None:
    assert rules.add_months_anchored(start, months) == expected


def test_months_are_counted_on_the_shanghai_calendar_not_utc() -> None:
    # 31 January 20:00 UTC is 1 February 04:00 in Shanghai: one month later is 1 March, not the end of February
    start = datetime(2027, 1, 31, 20, 0, tzinfo=UTC)
    assert rules.add_months_anchored(start, 1) == sh(2027, 3, 1, 4, 0)


def test_monthly_renewals_keep_the_anchor_day_instead_of_drifting() -> None:
    held = rules.activate(Membership(), MONTH, sh(2027, 1, 31))
    assert held.expires_at == sh(2027, 2, 28)
    renewed = rules.activate(held, MONTH, sh(2027, 2, 20))
    assert renewed.expires_at == sh(2027, 3, 31)  # not 28 March
    again = rules.activate(renewed, MONTH, sh(2027, 3, 1))
    assert again.expires_at == sh(2027, 4, 30)


def test_renewal_while_active_extends_from_the_current_expiry_not_from_today() -> None:
    held = rules.activate(Membership(), YEAR, sh(2026, 12, 1))
    assert held.expires_at == sh(2027, 12, 1)
    renewed = rules.activate(held, YEAR, sh(2027, 11, 20))
    assert renewed.expires_at == sh(2028, 12, 1)
    assert renewed.status(sh(2027, 11, 21)) == "active"


def test_buying_after_expiry_starts_today() -> None:
    held = rules.activate(Membership(), MONTH, sh(2026, 1, 10))
    later = rules.activate(held, MONTH, sh(2026, 5, 3, 9, 30))
    assert later.started_at == sh(2026, 5, 3, 9, 30)
    assert later.expires_at == sh(2026, 6, 3, 9, 30)
    assert later.year_start == sh(2026, 5, 3, 9, 30)


def test_state_machine_none_trial_active_expired() -> None:
    now = sh(2026, 12, 1)
    none = Membership()
    assert none.status(now) == "none"
    trial = rules.start_trial(none, now)
    assert trial.status(now) == "trial" and trial.trial_used
    assert trial.expires_at == now + timedelta(days=7)
    assert trial.status(now + timedelta(days=7)) == "expired"
    active = rules.activate(trial, MONTH, now + timedelta(days=2))
    assert active.status(now + timedelta(days=2)) == "active"
    assert active.expires_at == sh(2027, 1, 8)  # the trial's remaining days are kept
    assert active.status(sh(2027, 1, 8)) == "expired"


def test_trial_once_per_person_and_not_while_a_member() -> None:
    now = sh(2026, 12, 1)
    trial = rules.start_trial(Membership(), now)
    with pytest.raises(MembershipRefused) as refused:
        rules.start_trial(trial, now + timedelta(days=30))  # expired, still used
    assert refused.value.code == "trial_already_used"
    paid = rules.activate(Membership(), MONTH, now)
    with pytest.raises(MembershipRefused) as refused:
        rules.start_trial(paid, now)
    assert refused.value.code == "already_member"


def test_refund_window_and_benefit_use() -> None:
    bought = sh(2026, 12, 1)
    held = rules.activate(Membership(), YEAR, bought)
    assert rules.refundable(held, bought, 0, bought + timedelta(days=6, hours=23)) is None
    assert rules.refundable(held, bought, 0, bought + timedelta(days=7, seconds=1)) == "refund_window_passed"
    assert rules.refundable(held, bought, 1, bought + timedelta(days=1)) == "benefit_already_used"
    ended = rules.end_now(held, bought + timedelta(days=1))
    assert ended.status(bought + timedelta(days=1)) == "expired"
    assert rules.refundable(ended, bought, 0, bought + timedelta(days=1)) == "membership_not_active"


def test_merge_keeps_the_later_expiry_and_a_used_trial() -> None:
    now = sh(2026, 12, 1)
    trial_only = rules.start_trial(Membership(), now - timedelta(days=30))
    paid = rules.activate(Membership(), YEAR, now)
    merged = rules.merged(trial_only, paid)
    assert merged.expires_at == paid.expires_at and merged.trial_used
    merged_other_way = rules.merged(paid, trial_only)
    assert merged_other_way.expires_at == paid.expires_at and merged_other_way.trial_used
    assert rules.merged(Membership(), Membership()) == Membership()
