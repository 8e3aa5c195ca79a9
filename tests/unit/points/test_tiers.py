from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.points.tiers import (
    DEFAULT_TIERS,
    TierDefinition,
    evaluate,
    qualified_tier,
    tier_by_code,
    tier_progress,
    validate_tiers,
)

BASE, SILVER, GOLD, PLATINUM = (tier_by_code(DEFAULT_TIERS, c) for c in ("base", "silver", "gold", "platinum"))


def spend(fen: int) -> dict[str, int]:
    return {"spend_12m_fen": fen}


def test_default_tiers_are_ordered_and_valid():
    assert [t.code for t in validate_tiers(DEFAULT_TIERS)] == ["base", "silver", "gold", "platinum"]
    thresholds = [t.threshold for t in DEFAULT_TIERS]
    assert thresholds == sorted(thresholds) and thresholds[0] == 0
    assert [t.multiplier for t in DEFAULT_TIERS] == sorted(t.multiplier for t in DEFAULT_TIERS)


@pytest.mark.parametrize(
    ("fen", "code"),
    [
        (0, "base"),
        (199_999, "base"),
        (200_000, "silver"),
        (799_999, "silver"),
        (800_000, "gold"),
        (2_000_000, "platinum"),
        (10**10, "platinum"),
    ],
)
def test_qualified_tier_at_thresholds(fen, code):
    assert qualified_tier(DEFAULT_TIERS, spend(fen)).code == code


def test_missing_metric_counts_as_zero_and_tiers_may_use_different_metrics():
    tiers = (
        TierDefinition("base", "B", "b", 0, "spend_12m_fen", 0),
        TierDefinition("regular", "R", "r", 1, "orders_12m", 12),
        TierDefinition("vip", "V", "v", 2, "spend_12m_fen", 500_000),
    )
    assert qualified_tier(tiers, {}).code == "base"
    assert qualified_tier(tiers, {"orders_12m": 12}).code == "regular"
    assert qualified_tier(tiers, {"orders_12m": 1, "spend_12m_fen": 500_000}).code == "vip"


def test_invalid_tier_sets_are_refused():
    with pytest.raises(ValueError):
        validate_tiers([TierDefinition("x", "X", "x", 0, "spend_12m_fen", 10)])  # nobody would hold a tier
    with pytest.raises(ValueError):
        validate_tiers([BASE, TierDefinition("base", "B2", "b", 5, "spend_12m_fen", 1)])
    with pytest.raises(ValueError):
        TierDefinition("x", "X", "x", 0, "visits", 0)
    assert TierDefinition("x", "X", "x", 0, "orders_12m", 0, 1.2).multiplier == Decimal("1.2")


@given(st.integers(min_value=0, max_value=5_000_000), st.integers(min_value=0, max_value=5_000_000))
@settings(max_examples=200)
def test_more_spend_never_qualifies_for_a_lower_tier(a, b):
    low, high = sorted((a, b))
    assert qualified_tier(DEFAULT_TIERS, spend(low)).rank <= qualified_tier(DEFAULT_TIERS, spend(high)).rank


# --- holding a tier --------------------------------------------------------------------------------------------

TODAY = date(2026, 11, 23)
EVAL = date(2027, 3, 1)


def test_upgrade_happens_at_once_and_is_kept_a_year():
    decision = evaluate(SILVER, GOLD, TODAY, EVAL)
    assert (decision.tier, decision.next_evaluation, decision.reason) == (GOLD, date(2027, 11, 23), "upgrade")


def test_no_downgrade_before_the_evaluation_date():
    decision = evaluate(GOLD, BASE, EVAL - timedelta(days=1), EVAL)
    assert (decision.tier, decision.next_evaluation, decision.reason) == (GOLD, EVAL, "unchanged")


def test_downgrade_on_the_evaluation_date_to_what_is_qualified():
    decision = evaluate(GOLD, SILVER, EVAL, EVAL)
    assert (decision.tier, decision.next_evaluation, decision.reason) == (SILVER, date(2028, 3, 1), "downgrade")


def test_kept_tier_rolls_the_evaluation_date_past_today():
    # evaluation missed for two years (e.g. an inactive member): the next one is after today
    decision = evaluate(GOLD, GOLD, date(2029, 3, 2), EVAL)
    assert (decision.tier, decision.next_evaluation, decision.reason) == (GOLD, date(2030, 3, 1), "retained")


def test_evaluation_on_29_february_moves_to_28_february():
    assert evaluate(GOLD, GOLD, date(2028, 2, 29), date(2028, 2, 29)).next_evaluation == date(2029, 2, 28)
    assert evaluate(BASE, SILVER, date(2028, 2, 29), EVAL).next_evaluation == date(2029, 2, 28)


def test_admin_floor_holds_the_member_until_its_end_then_evaluation_follows():
    floor_until = date(2027, 1, 31)
    set_floor = evaluate(BASE, BASE, TODAY, EVAL, floor_tier=GOLD, floor_until=floor_until)
    assert (set_floor.tier, set_floor.reason) == (GOLD, "floor")
    assert set_floor.next_evaluation == date(2027, 2, 1)  # the floor does not outlive its end
    during = evaluate(GOLD, BASE, date(2027, 1, 31), set_floor.next_evaluation, GOLD, floor_until)
    assert during.tier == GOLD
    after = evaluate(GOLD, BASE, date(2027, 2, 1), set_floor.next_evaluation, GOLD, floor_until)
    assert (after.tier, after.reason) == (BASE, "downgrade")


def test_floor_never_lowers_and_upgrades_pass_through_it():
    assert evaluate(PLATINUM, PLATINUM, EVAL, EVAL, floor_tier=SILVER, floor_until=date(2030, 1, 1)).tier == PLATINUM
    assert evaluate(SILVER, PLATINUM, TODAY, EVAL, floor_tier=GOLD, floor_until=date(2030, 1, 1)).tier == PLATINUM


def test_floor_without_end_date_keeps_applying():
    assert evaluate(GOLD, BASE, date(2040, 1, 1), EVAL, floor_tier=GOLD).tier == GOLD


tiers_st = st.sampled_from(DEFAULT_TIERS)


@given(
    current=tiers_st,
    qualified=tiers_st,
    today=st.dates(min_value=date(2026, 1, 1), max_value=date(2032, 12, 31)),
    eval_offset=st.integers(min_value=-800, max_value=800),
    floor=st.one_of(st.none(), tiers_st),
    floor_offset=st.one_of(st.none(), st.integers(min_value=-400, max_value=400)),
)
@settings(max_examples=300)
@pytest.mark.slow  # 300 generated cases
def test_evaluation_rules_hold_for_any_input(current, qualified, today, eval_offset, floor, floor_offset):
    evaluation_date = today + timedelta(days=eval_offset)
    floor_until = None if floor_offset is None else today + timedelta(days=floor_offset)
    decision = evaluate(current, qualified, today, evaluation_date, floor, floor_until)
    floor_active = floor is not None and (floor_until is None or today <= floor_until)
    assert decision.next_evaluation > today
    # never below what is qualified nor below an active floor
    assert decision.tier.rank >= qualified.rank
    if floor_active:
        assert decision.tier.rank >= floor.rank
    # a downgrade below the held tier only on or after the evaluation date
    if decision.tier.rank < current.rank:
        assert today >= evaluation_date
    # above both qualification and the held tier only through a floor
    if decision.tier.rank > max(qualified.rank, current.rank):
        assert floor_active and decision.tier == floor


# --- progress --------------------------------------------------------------------------------------------------


def test_progress_names_the_next_tier_and_its_threshold():
    progress = tier_progress(DEFAULT_TIERS, "silver", spend(350_000))
    assert progress.as_dict() == {
        "next_tier": "gold",
        "metric": "spend_12m_fen",
        "current": 350_000,
        "required": 800_000,
    }


def test_progress_at_the_top_has_no_next_tier():
    progress = tier_progress(DEFAULT_TIERS, "platinum", spend(3_000_000))
    assert (progress.next_tier, progress.required, progress.current) == (None, None, 3_000_000)


def test_progress_for_an_unknown_tier_code_fails():
    with pytest.raises(KeyError):
        tier_progress(DEFAULT_TIERS, "diamond", spend(0))
