"""The insights area's pure rules: what a ledger entry counts as, what a stream record counts, the close's figures from
a pass's sums, the health rates from counters, and the CSV finance opens."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from chalicelib.insights import campaign_uplift, closes, csv_out, facts, health, ledger_pass, rules
from chalicelib.segments import campaign_results


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def test_each_ledger_kind_counts_as_one_figure():
    assert rules.amount("purchase", 120) == ("issued", 120)
    assert rules.amount("adjustment", 30) == ("issued", 30)
    assert rules.amount("adjustment", -30) == ("reversed", 30)
    assert rules.amount("refund_reversal", -80) == ("reversed", 80)
    assert rules.amount("redemption", -150) == ("redeemed", 150)
    assert rules.amount("expiry", -300) == ("expired", 300)
    assert rules.amount("merge_in", 40) == ("moved", 40) and rules.amount("merge_out", -40) == ("moved", -40)


def test_days_months_and_rates_are_shanghai_and_half_up():
    assert rules.day_of("2026-11-30T16:10:00.000+00:00") == "2026-12-01"
    assert rules.day_of("2026-12-01T00:10:00+08:00") == "2026-12-01"
    assert rules.months_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert rules.months_between("2027-02", "2026-11") == []
    assert rules.months_after("2026-12", 2) == ["2027-01", "2027-02"]
    start, end = rules.month_bounds("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    assert rules.rate(1, 3) == 0.3333 and rules.rate(2, 3) == 0.6667 and rules.rate(5, 0) is None
    assert rules.deferred_revenue_fen(3, Decimal("0.5"), Decimal("1")) == 2  # 1.5 fen: half up
    assert rules.deferred_revenue_fen(1_000_001, Decimal("1"), Decimal("0.85")) == 850_001


def _record(sk: str, pk: str = "CUST#c1", **attrs: str) -> tuple[dict, dict]:
    keys = {"pk": _s(pk), "sk": _s(sk)}
    return keys, {**keys, **{k: _s(v) if not k.startswith("n_") else {"N": v} for k, v in attrs.items()}}


def test_a_ledger_entry_counts_its_figure_its_kind_and_the_member_active_once_a_day_and_a_month():
    keys, image = _record("L#2026-11-30T17:00:00.000+00:00#0000000003", kind="check_in",
                          created_at="2026-11-30T17:00:00.000+00:00")
    image["delta"] = {"N": "5"}
    found = facts.of_record("INSERT", keys, image, "2000-01-01")
    assert [(f.ident.split("|")[0], f.day, f.adds, f.scope) for f in found] == [
        ("CUST#c1", "2026-12-01", {"pts_issued": 5, "entries": 1, "pts_issued_check_in": 5}, "both"),
        ("checkin", "2026-12-01", {"checkins": 1}, "day"),
        ("checkin", "2026-12-01", {"checkin_members": 1}, "month"),
        ("active", "2026-12-01", {"active": 1}, "day"),
        ("active", "2026-12-01", {"active": 1}, "month"),
    ]
    assert found[3].ident == "active|2026-12-01|c1" and found[4].ident == "active|2026-12|c1"
    keys, image = _record("L#x", kind="expiry", created_at="2026-12-01T00:10:00+08:00")
    image["delta"] = {"N": "-300"}
    assert [f.adds for f in facts.of_record("INSERT", keys, image, "x")] == [{"pts_expired": 300, "entries": 1}]
    assert facts.of_record("MODIFY", keys, image, "x") == []  # entries are never updated


def test_state_facts_are_named_by_the_item_and_the_state_reached():
    keys, image = _record("H#APPT#a1", status="booked", created_at="2026-12-02T10:00:00+08:00")
    booked = facts.of_record("INSERT", keys, image, "x")
    assert booked[0].adds == {"appt_booked": 1} and booked[1].adds == {"active": 1}
    assert facts.of_record("MODIFY", keys, image, "x") == []  # a moved booking is still one booking
    keys, image = _record("H#APPT#a1", status="checked_in", checked_in_at="2026-12-03T10:00:00+08:00")
    (attended,) = facts.of_record("MODIFY", keys, image, "x")
    assert attended.ident == "CUST#c1|H#APPT#a1|attended" and attended.day == "2026-12-03"
    keys, image = _record("REG#c9", pk="EV#e1", status="registered", customer_id="c9",
                          created_at="2026-12-02T10:00:00+08:00")
    assert facts.of_record("INSERT", keys, image, "x")[0].adds == {"event_registered": 1}
    keys, image = _record("V#v1", status="used", used_at="2026-12-04T10:00:00+08:00",
                          created_at="2026-12-01T10:00:00+08:00")
    assert [(f.adds, f.tiered) for f in facts.of_record("MODIFY", keys, image, "x")] == [
        ({"benefit_used": 1}, ("benefit_used",))]
    keys, image = _record("H#PLUSORDER#o1", status="paid", paid_at="2026-12-05T10:00:00+08:00")
    (paid,) = facts.of_record("MODIFY", keys, image, "x")
    assert isinstance(paid, facts.PlusPaid) and paid.day == "2026-12-05" and paid.customer_id == "c1"
    keys, image = _record("M#PROFILE", merged_into="c2", created_at="2026-12-05T10:00:00+08:00")
    assert facts.of_record("INSERT", keys, image, "x") == []  # an absorbed ID is no new member
    assert facts.of_record("REMOVE", keys, {}, "x") == []


def test_the_pass_sums_split_the_window_from_before_and_after():
    sums: Counter[str] = Counter()
    start, end = "2026-10-31T16:00:00.000+00:00", "2026-11-30T16:00:00.000+00:00"
    for kind, delta, at in (("purchase", 100, "2026-10-10T00:00:00.000+00:00"),
                            ("purchase", 50, "2026-11-10T00:00:00.000+00:00"),
                            ("redemption", -30, "2026-11-20T00:00:00.000+08:00"),
                            ("expiry", -20, "2026-11-30T16:10:00.000+00:00")):
        ledger_pass.add_item(sums, {"sk": _s(f"L#{at}"), "kind": _s(kind), "delta": {"N": str(delta)},
                                    "created_at": _s(at)}, start, end)
    ledger_pass.add_item(sums, {"sk": _s("M#BUCKET#2027-10-31"), "points": {"N": "100"}}, start, end)
    assert dict(sums) == {"ledger_sum": 100, "entries": 4, "upto_net": 120, "w_issued": 50, "upto_redeemed": 30,
                          "w_redeemed": 30, "buckets_sum": 100, "buckets": 1, "exp_2027-10": 100}
    figures = closes.snapshot("2026-11", dict(sums), Decimal("0.5"), Decimal("0.8"))
    assert figures["outstanding_points"] == 120 and figures["deferred_revenue_fen"] == 48
    assert figures["breakage_rate"] == 0.0 and figures["reconciled"] == {
        "ledger_sum": 100, "buckets_sum": 100, "difference": 0}
    assert [e["month"] for e in figures["expiring_by_month"]] == rules.months_after("2026-11", 12)
    assert figures["expiring_by_month"][10] == {"month": "2027-10", "points": 100}


def test_health_rates_and_the_csv_a_spreadsheet_opens():
    month = health.month_view("2026-12", {"members_end": 40, "active": 10, "checkin_members": 4, "pts_issued": 1000,
                                          "pts_redeemed": 250, "benefit_claimed_t_gold": 3, "benefit_used_t_gold": 1,
                                          "benefit_claimed_t_base": 2, "plus_renewed": 3, "plus_lapsed": 1,
                                          "appt_attended": 9, "appt_no_show": 1, "event_registered": 0})
    assert (month["active_member_rate"], month["checkin_rate"], month["redemption_rate"]) == (0.25, 0.1, 0.25)
    assert month["benefit_usage_rate"] == [{"tier": "base", "claimed": 2, "used": 0, "rate": 0.0},
                                           {"tier": "gold", "claimed": 3, "used": 1, "rate": 0.3333}]
    assert (month["plus_renewal_rate"], month["appointment_no_show_rate"], month["event_attendance_rate"],
            month["plus_trial_conversion_rate"]) == (0.75, 0.1, None, None)
    text = csv_out.health_csv({"months": [month]})
    assert text.startswith("\ufeff月份 month,会员数 members,")
    header, row, end = text[1:].split("\r\n")
    assert end == "" and header.endswith("权益使用率 benefit_usage_rate_base,权益使用率 benefit_usage_rate_gold")
    assert row.startswith("2026-12,40,10,0.25,") and row.endswith(",0.0,0.3333") and ",," in row  # None: empty


def test_a_survey_answer_counts_once_by_its_id_and_a_withdrawal_takes_it_back():
    keys, image = _record("H#SURVEY#svy_1", survey_id="svy_1", scale="nps", status="answered",
                          answered_at="2026-11-30T16:30:00.000+00:00")
    image["score"] = {"N": "9"}
    (answered,) = facts.of_record("MODIFY", keys, image, "x")
    assert answered.ident == "survey|svy_1|answered" and answered.day == "2026-12-01" and answered.scope == "month"
    assert answered.adds == {"nps_answers": 1, "nps_promoters": 1, "nps_detractors": 0}
    moved, _ = _record("H#SURVEY#svy_1", pk="CUST#c2")  # a merge moves it: the same answer, the same marker
    assert facts.of_record("INSERT", moved, image, "x") == [answered._replace(customer_id="c2")]
    (withdrawn,) = facts.of_record("MODIFY", keys, {**image, "status": _s("withdrawn")}, "x")
    assert withdrawn.requires == answered.ident and withdrawn.day == answered.day
    assert withdrawn.adds == {"nps_answers": -1, "nps_promoters": -1, "nps_detractors": 0}
    keys, image = _record("H#SURVEY#svy_2", survey_id="svy_2", scale="csat", status="open")
    assert facts.of_record("INSERT", keys, image, "x") == []  # issued, not answered
    assert facts.survey_counts("csat", 4) == {"csat_answers": 1, "csat_satisfied": 1}
    assert facts.survey_counts("csat", 3) == {"csat_answers": 1, "csat_satisfied": 0}
    assert facts.survey_counts("nps", 6)["nps_detractors"] == 1 and facts.survey_counts("nps", 7) == {
        "nps_answers": 1, "nps_promoters": 0, "nps_detractors": 0}


def test_health_csat_and_nps_from_the_month_counters():
    month = health.month_view("2026-12", {"csat_answers": 4, "csat_satisfied": 3, "nps_answers": 3,
                                          "nps_promoters": 2, "nps_detractors": 1})
    assert month["csat"] == {"answers": 4, "satisfied": 3, "rate": 0.75}
    assert month["nps"] == {"answers": 3, "promoters": 2, "detractors": 1, "score": 33.33}
    none = health.month_view("2026-12", {})
    assert none["csat"] == {"answers": 0, "satisfied": 0, "rate": None}
    assert none["nps"] == {"answers": 0, "promoters": 0, "detractors": 0, "score": None}
    header, row, _ = csv_out.health_csv({"months": [month]})[1:].split("\r\n")
    assert "满意率 CSAT csat_rate" in header and "净推荐值 NPS nps_score" in header
    assert ",4,3,0.75,3,2,1,33.33" in row


def test_campaign_uplift_pools_the_months_campaigns_and_subtracts_exactly():
    # two campaigns: 30 of 200 treated converted, 5 of 100 held out: 0.15 - 0.05
    month = health.month_view("2026-12", {"camp_campaigns": 2, "camp_treated": 200, "camp_treated_conv": 30,
                                          "camp_holdout": 100, "camp_holdout_conv": 5})
    assert month["campaign_uplift"] == {"campaigns": 2, "treated": 200, "treated_conversions": 30,
                                        "treated_rate": 0.15, "holdout": 100, "holdout_conversions": 5,
                                        "holdout_rate": 0.05, "uplift": 0.1}
    # 1/3 - 2/3 of rounded rates would be -0.3333 (0.3333 - 0.6667 = -0.3334): the exact difference is -0.3333
    odd = campaign_uplift.month_uplift({"camp_treated": 3, "camp_treated_conv": 1, "camp_holdout": 3,
                                        "camp_holdout_conv": 2})
    assert (odd["treated_rate"], odd["holdout_rate"], odd["uplift"]) == (0.3333, 0.6667, -0.3333)
    no_holdout = campaign_uplift.month_uplift({"camp_campaigns": 1, "camp_treated": 10, "camp_treated_conv": 2})
    assert (no_holdout["treated_rate"], no_holdout["holdout_rate"], no_holdout["uplift"]) == (0.2, None, None)
    header, row, _ = csv_out.health_csv({"months": [month]})[1:].split("\r\n")
    assert header.split(",")[-1] == "活动增益 campaign_uplift_uplift" and row.endswith(",2,200,30,100,5,0.1")


def test_a_campaigns_measurement_ends_window_days_after_its_last_member_was_reached():
    image = {"sk": _s("CAMP"), "campaign_id": _s("cp_1"), "status": _s("done"),
             "ends_at": _s("2026-12-07T09:00:00+08:00"), "done_at": _s("2026-11-23T02:00:00.000+00:00")}
    assert campaign_results.measurement_ends(image) == ("cp_1", "2026-12-21T01:00:00.000+00:00")
    late = {**image, "done_at": _s("2026-12-07T03:00:00.000+00:00")}  # fan-out finished after ends_at
    assert campaign_results.measurement_ends(late) == ("cp_1", "2026-12-21T03:00:00.000+00:00")
    assert rules.day_of("2026-12-21T01:00:00.000+00:00") == "2026-12-21"  # filed under the 21st in Shanghai
    assert campaign_results.measurement_ends({**image, "status": _s("running")}) is None
    assert campaign_results.measurement_ends({**image, "sk": _s("CNT#0")}) is None


def test_the_pass_has_more_parts_as_the_programme_grows(monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(ledger_pass.queue, "send", sent.extend)
    run = ledger_pass.Run("INS#CLOSE#2026-11", "2026-10-31T16:00:00+00:00", "2026-11-30T16:00:00+00:00", "m:f")
    assert [ledger_pass.segments_for(n) for n in (0, 80_000, 85_000, 100_000, 1_000_000, 10**9)] == [
        8, 8, 9, 10, 100, 100]
    assert ledger_pass.start(run, members=250_000) == 25
    assert [m["part"] for m in sent] == list(range(25)) and {m["total"] for m in sent} == {25}
