"""Pure helpers of the points store: the rolling tier window, stats, cursors, tier decisions (no AWS)."""

from __future__ import annotations

import base64
from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.core.dynamo import paging
from chalicelib.core.errors import AppError
from chalicelib.points import tier_standing
from chalicelib.points.programme import PointsConfig, PointsSettings, Promotion


def test_the_window_is_the_month_and_the_eleven_before_it_across_the_year_boundary():
    months = tier_standing.window_months(date(2027, 1, 15))
    assert months[0] == "2027-01" and months[1] == "2026-12" and months[-1] == "2026-02" and len(months) == 12


def test_stats_count_within_the_window_and_never_go_negative():
    on = date(2027, 1, 15)
    stats = tier_standing.stats_with({}, "2026-02", spend=100, orders=1, points=1, on=on)
    stats = tier_standing.stats_with(stats, "2027-01", spend=50, orders=1, points=2, on=on)
    stats = tier_standing.stats_with(stats, "2025-01", spend=999, on=on)  # too old to count: dropped
    assert tier_standing.metric_values(stats, on) == {"spend_12m_fen": 150, "orders_12m": 2, "points_12m": 3}
    assert tier_standing.metric_values(stats, date(2027, 2, 1))["spend_12m_fen"] == 50  # February 2026 left the window
    after = tier_standing.stats_with(stats, "2027-01", spend=-80, orders=-5, on=on)
    assert after["2027-01"] == {"s": 0, "o": 0, "p": 2}


@pytest.mark.slow  # many generated cursors, each decoded and checked
@given(st.text(max_size=40))
def test_any_cursor_is_either_a_ledger_key_or_a_validation_error(raw):
    for cursor in (raw, base64.urlsafe_b64encode(raw.encode()).decode()):
        try:
            sk = paging.decode_cursor(cursor, "L#")
        except AppError as err:
            assert err.code == "validation_error" and err.details[0]["field"] == "cursor"
        else:
            assert sk.startswith("L#")


def test_cursors_round_trip():
    sk = "L#2026-11-23T03:15:00.000+00:00#0000000042"
    assert paging.decode_cursor(paging.encode_cursor(sk), "L#") == sk
    with pytest.raises(AppError):
        paging.decode_cursor(paging.encode_cursor("M#PROFILE"), "L#")


def _state(tier_code="base", stats=None, evaluation_on=None, floor=None, floor_until=None):
    return SimpleNamespace(profile=SimpleNamespace(tier_code=tier_code), tier_stats=stats or {},
                           tier_evaluation_on=evaluation_on, floor_code=floor, floor_until=floor_until)


def test_tier_decisions_upgrade_at_once_and_downgrade_on_the_evaluation_date():
    config = PointsConfig()
    rich = {"2026-11": {"s": 900_000, "o": 1, "p": 0}}
    up = tier_standing.tier_decision(_state(stats=rich), config, date(2026, 11, 23))
    assert (up.tier.code, up.reason, up.next_evaluation) == ("gold", "upgrade", date(2027, 11, 23))
    held = tier_standing.tier_decision(_state("gold", rich, date(2027, 11, 23)), config, date(2027, 11, 22))
    assert held.tier.code == "gold"
    down = tier_standing.tier_decision(_state("gold", rich, date(2027, 11, 23)), config, date(2027, 11, 23))
    assert (down.tier.code, down.reason) == ("base", "downgrade")
    unknown = tier_standing.tier_decision(_state("retired-code"), config, date(2026, 11, 23))
    assert unknown.tier.code == "base"


def test_the_best_active_promotion_applies_and_promotions_do_not_stack():
    from datetime import datetime
    from decimal import Decimal

    from chalicelib.core.calendar import SHANGHAI

    def promo(pid, mult, channels=(), tiers=()):
        return Promotion(pid, pid, Decimal(mult), datetime(2026, 11, 1, tzinfo=SHANGHAI),
                         datetime(2026, 12, 1, tzinfo=SHANGHAI), tuple(channels), tuple(tiers))

    promotions = (promo("a", "2"), promo("b", "3", channels=["app"]), promo("c", "5", tiers=["gold"]))
    config = PointsConfig(promotions=promotions, settings=PointsSettings())
    when = datetime(2026, 11, 11, 12, tzinfo=SHANGHAI)
    assert config.promotion_for(when, "store", "base").promotion_id == "a"
    assert config.promotion_for(when, "app", "base").promotion_id == "b"
    assert config.promotion_for(when, "app", "gold").promotion_id == "c"
    assert config.promotion_for(datetime(2026, 12, 1, tzinfo=SHANGHAI), "app", "gold") is None
