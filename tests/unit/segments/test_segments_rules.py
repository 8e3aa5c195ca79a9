"""The segments' pure rules: facts as of a day, RFM scores and groups, lifecycle stages, the rule language
(validation naming the path, evaluation, `why`), quintile cutoffs and the holdout draw."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.segments import rules

TODAY = date(2026, 12, 6)


def _stored(**over):
    base = {"customer_id": "c_1", "tier": "gold", "enrolled_on": "2025-01-01", "points_balance": 3200,
            "consents": {"marketing": True, "profiling": False}, "tags": ["tea", "runner"],
            "last_order_on": "2026-11-20", "last_check_in_on": "2026-12-01",
            "tier_stats": {"2026-11": {"s": 120_000, "o": 3}, "2025-11": {"s": 999_999, "o": 9}},
            "buckets": {"2026-12-20": 300, "2027-02-01": 500}, "plus_expires_on": "2026-12-16"}
    base.update(over)
    return base


def test_facts_are_computed_as_of_the_day_and_only_the_last_twelve_months_count():
    f = rules.facts_of(_stored(), TODAY)
    assert f["days_since_last_order"] == 16
    assert f["orders_12m"] == 3 and f["spend_12m_fen"] == 120_000  # 2025-11 is 13 months back
    assert f["days_since_last_check_in"] == 5
    assert f["days_since_last_visit"] is None
    assert f["points_expiring_30d"] == 300  # the February bucket is beyond 30 days
    assert f["plus_days_left"] == 10
    assert f["tier"] == "gold" and f["consents.marketing"] is True
    assert rules.facts_of(_stored(), date(2027, 1, 6))["days_since_last_order"] == 47  # time moves it


def test_rfm_scores_by_quintile_and_the_named_groups():
    cut = rules.Cutoffs(recency=(10, 20, 30, 40), frequency=(1, 2, 3, 4), monetary=(100, 200, 300, 400))
    assert rules.rfm_scores(5, 9, 1000, cut) == (5, 5, 5)
    assert rules.rfm_scores(45, 1, 150, cut) == (1, 2, 2)
    assert rules.rfm_scores(None, 0, 0, cut) == (1, 1, 1)
    assert rules.rfm_group(5, 5, 5) == "champions"
    assert rules.rfm_group(3, 3, 1) == "loyal"
    assert rules.rfm_group(5, 1, 1) == "potential"
    assert rules.rfm_group(1, 4, 4) == "at_risk"
    assert rules.rfm_group(2, 1, 1) == "dormant"
    assert rules.rfm_group(1, 1, 1) == "lost"


@pytest.mark.parametrize(("enrolled", "idle", "stage"), [
    (10, None, "new"), (400, 30, "active"), (400, 91, "at_risk"), (400, 200, "dormant"), (900, 366, "churned"),
    (300, None, "dormant"),  # never came back: ages from the enrolment
])
def test_lifecycle_stages_follow_the_operators_thresholds(enrolled, idle, stage):
    assert rules.lifecycle(enrolled, idle, rules.Lifecycle()) == stage


def test_lifecycle_thresholds_are_the_operators():
    assert rules.lifecycle(400, 100, rules.Lifecycle(active_days=120)) == "active"


def test_a_sound_rule_validates_and_matches():
    rule = {"all": [{"fact": "tier", "op": "in", "value": ["gold", "platinum"]},
                    {"any": [{"fact": "points_balance", "op": "between", "value": [1000, 5000]},
                             {"fact": "lifecycle", "op": "eq", "value": "dormant"}]}]}
    assert rules.validate(rule) == []
    facts = rules.facts_of(_stored(), TODAY)
    assert rules.matches(rule, facts)
    assert not rules.matches(rule, {**facts, "points_balance": 10})


@pytest.mark.parametrize(("rule", "field"), [
    ({"all": [{"fact": "shoe_size", "op": "eq", "value": 1}]}, "rule.all[0].fact"),
    ({"all": [{"fact": "tier", "op": "like", "value": "g"}]}, "rule.all[0].op"),
    ({"any": [{"fact": "tier", "op": "gt", "value": "gold"}]}, "rule.any[0].op"),
    ({"all": [{"fact": "points_balance", "op": "gte", "value": "100"}]}, "rule.all[0].value"),
    ({"all": [{"fact": "points_balance", "op": "gte", "value": True}]}, "rule.all[0].value"),
    ({"all": [{"fact": "points_balance", "op": "between", "value": [5, 1]}]}, "rule.all[0].value"),
    ({"all": []}, "rule.all"),
    ({"all": [{"fact": "tier", "op": "eq"}]}, "rule.all[0]"),
    ({"all": [1]}, "rule.all[0]"),
])
def test_a_bad_rule_names_the_path_of_its_problem(rule, field):
    issues = rules.validate(rule)
    assert [i["field"] for i in issues] == [field]


def test_nesting_deeper_than_five_is_refused_at_its_path():
    rule: dict = {"fact": "tier", "op": "eq", "value": "gold"}
    for _ in range(5):
        rule = {"all": [rule]}
    issues = rules.validate(rule)
    assert issues and issues[0]["field"] == "rule" + ".all[0]" * 5
    assert rules.validate(rule["all"][0]) == []  # five levels are fine


def test_a_tag_rule_never_matches_without_the_profiling_consent():
    rule = {"all": [{"fact": "tags", "op": "has", "value": "tea"}]}
    without = rules.facts_of(_stored(), TODAY)
    with_consent = rules.facts_of(_stored(consents={"profiling": True}), TODAY)
    assert not rules.matches(rule, without)
    assert rules.matches(rule, with_consent)
    why = rules.explain(rule, without)
    assert why["in_segment"] is False
    assert why["facts"]["consents.profiling"] is False
    assert why["conditions"] == [{"fact": "tags", "op": "has", "value": "tea", "actual": ["runner", "tea"],
                                  "met": False}]


def test_why_lists_each_condition_with_the_actual_value():
    rule = {"all": [{"fact": "points_balance", "op": "gte", "value": 2000},
                    {"fact": "days_since_last_order", "op": "gt", "value": 30}]}
    why = rules.explain(rule, rules.facts_of(_stored(), TODAY))
    assert why["in_segment"] is False
    assert [(c["fact"], c["actual"], c["met"]) for c in why["conditions"]] == [
        ("points_balance", 3200, True), ("days_since_last_order", 16, False)]


def test_a_member_who_never_ordered_matches_no_comparison_but_ne():
    facts = rules.facts_of(_stored(last_order_on=None), TODAY)
    assert not rules.matches({"fact": "days_since_last_order", "op": "lt", "value": 1000}, facts)
    assert rules.matches({"fact": "days_since_last_order", "op": "ne", "value": 3}, facts)


def test_quintile_cutoffs_from_a_distribution():
    counts = {v: 1 for v in range(1, 101)}
    assert rules.cutoffs_from_counts(counts) == (20.0, 40.0, 60.0, 80.0)
    assert rules.cutoffs_from_counts({}) == ()
    assert rules.coarse(123_456) == 120_000 and rules.coarse(99) == 99


def test_the_holdout_draw_is_stable_and_near_its_percentage():
    drawn = [rules.holdout(f"c_{n}", "cp_1", 5) for n in range(20_000)]
    assert drawn == [rules.holdout(f"c_{n}", "cp_1", 5) for n in range(20_000)]
    assert 0.04 < sum(drawn) / len(drawn) < 0.06
    assert not any(rules.holdout(f"c_{n}", "cp_1", 0) for n in range(1000))
