"""Community events (issue 11): DynamoDB calls of the event page, registering (a seat, a waiting place, a replay),
cancelling with a promotion, checking in (points and tags), the listing, my registrations and invitations, an
operator's change (``EVENT_SCENARIOS``, ``python -m bench --only events``).

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
    from chalicelib.events import editing

    starts = clock.now() + starts_in
    return editing.create({"title": "bench", "venue": "bench road", "starts_at": starts,
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


def _waiting_setup(s: Session) -> dict[str, Any]:
    """A member registered for one event and waiting for three (each full: one seat, taken)."""
    st = _mine_setup(s)
    for _ in range(3):
        st["event_id"], st["key"] = _event(capacity=1)["event_id"], secrets.token_hex(8)
        _fill(s, st["event_id"], 1)
        s.ok(_register(s, st), 201)
    return st


def _invited_setup(s: Session, invitations: int = 3) -> dict[str, Any]:
    """A member-hosted event and ``invitations`` invited members; the last one's token."""
    from chalicelib.core import clock
    from chalicelib.events import editing
    from chalicelib.identity import directory

    host = s.member()["customer_id"]
    starts = clock.now() + timedelta(days=3)
    event, _code = editing.new_event({"title": "bench", "venue": "bench road", "starts_at": starts,
                                        "ends_at": starts + timedelta(hours=2), "capacity": 8, "invite_only": True},
                                       f"member:{host}", "approved", host)
    guests = [s.member() for _ in range(invitations)]
    numbers = []
    for guest in guests:
        customer = directory.load_customer(guest["customer_id"])
        assert customer is not None and customer.member_no
        numbers.append(customer.member_no)
    editing.invite(host, event.event_id, numbers)
    return {"event_id": event.event_id, "token": guests[-1]["access_token"], "starts": starts}


def _my_invitations(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me/invitations", token=st["token"])


def _change_setup(s: Session) -> dict[str, Any]:
    return _invited_setup(s, invitations=10)


def _change(s: Session, st: dict[str, Any]) -> Any:
    from chalicelib.events import editing

    st["starts"] += timedelta(hours=1)  # a new time each counted run
    return editing.change(st["event_id"], {"starts_at": st["starts"], "ends_at": st["starts"] + timedelta(hours=2)},
                            "bench")


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
    Scenario("GET /v1/me/registrations (3 registered)", 2, _my_registrations, setup=_mine_setup, area="events",
             note="GetItem (profile: merges) + Query gsi2 (mine, one page)"),
    Scenario("GET /v1/me/registrations (1 registered, 3 waiting)", None, _my_registrations, setup=_waiting_setup,
             area="events", note="GetItem (profile) + Query gsi2 (mine) + one BatchGetItem (the waiting "
                                 "registrations, strongly consistent) + a counting Query per place still waiting"),
    Scenario("GET /v1/me/invitations", 2, _my_invitations, setup=_invited_setup, area="events",
             note="GetItem (profile) + Query gsi2 (mine, one page; my registrations of the same events in it)"),
    Scenario("PATCH /v1/admin/events/{id} (10 invitations, nobody registered)", None, setup=_change_setup,
             direct=_change, area="events",
             note="GetItem (event) + TransactWriteItems (event) + Query (event's partition) + an UpdateItem per "
                  "invitation (title, times, gsi2 order) + Query (the answer); + a transaction per member told"),
]
