"""Races for event seats, waiting places and check-in points over real HTTP against two worker processes (gunicorn,
DynamoDB Local): N members for C seats give exactly C registered and N-C waiting at positions 1..N-C; a storm of
cancellations and registrations ends with the seats taken equal to the registered members, nobody waiting while a
seat is free, and the waitlist in order; racing check-ins with one code award the points once; one key tapped many
times is one registration.

The worker processes keep their own clock: these tests use events in real time."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.events import editing, reading, registration, rules
from chalicelib.identity import directory, sessions
from tests.support.http import Http, serve_app_processes
from tests.support.partition import items_of
from tests.support.phones import new_phone
from tests.support.threads import run_all

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    clock.set_now(None)
    with serve_app_processes(workers=2, timeout=120) as server:
        yield server


def event(cap: int, starts_in: timedelta = timedelta(days=2), points: int = 0) -> dict[str, Any]:
    starts = clock.now() + starts_in
    return editing.create({"title": "抢位活动", "venue": "x", "starts_at": starts,
                             "ends_at": starts + timedelta(hours=2), "capacity": cap, "check_in_points": points},
                            "test")


def member() -> tuple[str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def register(http: Http, auth: dict[str, str], event_id: str, key: str | None = None) -> tuple[int, Any, dict]:
    return http.call_with_headers("POST", f"/v1/events/{event_id}/registrations", None,
                                  {**auth, "idempotency-key": key or uuid.uuid4().hex})


def cancel(http: Http, auth: dict[str, str], event_id: str) -> tuple[int, Any, dict]:
    return http.call_with_headers("POST", f"/v1/events/{event_id}/registrations/cancel", None, auth)


def assert_consistent(event_id: str) -> reading.Snapshot:
    """Seats taken = registered members <= capacity; a waiting place for each waiting member and no other; nobody
    waits while a seat is free; positions 1..N in order."""
    snap = reading.snapshot(event_id)
    assert snap.event is not None
    cap = int(snap.event.capacity)
    waiting_regs = {r.customer_id for r in snap.registrations.values() if r.status == "waitlisted"}
    assert snap.seats.taken == snap.registered_count() <= cap
    assert {w.customer_id for w in snap.waiting} == waiting_regs and len(snap.waiting) == len(waiting_regs)
    assert not snap.waiting or snap.seats.taken == cap, "a seat is free while someone waits"
    assert sorted(rules.positions(snap.waiting_keys()).values()) == list(range(1, len(snap.waiting) + 1))
    assert snap.waitlist is None or int(snap.waitlist.waiting) == len(snap.waiting)
    return snap


def test_n_members_for_c_seats_give_c_registered_and_the_rest_waiting_at_1_to_n_minus_c(http: Http):
    event_id = event(cap=5)["event_id"]
    people = [member() for _ in range(16)]
    results = run_all([(lambda auth=auth: register(http, auth, event_id)) for _cid, auth in people])
    assert {s for s, _b, _h in results} == {201}, [r[:2] for r in results if r[0] != 201]
    statuses = Counter(b["status"] for _s, b, _h in results)
    assert statuses == {"registered": 5, "waitlisted": 11}
    positions = sorted(b["waitlist_position"] for _s, b, _h in results if b["status"] == "waitlisted")
    assert positions == list(range(1, 12))
    snap = assert_consistent(event_id)
    # What each member was answered is where they stand: nobody left, so nothing moved.
    final = rules.positions(snap.waiting_keys())
    for (cid, _auth), (_s, body, _h) in zip(people, results, strict=True):
        reg = snap.registrations[cid]
        assert reg.status == body["status"]
        if reg.status == "waitlisted":
            assert final[reg.wait_sk] == body["waitlist_position"]


def test_a_storm_of_cancellations_and_registrations_keeps_seats_and_the_waitlist_true(http: Http):
    event_id = event(cap=3)["event_id"]
    holders = [member() for _ in range(3)]
    waiting = [member() for _ in range(4)]
    for cid, _auth in holders + waiting:
        registration.register(cid, event_id, uuid.uuid4().hex)
    newcomers = [member() for _ in range(8)]
    calls: list[Callable[[], Any]] = [(lambda auth=auth: cancel(http, auth, event_id)) for _c, auth in holders]
    calls += [(lambda auth=auth: cancel(http, auth, event_id)) for _c, auth in waiting[1:3]]
    calls += [(lambda auth=auth: register(http, auth, event_id)) for _c, auth in newcomers]
    calls += [(lambda auth=auth: cancel(http, auth, event_id)) for _c, auth in holders]  # a cancel tapped twice
    results = run_all(calls)
    assert {s for s, _b, _h in results} <= {200, 201}, [r[:2] for r in results if r[0] not in (200, 201)]
    snap = assert_consistent(event_id)
    # The two waiting members who stayed were ahead of every newcomer: they hold seats now.
    for cid, _auth in (waiting[0], waiting[3]):
        assert snap.registrations[cid].status == "registered"
    assert all(snap.registrations[cid].status == "cancelled" for cid, _a in holders + waiting[1:3])
    assert snap.seats.taken == 3 and len(snap.waiting) == 2 + 8 - 3
    assert snap.registered_count() + len(snap.waiting) == 2 + 8  # every newcomer holds a seat or a place


def test_racing_check_ins_with_one_code_award_the_points_once(http: Http):
    created = event(cap=5, starts_in=timedelta(minutes=30), points=120)
    event_id, code = created["event_id"], created["check_in_code"]
    cid, auth = member()
    registration.register(cid, event_id, uuid.uuid4().hex)
    results = run_all([(lambda: http.call_with_headers("POST", f"/v1/events/{event_id}/check-in",
                                                       {"check_in_code": code}, auth)) for _ in range(12)])
    statuses = Counter(s for s, _b, _h in results)
    assert statuses == {200: 1, 409: 11}, [r[:2] for r in results]
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"already_checked_in"}
    entries = [e for e in items_of(cid, "L#") if e["kind"]["S"] == "event"]
    assert [int(e["delta"]["N"]) for e in entries] == [120]
    assert int(items_of(cid, "M#POINTS")[0]["points_balance"]["N"]) == 120


def test_one_member_tapping_register_with_one_key_registers_once(http: Http):
    event_id = event(cap=1)["event_id"]
    _holder_cid, holder = member()
    register(http, holder, event_id)  # the next one waits: the replay must give the same waiting place
    cid, auth = member()
    key = uuid.uuid4().hex
    results = run_all([(lambda: register(http, auth, event_id, key=key)) for _ in range(12)])
    assert {s for s, _b, _h in results} == {201}, [r[:2] for r in results]
    assert len({json.dumps(b, sort_keys=True) for _s, b, _h in results}) == 1
    replayed = [h.get("Idempotent-Replayed") for _s, _b, h in results]
    assert replayed.count(None) == 1 and replayed.count("true") == 11
    snap = assert_consistent(event_id)
    assert [w.customer_id for w in snap.waiting] == [cid]
    assert results[0][1]["waitlist_position"] == 1
