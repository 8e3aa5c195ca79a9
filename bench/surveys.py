"""Service surveys (issue 24): DynamoDB calls and consumed capacity of answering a survey (a new member and a member
with five years of history), its replay and a detractor's answer, the member's list, the two moves that void a
service (an agent's no-show after check-in, a check-in revoked) and the supervisors' summary (``SURVEY_SCENARIOS``,
``python -m bench --only surveys``).

The five-year member carries what ``bench.history`` gives every five-year member plus 60 answered surveys (one a
month) with their markers: the answer and the list must cost the same calls and about the same capacity.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from bench.endpoints import Request, Scenario, Session


def _issue(cid: str, kind: str = "appointment", service_id: str | None = None, groups: dict[str, str] | None = None,
           at: str | None = None) -> str:
    from chalicelib.core import clock, services
    from chalicelib.core.dynamo.tx import Tx
    from chalicelib.surveys import issuing

    completion = services.Completion(kind=kind, customer_id=cid,  # type: ignore[arg-type]
                                     service_id=service_id or f"svc_{secrets.token_hex(6)}", title="bench",
                                     at=at or clock.iso(), groups=groups or {"store": "st_bench"})
    tx = Tx()
    issuing.issue_in(tx, completion)
    tx.commit()
    return issuing.survey_id_for(kind, completion.service_id, clock.parse(completion.at))


def _survey_history(cid: str, months: int = 60) -> None:
    """``months`` answered surveys, one a month over the past five years (as the answer leaves them)."""
    from chalicelib.core import clock
    from chalicelib.surveys.models import SURVEY_PREFIX, SurveyItem

    now = clock.now()
    for m in range(months):
        at = clock.iso(now - timedelta(days=30 * (m + 1)))
        survey_id = _issue(cid, at=at)
        SurveyItem(pk=f"CUST#{cid}", sk=f"{SURVEY_PREFIX}{survey_id}").update(actions=[
            SurveyItem.status.set("answered"), SurveyItem.score.set(5), SurveyItem.answered_at.set(at),
            SurveyItem.points_awarded.set(20), SurveyItem.comment.set("历史评价：服务很好，环境整洁")])


def _member(s: Session, history: bool) -> dict[str, Any]:
    member = s.member()
    cid = member["customer_id"]
    if history:
        from bench.history import _aged

        _aged(cid)
        _survey_history(cid)
    survey_id = _issue(cid)
    _warm()
    return {"customer_id": cid, "token": member["access_token"], "survey_id": survey_id, "key": secrets.token_hex(8)}


def _warm() -> None:
    """The points programme and the survey settings read as a busy Lambda holds them (cached 5 s: a slow setup lets
    them go cold, which adds a Query to the counted request)."""
    from chalicelib.points import programme
    from chalicelib.surveys import points_settings

    programme.current()
    points_settings.points_for("appointment")


def _new(s: Session) -> dict[str, Any]:
    return _member(s, False)


def _old(s: Session) -> dict[str, Any]:
    return _member(s, True)


def _answer(score: int) -> Any:
    def request(s: Session, st: dict[str, Any]) -> Request:
        return Request("POST", f"/v1/me/surveys/{st['survey_id']}/answers", {"score": score, "comment": "不错"},
                       token=st["token"], headers={"idempotency-key": st["key"]})

    return request


def _replay_setup(s: Session) -> dict[str, Any]:
    st = _new(s)
    s.ok(_answer(5)(s, st), 201)
    _warm()
    return st


def _list(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me/surveys?limit=20", token=st["token"])


def _staff(role: str) -> tuple[str, str]:
    from chalicelib.core.http.principal import Principal
    from chalicelib.identity import sessions, staff

    name = f"bench-{role}-{secrets.token_hex(3)}"
    staff_id = staff.create_staff(name, f"bench-{role}-pass", role, rounds=4)
    return staff_id, str(sessions.issue(Principal(subject=name, role=role, staff_id=staff_id))["access_token"])


def _survey_of(cid: str, kind: str, service_id: str) -> str:
    from chalicelib.surveys import issuing
    from chalicelib.surveys.models import ServiceMarkerItem

    return str(ServiceMarkerItem.get(f"CUST#{cid}", issuing.marker_sk(kind, service_id)).survey_id)


def _no_show_setup(s: Session) -> dict[str, Any]:
    """An appointment of tomorrow checked in (this process's clock on tomorrow 09:00 meanwhile), its survey answered."""
    from bench.appointments import _service, _tomorrow_at
    from chalicelib.appointments import booking, till
    from chalicelib.core import clock
    from chalicelib.surveys import answers

    store_id, service_id = _service()
    cid = s.member()["customer_id"]
    opening, slot = _tomorrow_at(9), _tomorrow_at(10)
    clock.set_now(opening)
    try:
        appointment_id = booking.book(cid, store_id, service_id, slot, secrets.token_hex(8)).body["appointment_id"]
        till.check_in(appointment_id)
    finally:
        clock.set_now(None)
    answers.answer(cid, _survey_of(cid, "appointment", appointment_id), 5, None, None, secrets.token_hex(8))
    token = _staff("agent")[1]
    _warm()
    return {"appointment_id": appointment_id, "token": token}


def _no_show(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/agent/appointments/{st['appointment_id']}/no-show", {"reason": "门店误签到"},
                   token=st["token"])


def _revoke_setup(s: Session) -> dict[str, Any]:
    """A member checked in at an event starting within the hour (50 check-in points), its survey answered."""
    from bench.events import _event
    from chalicelib.events import checkin, registration
    from chalicelib.surveys import answers

    created = _event(starts_in=timedelta(minutes=30), check_in_points=50)
    cid = s.member()["customer_id"]
    registration.register(cid, created["event_id"], secrets.token_hex(8))
    checkin.check_in(cid, created["event_id"], created["check_in_code"])
    answers.answer(cid, _survey_of(cid, "event", created["event_id"]), 9, None, None, secrets.token_hex(8))
    token = _staff("agent")[1]
    _warm()
    return {"event_id": created["event_id"], "customer_id": cid, "token": token}


def _revoke(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/agent/events/{st['event_id']}/registrations/{st['customer_id']}/"
                           "check-in-revocations", {"reason": "签到码被转发"}, token=st["token"])


def _summary_setup(s: Session) -> dict[str, Any]:
    for n in range(30):
        _issue(s.member()["customer_id"], groups={"store": f"st_bench_{n % 5}"})
    return {"token": _staff("admin")[1]}


def _summary(s: Session, st: dict[str, Any]) -> Request:
    from chalicelib.core import clock
    from chalicelib.core.calendar import business_day

    today = business_day(clock.now())
    return Request("GET", f"/v1/admin/surveys/summary?from={today - timedelta(days=30)}&to={today}&by=store",
                   token=st["token"])


ANSWER_NOTE = ("GetItem (idempotency record) + GetItem (the survey) + Query (member: points state) + "
               "TransactWriteItems (ledger, buckets, points state, survey, counters, idempotency record)")
SURVEY_SCENARIOS: list[Scenario] = [
    Scenario("POST /v1/me/surveys/{id}/answers [new]", 4, _answer(5), setup=_new, expect=201, area="surveys",
             note=ANSWER_NOTE),
    Scenario("POST /v1/me/surveys/{id}/answers [5y]", 4, _answer(5), setup=_old, expect=201, area="surveys",
             note="member with 5 years of history and 60 answered surveys: " + ANSWER_NOTE),
    Scenario("POST /v1/me/surveys/{id}/answers (detractor: callback case)", 4, _answer(1), setup=_new, expect=201,
             area="surveys", note="as an answer; the callback case and its queue row join the transaction"),
    Scenario("POST /v1/me/surveys/{id}/answers (replay)", 1, _answer(5), setup=_replay_setup, expect=201,
             area="surveys", note="answered from the idempotency record's GetItem"),
    Scenario("GET /v1/me/surveys [new]", 1, _list, setup=_new, area="surveys", note="one Query of H#SURVEY#"),
    Scenario("GET /v1/me/surveys [5y]", 1, _list, setup=_old, area="surveys",
             note="one Query of H#SURVEY# (Limit 21 of 62 surveys)"),
    Scenario("POST /v1/agent/appointments/{id}/no-show (answered survey)", 7, _no_show, setup=_no_show_setup,
             area="surveys", note="Query gsi2 + GetItem (the appointment) + GetItem x2 (the marker, the survey) + "
                                  "GetItem (booking state) + Query (member) + TransactWriteItems"),
    Scenario("POST /v1/agent/events/{id}/registrations/{cid}/check-in-revocations (answered survey)", 5, _revoke,
             setup=_revoke_setup, expect=201, area="surveys",
             note="GetItem (registration) + GetItem x2 (the marker, the survey) + Query (member) + "
                  "TransactWriteItems"),
    Scenario("GET /v1/admin/surveys/summary (30 days, by store)", 2, _summary, setup=_summary_setup, area="surveys",
             note="one Query of the store counters between the two days"),
]
