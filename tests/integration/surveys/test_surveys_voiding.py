"""A service voided afterwards, over the in-process API and DynamoDB Local: an agent marks a checked-in appointment a
no-show, or revokes an event check-in, with a reason; in one transaction the service's survey is withdrawn (the
member can no longer answer it: 409 ``survey_withdrawn``) and, once answered, its points come back through the ledger
(``survey_reversal``; an event's check-in points as ``event_reversal``) by the refund rule (spent points become a
debt, the balance never goes below zero), and it leaves the supervisors' counters. A state that does not allow it is
409, bad input 400 in zh and en, a member 403; nothing changes. Surveys of an absorbed customer move to the survivor.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.contract import assert_envelope, detail_fields
from tests.support.owned.surveys import issue_survey
from tests.support.partition import items_of
from tests.support.survey_world import World

pytestmark = pytest.mark.integration

REASON = "门店误签到，会员当天未到店"


@pytest.fixture
def world(surveys_world: World) -> World:
    return surveys_world


def no_show(world: World, agent: str, appointment_id: str, body: Any = None, expect: int | None = 200,
            english: bool = False) -> tuple[int, Any, dict]:
    return world.call("POST", f"/v1/agent/appointments/{appointment_id}/no-show", agent,
                      {"reason": REASON} if body is None else body, expect=expect,
                      headers={"accept-language": "en"} if english else None)


def revoke(world: World, agent: str, event_id: str, customer_id: str, body: Any = None,
           expect: int | None = 201) -> tuple[int, Any, dict]:
    return world.call("POST", f"/v1/agent/events/{event_id}/registrations/{customer_id}/check-in-revocations",
                      agent, {"reason": "签到码被转发，本人未到场"} if body is None else body, expect=expect)


def summary(world: World, by: str) -> list[dict[str, Any]]:
    return list(world.call("GET", f"/v1/admin/surveys/summary?from=2026-12-01&to=2026-12-31&by={by}",
                           world.admin)[1]["items"])


@pytest.mark.slow
def test_a_no_show_after_check_in_withdraws_the_open_survey(world: World):
    cid, token = world.member()
    appointment_id = world.attended(token)
    [survey] = world.surveys(token)
    agent = world.agent("no-show-agent")
    _s, out, _h = no_show(world, agent, appointment_id)
    assert out == {"appointment_id": appointment_id, "status": "no_show", "no_show_at": out["no_show_at"],
                   "marked_by": world.staff_ids["no-show-agent"], "reason": REASON, "points_reversed": 0}
    assert world.get(f"/v1/me/appointments/{appointment_id}", token)["status"] == "no_show"
    [withdrawn] = world.surveys(token)
    assert withdrawn["status"] == "withdrawn" and withdrawn["points"] == 0 and withdrawn["withdrawn_at"]
    status, body, headers = world.answer(token, survey["survey_id"], {"score": 5}, expect=None, english=True)
    assert_envelope(status, body, headers, "survey_withdrawn", english=True)
    assert world.ledger(token) == []
    [store] = summary(world, "store")
    assert (store["issued"], store["responses"]) == (0, 0)
    status, body, headers = no_show(world, agent, appointment_id, expect=None)  # already a no-show
    assert_envelope(status, body, headers, "appointment_not_checked_in")
    assert len(items_of(cid, "H#SURVEY#")) == 1


@pytest.mark.slow
def test_a_no_show_takes_back_the_answered_surveys_points_and_spent_points_become_a_debt(world: World):
    _cid, token = world.member()
    appointment_id = world.attended(token)
    [survey] = world.surveys(token)
    world.answer(token, survey["survey_id"], {"score": 1, "comment": "服务很差"})
    world.call("POST", "/v1/admin/points/adjustments", world.admin,
               {"customer_id": _cid, "delta": -15, "reason": "测试：已用掉的积分"}, expect=201)
    assert world.balance(token) == 5
    agent = world.agent()
    assert no_show(world, agent, appointment_id)[1]["points_reversed"] == 20
    points = world.get("/v1/me/points", token)
    assert (points["balance"], points["debt"]) == (0, 15)
    reversal = world.ledger(token)[0]
    assert (reversal["kind"], reversal["delta"], reversal["reference"]) == (
        "survey_reversal", -5, f"survey:{survey['survey_id']}")
    assert (reversal["debt_delta"], reversal["debt_after"], reversal["reason"]) == (15, 15, REASON)
    [withdrawn] = world.surveys(token)
    assert withdrawn["status"] == "withdrawn" and withdrawn["answer"]["score"] == 1
    assert (withdrawn["answer"]["points_awarded"], withdrawn["answer"]["points_reversed"]) == (20, 20)
    [store] = summary(world, "store")
    assert (store["issued"], store["responses"], store["csat"]["responses"]) == (0, 0, 0)
    assert store["callbacks"]["opened"] == 1  # the unhappy member is still called back
    status, body, headers = no_show(world, agent, appointment_id, expect=None)
    assert_envelope(status, body, headers, "appointment_not_checked_in")
    assert world.get("/v1/me/points", token)["debt"] == 15  # taken back once


@pytest.mark.slow
def test_revoking_an_event_check_in_takes_back_its_points_and_its_surveys(world: World):
    event = world.event(check_in_points=10)
    cid, token = world.member()
    world.checked_in(token, event)
    [survey] = world.surveys(token)
    world.answer(token, survey["survey_id"], {"score": 9})
    assert world.balance(token) == 40
    agent = world.agent()
    _s, out, _h = revoke(world, agent, event["event_id"], cid)
    assert (out["status"], out["points_reversed"], out["customer_id"]) == ("check_in_revoked", 40, cid)
    assert world.balance(token) == 0
    kinds = [(e["kind"], e["delta"], e["reference"]) for e in world.ledger(token)[:2]]
    assert sorted(kinds) == [("event_reversal", -10, f"event:{event['event_id']}"),
                             ("survey_reversal", -30, f"survey:{survey['survey_id']}")]
    [reg] = world.get("/v1/me/registrations", token)["items"]
    assert reg["status"] == "check_in_revoked" and reg["revoked_at"] == out["revoked_at"]
    assert world.surveys(token)[0]["status"] == "withdrawn"
    status, body, headers = world.call("POST", f"/v1/events/{event['event_id']}/check-in", token,
                                       {"check_in_code": event["check_in_code"]}, expect=None)
    assert_envelope(status, body, headers, "check_in_revoked")
    status, body, headers = revoke(world, agent, event["event_id"], cid, expect=None)
    assert_envelope(status, body, headers, "not_checked_in")
    [group] = summary(world, "event")
    assert (group["issued"], group["responses"], group["nps"]["responses"]) == (0, 0, 0)
    assert world.balance(token) == 0 and len([e for e in world.ledger(token) if "reversal" in e["kind"]]) == 2


@pytest.mark.slow
def test_voids_refuse_bad_input_members_and_unknown_services_changing_nothing(world: World):
    cid, token = world.member()
    appointment_id = world.attended(token)
    event = world.event()
    world.checked_in(token, event)
    agent = world.agent()
    for body, field in (({}, "reason"), ({"reason": "x"}, "reason"), ({"reason": "x" * 201}, "reason"),
                        ({"reason": "bad\x07bell"}, "reason"), ({"reason": 42}, "reason")):
        for english in (False, True):
            status, out, headers = no_show(world, agent, appointment_id, body, expect=None, english=english)
            assert_envelope(status, out, headers, "validation_error", english=english)
            assert detail_fields(out) == [field]
        status, out, headers = revoke(world, agent, event["event_id"], cid, body, expect=None)
        assert_envelope(status, out, headers, "validation_error")
    for caller, code in ((token, "forbidden"), (None, "unauthorized")):
        status, out, headers = no_show(world, caller, appointment_id, expect=None)  # type: ignore[arg-type]
        assert_envelope(status, out, headers, code)
        status, out, headers = revoke(world, caller, event["event_id"], cid, expect=None)  # type: ignore[arg-type]
        assert_envelope(status, out, headers, code)
    for path in ("/v1/agent/appointments/apt_nope/no-show",
                 f"/v1/agent/events/{event['event_id']}/registrations/c_00000000000000000000/check-in-revocations",
                 f"/v1/agent/events/{event['event_id']}/registrations/nope/check-in-revocations",
                 f"/v1/agent/events/ev_nope/registrations/{cid}/check-in-revocations"):
        status, out, headers = world.call("POST", path, agent, {"reason": REASON}, expect=None)
        assert_envelope(status, out, headers, "not_found")
    booked_cid, booked_token = world.member()
    other = world.event()
    world.call("POST", f"/v1/events/{other['event_id']}/registrations", booked_token, expect=201,
               headers={"idempotency-key": "reg-not-checked-in"})
    status, out, headers = revoke(world, agent, other["event_id"], booked_cid, expect=None)
    assert_envelope(status, out, headers, "not_checked_in")
    assert world.get(f"/v1/me/appointments/{appointment_id}", token)["status"] == "checked_in"
    assert {s["status"] for s in world.surveys(token)} == {"open"}
    assert world.get("/v1/me/registrations", token)["items"][0]["status"] == "checked_in"


@pytest.mark.slow
def test_an_absorbed_customers_surveys_move_to_the_survivor(world: World):
    survivor = world.api.app_login("13900002401")
    absorbed = world.api.mp_login("mock:o-survey-merge")
    answered = issue_survey(absorbed["customer_id"], kind="event", groups={"event": "ev_m"}, service_id="ev_m")
    open_one = issue_survey(absorbed["customer_id"], service_id="apt_merged")
    world.answer(absorbed["access_token"], answered, {"score": 10})
    status, bound, _ = world.api.call("POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900002401"},
                                      token=absorbed["access_token"])
    assert status == 200 and bound["merged"] is True, bound
    mine = {s["survey_id"]: s for s in world.surveys(survivor["access_token"])}
    assert set(mine) == {answered, open_one}
    assert mine[answered]["status"] == "answered" and mine[open_one]["status"] == "open"
    assert world.surveys(absorbed["access_token"]) == list(mine.values())  # the old token names the survivor
    assert not items_of(absorbed["customer_id"], "H#SURVEY#") and not items_of(absorbed["customer_id"], "H#SVSVC#")
    assert world.answer(absorbed["access_token"], open_one, {"score": 4})[1]["points_awarded"] == 20
    assert world.balance(survivor["access_token"]) == 50  # 30 moved with the points, 20 earned now
    from chalicelib.core import services
    from chalicelib.surveys import voiding

    part = voiding.void_part(services.Voiding(kind="event", customer_id=absorbed["customer_id"],
                                              service_id="ev_m", at="2026-12-07T01:00:00.000+00:00", by="s_x",
                                              reason="merged"))  # a void naming the absorbed ID finds it moved
    assert part is not None and [r.reference for r in part.reversals] == [f"survey:{answered}"]
