"""Service surveys over the in-process API and DynamoDB Local: an attended appointment, an event check-in and a
resolved follow-up case each issue one survey (also when the completion is replayed), told through the member's
notifications; an answer earns the operator's points once (ledger kind ``survey``), a second answer is 409, an
expired one 410, another member's 404, bad input 400 in zh and en changing nothing; an unhappy answer puts a
callback case in the agents' queue, whose resolution issues no survey; the summary equals a brute-force count."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from tests.support.clock import at
from tests.support.contract import assert_envelope, detail_fields
from tests.support.owned.surveys import issue_survey
from tests.support.partition import items_of
from tests.support.points_world import DynamoCalls
from tests.support.survey_world import MONDAY, World

pytestmark = pytest.mark.integration


@pytest.fixture
def world(surveys_world: World) -> World:
    return surveys_world


@pytest.mark.slow
def test_an_attended_appointment_issues_one_survey_answered_once_for_points(world: World):
    cid, token = world.member()
    appointment_id = world.attended(token)
    [survey] = world.surveys(token)
    assert survey["kind"] == "appointment" and survey["scale"] == "csat" and survey["status"] == "open"
    assert survey["subject"] == {"type": "appointment", "id": appointment_id, "title": "肌肤检测 · 徐家汇店"}
    assert survey["points"] == 20 and [q["id"] for q in survey["questions"]] == ["score", "comment"]
    assert survey["expires_at"].startswith("2026-12-21")  # SURVEY_VALID_DAYS = 14
    assert "service_survey" in [n["kind"] for n in world.get("/v1/me/notifications", token)["items"]]
    key = uuid.uuid4().hex
    with DynamoCalls().counting() as calls:
        _s, out, headers = world.answer(token, survey["survey_id"], {"score": 5, "comment": "很好"}, key=key)
    # the idempotency record and the survey, the member's bounded read (and the points programme when its 5 s cache
    # is cold), one transaction
    assert (calls.ops["GetItem"], calls.ops["TransactWriteItems"], calls.total) in ((2, 1, 4), (2, 1, 5)), calls.log
    assert out == {"survey_id": survey["survey_id"], "points_awarded": 20, "callback_case_id": None}
    _s, again, headers = world.answer(token, survey["survey_id"], {"score": 5, "comment": "很好"}, key=key)
    assert again == out and headers.get("Idempotent-Replayed") == "true"
    status, body, headers = world.answer(token, survey["survey_id"], {"score": 4}, expect=None)
    assert_envelope(status, body, headers, "survey_answered")
    assert world.balance(token) == 20
    assert [(e["kind"], e["delta"]) for e in world.ledger(token)] == [("survey", 20)]
    [answered] = world.surveys(token)
    assert answered["status"] == "answered" and answered["answer"]["score"] == 5
    assert len(items_of(cid, "H#SURVEY#")) == 1 and not items_of(cid, "M#SURVEY")


@pytest.mark.slow
def test_bad_answers_are_400_in_zh_and_en_and_change_nothing(world: World):
    cid, token = world.member()
    survey_id = issue_survey(cid, kind="event", groups={"event": "ev_x"})
    for body, field in (({"score": 11}, "score"), ({"score": -1}, "score"),
                        ({"score": 9, "comment": "x" * 501}, "comment"),
                        ({"score": 9, "comment": "bad\x07bell"}, "comment"),
                        ({"score": 9, "solved_first_contact": True}, "solved_first_contact")):
        for english in (False, True):
            status, out, headers = world.answer(token, survey_id, body, expect=None, english=english)
            assert_envelope(status, out, headers, "validation_error", english=english)
            assert detail_fields(out) == [field]
    status, out, headers = world.answer(token, survey_id, {"score": "nine"}, expect=None)
    assert_envelope(status, out, headers, "validation_error")
    status, out, headers = world.call("POST", f"/v1/me/surveys/{survey_id}/answers", token, {"score": 9},
                                      expect=None)
    assert_envelope(status, out, headers, "idempotency_key_required")
    assert world.surveys(token)[0]["status"] == "open"
    assert world.balance(token) == 0 and not items_of(cid, "CASE#")
    status, out, headers = world.answer(token, "svy_nope", {"score": 9}, expect=None)
    assert_envelope(status, out, headers, "not_found")


@pytest.mark.slow
def test_another_members_survey_is_404_and_an_expired_one_410(world: World):
    owner, _owner_token = world.member()
    _other, other_token = world.member()
    survey_id = issue_survey(owner)
    status, out, headers = world.answer(other_token, survey_id, {"score": 5}, expect=None)
    assert_envelope(status, out, headers, "not_found")
    mine = issue_survey(_other)
    clock.set_now(MONDAY + timedelta(days=14, minutes=1))
    status, out, headers = world.answer(other_token, mine, {"score": 5}, expect=None, english=True)
    assert_envelope(status, out, headers, "survey_expired", english=True)
    assert [s["status"] for s in world.surveys(other_token)] == ["expired"]
    assert world.balance(other_token) == 0


@pytest.mark.slow
def test_an_event_check_in_issues_an_nps_survey_and_a_detractor_is_called_back(world: World):
    starts = at(2026, 12, 7, 9, 30)
    created = world.call("POST", "/v1/admin/events", world.admin, {
        "title": "会员茶话会", "venue": "徐家汇店", "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=3)).isoformat(), "capacity": 5, "check_in_points": 10}, expect=201)[1]
    cid, token = world.member()
    world.call("POST", f"/v1/events/{created['event_id']}/registrations", token, expect=201,
               headers={"idempotency-key": uuid.uuid4().hex})
    for expect in (200, 409):  # checking in again is already_checked_in, and asks nothing more
        world.call("POST", f"/v1/events/{created['event_id']}/check-in", token,
                   {"check_in_code": created["check_in_code"]}, expect=expect)
    [survey] = world.surveys(token)
    assert (survey["kind"], survey["scale"], survey["points"]) == ("event", "nps", 30)
    assert survey["subject"] == {"type": "event", "id": created["event_id"], "title": "会员茶话会"}
    out = world.answer(token, survey["survey_id"], {"score": 3, "comment": "排队太久"})[1]
    assert out["points_awarded"] == 30 and out["callback_case_id"] == f"fu.{cid}.cb_{survey['survey_id']}"
    agent = world.agent("callback-agent")
    [row] = [r for r in world.queue(agent) if r["kind"] == "callback"]
    assert row["case_id"] == out["callback_case_id"] and row["subject"]["score"] == 3
    assert row["respond_by"] == clock.iso(clock.now() + timedelta(minutes=15))
    assert row["close_by"] == clock.iso(clock.now() + timedelta(hours=24))
    case = world.case(row["case_id"], agent)
    assert case["record"]["comment"] == "排队太久" and case["record"]["service"]["id"] == created["event_id"]
    assert world.act(row["case_id"], "claim", agent)[0] == 200
    status, resolved = world.act(row["case_id"], "resolve", agent, {"resolution": "completed_manually",
                                                                     "note": "called back"})
    assert status == 200 and resolved["status"] == "resolved"
    assert len(world.surveys(token)) == 1  # the callback's resolution asks for no survey
    summary = world.call("GET", "/v1/admin/surveys/summary?from=2026-12-07&to=2026-12-07&by=event", world.admin)[1]
    [group] = summary["items"]
    assert group["group"] == created["event_id"]
    assert (group["issued"], group["responses"], group["nps"]["score"]) == (1, 1, -100.0)
    assert group["callbacks"] == {"opened": 1, "closed": 1, "closed_in_sla": 1}


@pytest.mark.slow
def test_a_resolved_case_issues_a_csat_survey_with_first_contact(world: World):
    _cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward(points_cost=300)
    case_id, _accepted = world.open_case(token, reward_id)
    agent = world.agent("resolver")
    assert world.act(case_id, "claim", agent)[0] == 200
    assert world.act(case_id, "resolve", agent, {"resolution": "completed_manually"})[0] == 200
    [survey] = world.surveys(token)
    assert survey["kind"] == "case" and survey["subject"]["id"] == case_id
    assert [q["id"] for q in survey["questions"]] == ["score", "solved_first_contact", "comment"]
    world.answer(token, survey["survey_id"], {"score": 4, "solved_first_contact": False})
    summary = world.call("GET", "/v1/admin/surveys/summary?from=2026-12-01&to=2026-12-31&by=agent", world.admin)[1]
    [group] = summary["items"]
    assert group["group"] == world.staff_ids["resolver"]
    assert group["first_contact_resolution_rate"] == 0.0 and group["csat"]["average"] == 4.0


def test_operators_set_the_points_per_kind_and_zero_writes_no_ledger_entry(world: World):
    out = world.call("PUT", "/v1/admin/surveys/settings", world.admin, {"points": {"appointment": 0, "event": 50}})[1]
    assert out == {"points": {"case": 20, "appointment": 0, "event": 50}}
    assert world.call("GET", "/v1/admin/surveys/settings", world.admin)[1] == out
    status, body, headers = world.call("PUT", "/v1/admin/surveys/settings", world.admin, {"points": {"case": -1}},
                                       expect=None)
    assert_envelope(status, body, headers, "validation_error")
    cid, token = world.member()
    survey_id = issue_survey(cid)
    assert world.answer(token, survey_id, {"score": 5})[1]["points_awarded"] == 0
    assert world.ledger(token) == []


@pytest.mark.slow
def test_the_summary_equals_a_brute_force_count_over_the_answers(world: World):
    rng = random.Random(24)
    stores, agents = ["st_a", "st_b", "st_c"], ["s_one", "s_two"]
    answers: list[dict[str, Any]] = []
    days = [at(2026, 12, 5, 12, 0), at(2026, 12, 7, 12, 0), at(2027, 1, 2, 12, 0)]
    for n in range(24):
        moment = days[n % 3]
        clock.set_now(moment)
        kind = "appointment" if n % 2 else "case"
        groups = {"store": rng.choice(stores)} if kind == "appointment" else {"agent": rng.choice(agents)}
        cid, token = world.member()
        survey_id = issue_survey(cid, kind=kind, groups=groups)
        if n % 5 == 4:
            answers.append({"groups": groups, "day": moment.date().isoformat(), "answered": False})
            continue  # issued, never answered
        body: dict[str, Any] = {"score": rng.randint(1, 5)}
        if kind == "case":
            body["solved_first_contact"] = rng.random() < 0.5
        world.answer(token, survey_id, body)
        answers.append({"groups": groups, "day": moment.date().isoformat(), "answered": True, **body})

    def brute(by: str, since: str, until: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
        for a in answers:
            if not since <= a["day"] <= until:
                continue
            group = a["day"][:7] if by == "month" else a["groups"].get(by)
            if group is None:
                continue
            g = out[group]
            g["issued"] += 1
            if a["answered"]:
                g["responses"] += 1
                g["sum"] += a["score"]
                g["satisfied"] += a["score"] >= 4
                g["callbacks"] += a["score"] <= 2
                if "solved_first_contact" in a:
                    g["fcr_n"] += 1
                    g["fcr_yes"] += a["solved_first_contact"]
        return out

    for by, since, until in (("store", "2026-12-01", "2027-01-31"), ("agent", "2026-12-06", "2027-01-31"),
                             ("month", "2026-12-01", "2027-01-31"), ("store", "2026-12-07", "2026-12-07")):
        with DynamoCalls().counting() as calls:
            summary = world.call("GET", f"/v1/admin/surveys/summary?from={since}&to={until}&by={by}", world.admin)[1]
        assert calls.total <= 2
        expected = brute(by, since, until)
        assert {g["group"] for g in summary["items"]} == set(expected)
        for g in summary["items"]:
            e = expected[g["group"]]
            assert (g["issued"], g["responses"]) == (e["issued"], e["responses"])
            assert g["response_rate"] == round(e["responses"] / e["issued"], 4)
            assert g["csat"]["responses"] == e["responses"]
            assert g["csat"]["average"] == (round(e["sum"] / e["responses"], 4) if e["responses"] else None)
            assert g["csat"]["satisfied_rate"] == (round(e["satisfied"] / e["responses"], 4) if e["responses"]
                                                   else None)
            assert g["callbacks"]["opened"] == e["callbacks"]
            assert g["first_contact_resolution_rate"] == (round(e["fcr_yes"] / e["fcr_n"], 4) if e["fcr_n"]
                                                          else None)


def test_summary_queries_are_validated(world: World):
    for query, field in (("from=2026-12-09&to=2026-12-01&by=store", "to"), ("from=2026-12-01&to=2026-12-09&by=x", "by"),
                         ("from=2026-13-01&to=2026-12-09&by=store", "from"),
                         ("from=2025-01-01&to=2026-12-09&by=store", "to")):
        status, out, headers = world.call("GET", f"/v1/admin/surveys/summary?{query}", world.admin, expect=None)
        assert_envelope(status, out, headers, "validation_error")
        assert detail_fields(out) == [field], out
