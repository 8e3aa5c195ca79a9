"""Answering one survey from several devices at once, over HTTP against two gunicorn worker processes on DynamoDB
Local: one answer, one award, at most one callback case; the losers get 409 ``survey_answered`` (another key) or the
first answer replayed (the same key), and nothing else is written."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.identity import directory, sessions
from tests.support.http import Http, serve_app_processes
from tests.support.owned.surveys import issue_survey
from tests.support.partition import items_of
from tests.support.phones import new_phone
from tests.support.threads import run_at_once

pytestmark = pytest.mark.integration


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    clock.set_now(None)
    with serve_app_processes(workers=2, timeout=120) as server:
        yield server


def member() -> tuple[str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def answer(http: Http, auth: dict[str, str], survey_id: str, score: int, key: str) -> tuple[int, Any, dict]:
    return http.call_with_headers("POST", f"/v1/me/surveys/{survey_id}/answers", {"score": score},
                                  {**auth, "idempotency-key": key})


def survey_entries(customer_id: str) -> list[int]:
    return [int(e["delta"]["N"]) for e in items_of(customer_id, "L#") if e["kind"]["S"] == "survey"]


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
