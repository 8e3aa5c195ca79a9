"""Community events (issue 11): DynamoDB calls of the event page, registering (a seat, a waiting place, a replay),
cancelling with a promotion, checking in (points and tags), the listing and my registrations
(``EVENT_SCENARIOS``, ``python -m bench --only events``).

Every scenario uses a fresh event in real time (the check-in one starts within the hour), so runs never share
seats. The event page and registering are measured with 30 registrations already made, to show they do not grow
with them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from bench.endpoints import Request, Scenario, Session


def _event(capacity: int = 40, starts_in: timedelta = timedelta(days=2), **extra: Any) -> dict[str, Any]:
    from chalicelib.core import clock
    from chalicelib.events import catalogue

    starts = clock.now() + starts_in
    return catalogue.create({"title": "bench", "venue": "bench road", "starts_at": starts,
                             "ends_at": starts + timedelta(hours=2), "capacity": capacity, **extra}, "bench")


def _fill(s: Session, event_id: str, n: int) -> None:
    from chalicelib.events import registration

    for _ in range(n):
        registration.register(s.member()["customer_id"], event_id, secrets.token_hex(8))


def _setup(s: Session, capacity: int = 40) -> dict[str, Any]:
    created = _event(capacity)
    _fill(s, created["event_id"], 30)
    member = s.member()
    return {"event_id": created["event_id"], "token": member["access_token"], "customer_id": member["customer_id"],
            "key": secrets.token_hex(8)}


def _full_setup(s: Session) -> dict[str, Any]:
    return _setup(s, capacity=20)  # 30 registered: 20 seats, 10 waiting


def _page(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", f"/v1/events/{st['event_id']}", token=st["token"])


def _register(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/events/{st['event_id']}/registrations", token=st["token"],
                   headers={"idempotency-key": st["key"]})


def _replay_setup(s: Session) -> dict[str, Any]:
    st = _setup(s)
    s.ok(_register(s, st), 201)
    return st


def _promote_setup(s: Session) -> dict[str, Any]:
    st = _setup(s, capacity=31)
    s.ok(_register(s, st), 201)  # the last seat
    _fill(s, st["event_id"], 3)  # three waiting
    return st


def _cancel(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/events/{st['event_id']}/registrations/cancel", token=st["token"])


def _check_in_setup(s: Session) -> dict[str, Any]:
    created = _event(starts_in=timedelta(minutes=30), check_in_points=50, participant_tags=["bench"])
    member = s.member()
    st = {"event_id": created["event_id"], "token": member["access_token"], "code": created["check_in_code"],
          "key": secrets.token_hex(8)}
    s.ok(Request("PATCH", "/v1/me", {"consents": {"profiling": True}}, token=st["token"]))
    s.ok(_register(s, st), 201)
    from chalicelib.points import programme

    programme.current()  # the points configuration is cached (5 s): a busy process reads it once per 5 s, not here
    return st


def _check_in(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/events/{st['event_id']}/check-in", {"check_in_code": st["code"]},
                   token=st["token"])


def _mine_setup(s: Session) -> dict[str, Any]:
    member = s.member()
    st = {"token": member["access_token"]}
    for _ in range(3):
        st["event_id"], st["key"] = _event(capacity=40)["event_id"], secrets.token_hex(8)
        s.ok(_register(s, st), 201)
    return st


def _list(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/events", token=st["token"])


def _my_registrations(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me/registrations", token=st["token"])


EVENT_SCENARIOS: list[Scenario] = [
    Scenario("GET /v1/events/{id} (30 registrations)", 1, _page, setup=_setup, area="events",
             note="BatchGetItem: event, seat counter, waitlist state, my registration and invitation, my profile"),
    Scenario("POST /v1/events/{id}/registrations (a seat; 30 registrations)", 2, _register, setup=_setup,
             expect=201, area="events",
             note="Query (the event's partition) + TransactWriteItems (seat, registration, profile check, "
                  "idempotency record, the key's claim, notification)"),
    Scenario("POST /v1/events/{id}/registrations (waitlisted; 30 registrations)", 2, _register, setup=_full_setup,
             expect=201, area="events",
             note="Query (the event's partition) + TransactWriteItems (waitlist counter, seats-full check, waiting "
                  "place, registration, profile check, idempotency record, the key's claim, notification)"),
    Scenario("POST /v1/events/{id}/registrations (replay)", 1, _register, setup=_replay_setup, expect=201,
             area="events", note="answered from the idempotency record found by the event's Query"),
    Scenario("POST /v1/events/{id}/registrations/cancel (promotes the first waiting)", 2, _cancel,
             setup=_promote_setup, area="events",
             note="Query (the event's partition) + TransactWriteItems (both registrations, waiting place, waitlist "
                  "state, two notifications)"),
    Scenario("POST /v1/events/{id}/check-in (points and tags)", 3, _check_in, setup=_check_in_setup, area="events",
             note="BatchGetItem (event page) + Query (member's points) + TransactWriteItems (ledger, bucket, points "
                  "state, profile tags, registration, notification); the points configuration is cached"),
    Scenario("GET /v1/events", 4, _list, setup=_mine_setup, area="events",
             note="GetItem (profile) + Query gsi2 (mine) + Query gsi1 (listing) + BatchGetItem (counters)"),
    Scenario("GET /v1/me/registrations", None, _my_registrations, setup=_mine_setup, area="events",
             note="Query gsi2 (mine); + GetItem and a counting Query per waiting registration"),
]
