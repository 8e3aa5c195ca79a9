"""Answering one survey from several devices at once, over HTTP against two gunicorn worker processes on DynamoDB
Local: one answer, one award, at most one callback case; the losers get 409 ``survey_answered`` (another key) or the
first answer replayed (the same key), and nothing else is written. Voiding the service at once: agents marking one
checked-in appointment a no-show together take the survey's points back once; a member answering while an agent
voids ends with the points earned and taken back, or never earned, and the survey withdrawn either way."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

import pytest

from chalicelib.appointments import booking, catalogue, till
from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI, business_day
from tests.support.http import Http
from tests.support.owned.surveys import issue_survey
from tests.support.partition import items_of
from tests.support.races import Auth, agent, app_processes, member
from tests.support.threads import run_all, run_at_once

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    catalogue.reset_cache()
    with app_processes() as server:
        yield server
    catalogue.reset_cache()


def answer(http: Http, auth: dict[str, str], survey_id: str, score: int, key: str) -> tuple[int, Any, dict]:
    return http.call_with_headers("POST", f"/v1/me/surveys/{survey_id}/answers", {"score": score},
                                  {**auth, "idempotency-key": key})


def survey_entries(customer_id: str, kind: str = "survey") -> list[int]:
    return [int(e["delta"]["N"]) for e in items_of(customer_id, "L#") if e["kind"]["S"] == kind]


EVERY_DAY = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]


def attended() -> tuple[str, Auth, str, str]:
    """A member's appointment of tomorrow 10:00 checked in at the till (in-process, this process's clock on tomorrow
    09:00, then back on real time): the member, its header, the appointment and its survey."""
    store_id = catalogue.create_store({"name": "作废店", "city": "上海", "address": "x", "opening_hours": EVERY_DAY},
                                      "test")
    service_id = catalogue.create_service(store_id, {"name": "护理", "duration_minutes": 30, "capacity": 4}, "test")
    cid, auth = member()
    tomorrow = business_day(clock.now()) + timedelta(days=1)
    clock.set_now(datetime.combine(tomorrow, time(9, 0), SHANGHAI))
    try:
        booked = booking.book(cid, store_id, service_id, datetime.combine(tomorrow, time(10, 0), SHANGHAI),
                              uuid.uuid4().hex).body
        till.check_in(booked["appointment_id"])
    finally:
        clock.set_now(None)
    [survey] = [i["survey_id"]["S"] for i in items_of(cid, "H#SURVEY#")]
    return cid, auth, booked["appointment_id"], survey


def no_show(http: Http, auth: Auth, appointment_id: str) -> tuple[int, Any]:
    status, body, _ = http.call_with_headers("POST", f"/v1/agent/appointments/{appointment_id}/no-show",
                                             {"reason": "门店误签到"}, auth)
    return status, body


def test_two_devices_answering_at_once_get_one_answer_and_one_award(http: Http):
    for _round in range(3):
        cid, auth = member()
        survey_id = issue_survey(cid)
        results = run_at_once(answer, [(http, auth, survey_id, score, uuid.uuid4().hex) for score in (1, 2, 1, 2)])
        statuses = Counter(status for status, _body, _h in results)
        assert statuses == Counter({201: 1, 409: 3}), results
        assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"survey_answered"}
        [won] = [b for s, b, _h in results if s == 201]
        assert survey_entries(cid) == [20]
        cases = items_of(cid, "CASE#")
        assert [c["sk"]["S"] for c in cases] == [f"CASE#cb_{survey_id}"]
        assert won["callback_case_id"] == cases[0]["case_id"]["S"]


def test_one_key_tapped_at_once_answers_once_and_replays(http: Http):
    cid, auth = member()
    survey_id = issue_survey(cid, kind="event", groups={"event": "ev_race"})
    key = uuid.uuid4().hex
    results = run_at_once(answer, [(http, auth, survey_id, 9, key) for _ in range(6)])
    assert {s for s, _b, _h in results} == {201}, results
    assert len({b["survey_id"] for _s, b, _h in results}) == 1
    replayed = [h for _s, _b, h in results if {k.lower(): v for k, v in h.items()}.get("idempotent-replayed")]
    assert len(replayed) == 5
    assert survey_entries(cid) == [30]
    assert not items_of(cid, "CASE#")


def test_agents_marking_one_no_show_at_once_take_the_points_back_once(http: Http):
    agents = [agent()[1] for _ in range(4)]
    for _round in range(3):
        cid, auth, appointment_id, survey_id = attended()
        assert answer(http, auth, survey_id, 5, uuid.uuid4().hex)[0] == 201
        results = run_at_once(no_show, [(http, a, appointment_id) for a in agents])
        assert Counter(s for s, _ in results) == {200: 1, 409: 3}, results
        assert {b["error"]["code"] for s, b in results if s == 409} == {"appointment_not_checked_in"}
        assert survey_entries(cid) == [20] and survey_entries(cid, "survey_reversal") == [-20]
        [survey] = items_of(cid, "H#SURVEY#")
        assert survey["status"]["S"] == "withdrawn" and survey["points_reversed"]["N"] == "20"


def test_a_member_answering_while_an_agent_voids_ends_withdrawn_with_no_points_left(http: Http):
    _staff_id, agent_auth = agent()
    outcomes: Counter[int] = Counter()
    for _round in range(4):
        cid, auth, appointment_id, survey_id = attended()
        first, second = run_all([partial(answer, http, auth, survey_id, 4, uuid.uuid4().hex),
                                 partial(no_show, http, agent_auth, appointment_id)])
        (answered, body), voided = first[:2], second[0]
        assert voided == 200
        if answered == 201:  # answered first: earned, then taken back by the void
            assert survey_entries(cid) == [20] and survey_entries(cid, "survey_reversal") == [-20]
        else:  # voided first: the answer is refused and earns nothing
            assert (answered, body["error"]["code"]) == (409, "survey_withdrawn")
            assert survey_entries(cid) == [] and survey_entries(cid, "survey_reversal") == []
        outcomes[answered] += 1
        [survey] = items_of(cid, "H#SURVEY#")
        assert survey["status"]["S"] == "withdrawn"
        [state] = [i for i in items_of(cid, "M#POINTS")]
        assert (state["points_balance"]["N"], state["points_debt"]["N"]) == ("0", "0")
    assert sum(outcomes.values()) == 4
