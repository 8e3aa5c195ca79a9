"""Community events over the in-process API and DynamoDB Local, as members, hosts and operators see them: circles
(tiers, tags, invitations), registration with an exact waitlist, cancelling and the waitlist moving by itself,
registration closing, check-in (window, code, points once, tags with the consent), member-hosted events and their
review, reminders, merges, the 360 view; every error in the envelope, zh and en; the DynamoDB calls of each."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.errors import CATALOGUE
from chalicelib.events import jobs, reading
from chalicelib.events.models import EVENT_SK, EventItem, event_pk
from chalicelib.identity import directory, merges, sessions
from tests.support.clock import at
from tests.support.contract import assert_envelope
from tests.support.partition import items_of
from tests.support.points_world import DynamoCalls, PointsWorld

pytestmark = pytest.mark.integration

NOW = at(2026, 12, 7, 9, 0)  # Monday morning, Shanghai
START = at(2026, 12, 10, 14, 0)


class World(PointsWorld):
    def admin_call(self, method: str, path: str, body: Any = None, expect: int | None = 200) -> Any:
        status, out, _ = self.api.call(method, path, body, token=self.admin)
        if expect is not None:
            assert status == expect, (status, out)
        return out

    def event(self, start: datetime = START, hours: int = 3, **extra: Any) -> dict[str, Any]:
        body = {"title": "会员茶话会", "venue": "徐家汇店", "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=hours)).isoformat(), "capacity": 2, **extra}
        return dict(self.admin_call("POST", "/v1/admin/events", body, expect=201))

    def call(self, method: str, path: str, token: str, body: Any = None, expect: int | None = 200,
             english: bool = False, headers: dict[str, str] | None = None) -> tuple[int, Any, dict]:
        status, out, out_headers = self.api.call(
            method, path, body, token=token,
            headers={**({"accept-language": "en"} if english else {}), **(headers or {})})
        if expect is not None:
            assert status == expect, (status, out)
        return status, out, out_headers

    def register(self, token: str, event_id: str, key: str | None = None, expect: int | None = 201,
                 english: bool = False) -> tuple[int, Any, dict]:
        return self.call("POST", f"/v1/events/{event_id}/registrations", token, expect=expect, english=english,
                         headers={"idempotency-key": key or uuid.uuid4().hex})

    def cancel(self, token: str, event_id: str, expect: int | None = 200) -> Any:
        return self.call("POST", f"/v1/events/{event_id}/registrations/cancel", token, expect=expect)[1]

    def page(self, token: str, event_id: str, expect: int | None = 200) -> Any:
        return self.call("GET", f"/v1/events/{event_id}", token, expect=expect)[1]

    def on_tier(self, customer_id: str, tier: str) -> None:
        self.admin_call("PUT", f"/v1/admin/members/{customer_id}/tier-floor", {"tier_code": tier})

    def member_no(self, customer_id: str) -> str:
        customer = directory.load_customer(customer_id)
        assert customer is not None and customer.member_no
        return customer.member_no

    def notices(self, customer_id: str) -> list[str]:
        return [n["kind"]["S"] for n in items_of(customer_id, "N#")]


@pytest.fixture
def world(api) -> World:
    clock.set_now(NOW)
    return World.make(api)  # type: ignore[return-value]


def ledger_event_entries(customer_id: str) -> list[dict[str, Any]]:
    return [e for e in items_of(customer_id, "L#") if e["kind"]["S"] == "event"]


# --- circles ----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_members_see_only_the_events_of_their_circle(world):
    everyone = world.event(title="全员活动")["event_id"]
    gold_only = world.event(tiers=["gold", "platinum"])["event_id"]
    tagged = world.event(tags=["parent"])["event_id"]
    closed_circle = world.event(invite_only=True)["event_id"]
    _base_id, base = world.member()
    gold_id, gold = world.member()
    world.on_tier(gold_id, "gold")
    listed = {e["event_id"] for e in world.call("GET", "/v1/events", base)[1]["items"]}
    assert everyone in listed and not listed & {gold_only, tagged, closed_circle}
    listed_gold = {e["event_id"] for e in world.call("GET", "/v1/events", gold)[1]["items"]}
    assert {everyone, gold_only} <= listed_gold and not listed_gold & {tagged, closed_circle}
    for hidden in (gold_only, tagged, closed_circle):
        status, body, headers = world.call("GET", f"/v1/events/{hidden}", base, expect=None)
        assert_envelope(status, body, headers, "not_found")
        status, body, headers = world.register(base, hidden, expect=None)
        assert_envelope(status, body, headers, "not_found")
    page = world.page(gold, gold_only)
    assert (page["capacity"], page["remaining"], page["waitlist_length"], page["my_status"]) == (2, 2, 0, None)
    assert page["description"] is None and page["title"] == "会员茶话会"


@pytest.mark.slow
def test_an_invitation_opens_an_invite_only_event(world):
    host_id, host = world.member()
    world.on_tier(host_id, "gold")
    _status, proposed, _ = world.call("POST", "/v1/events", host, {
        "title": "亲子烘焙", "venue": "静安店", "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=2)).isoformat(), "capacity": 3}, expect=201)
    event_id = proposed["event_id"]
    assert proposed["status"] == "pending_approval"
    guest_id, guest = world.member()
    world.page(guest, event_id, expect=404)
    assert world.page(host, event_id)["status"] == "pending_approval"  # the host sees their own proposal
    assert event_id not in {e["event_id"] for e in world.call("GET", "/v1/events", host)[1]["items"]}
    listed = world.admin_call("GET", "/v1/admin/events?status=pending_approval")["items"]
    assert event_id in {e["event_id"] for e in listed}
    world.admin_call("POST", f"/v1/admin/events/{event_id}/approve", {})
    assert "event_approved" in world.notices(host_id)
    _s, out, _ = world.call("POST", f"/v1/events/{event_id}/invitations", host,
                            {"member_nos": [world.member_no(guest_id), "99999999999"]}, expect=201)
    assert (out["invited"], out["unknown"]) == ([world.member_no(guest_id)], ["99999999999"])
    assert "event_invited" in world.notices(guest_id)
    invitations = world.call("GET", "/v1/me/invitations", guest)[1]["items"]
    assert [(i["event_id"], i["my_status"]) for i in invitations] == [(event_id, None)]
    assert world.page(guest, event_id)["invited"] is True
    assert world.register(guest, event_id)[1]["status"] == "registered"
    assert world.call("GET", "/v1/me/invitations", guest)[1]["items"][0]["my_status"] == "registered"
    attendees = world.call("GET", f"/v1/events/{event_id}/registrations", host)[1]
    assert [(a["member_no"], a["status"]) for a in attendees["items"]] == [(world.member_no(guest_id), "registered")]
    # Another member sees none of it: not the event, not the guest's invitations or registrations.
    _other_id, other = world.member()
    world.page(other, event_id, expect=404)
    world.call("GET", f"/v1/events/{event_id}/registrations", other, expect=404)
    assert world.call("GET", "/v1/me/invitations", other)[1]["items"] == []
    assert world.call("GET", "/v1/me/registrations", other)[1]["items"] == []


def test_hosting_needs_the_tier_and_a_rejected_event_stays_invisible(world):
    _base_id, base = world.member()
    body = {"title": "读书会", "venue": "x", "starts_at": START.isoformat(),
            "ends_at": (START + timedelta(hours=2)).isoformat(), "capacity": 5}
    for english in (False, True):
        status, out, headers = world.call("POST", "/v1/events", base, body, expect=None, english=english)
        assert_envelope(status, out, headers, "tier_not_eligible", english=english)
    host_id, host = world.member()
    world.on_tier(host_id, "platinum")
    event_id = world.call("POST", "/v1/events", host, body, expect=201)[1]["event_id"]
    status, out, headers = world.api.call("POST", f"/v1/admin/events/{event_id}/reject", {}, token=world.admin)
    assert_envelope(status, out, headers, "validation_error")
    world.admin_call("POST", f"/v1/admin/events/{event_id}/reject", {"reason": "含商业推广"})
    assert "event_rejected" in world.notices(host_id)
    status, out, headers = world.api.call("POST", f"/v1/admin/events/{event_id}/approve", {}, token=world.admin)
    assert_envelope(status, out, headers, "event_not_pending")
    assert world.register(host, event_id, expect=409)[1]["error"]["code"] == "registration_closed"


# --- the waitlist ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_full_event_waitlists_with_exact_positions_and_a_cancel_promotes_the_first(world):
    event_id = world.event()["event_id"]
    people = [world.member() for _ in range(5)]
    answers = [world.register(token, event_id)[1] for _cid, token in people]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("registered", None), ("registered", None), ("waitlisted", 1), ("waitlisted", 2), ("waitlisted", 3)]
    page = world.page(people[0][1], event_id)
    assert (page["remaining"], page["waitlist_length"], page["my_status"]) == (0, 3, "registered")
    # The second waiting member leaves: the third moves up, no gap.
    world.cancel(people[3][1], event_id)
    mine = world.call("GET", "/v1/me/registrations", people[4][1])[1]["items"]
    assert [(r["status"], r["waitlist_position"]) for r in mine] == [("waitlisted", 2)]
    # A registered member cancels: the first waiting is registered in the same transaction and told.
    world.cancel(people[0][1], event_id)
    assert world.page(people[2][1], event_id)["my_status"] == "registered"
    assert "event_promoted" in world.notices(people[2][0])
    assert world.call("GET", "/v1/me/registrations", people[4][1])[1]["items"][0]["waitlist_position"] == 1
    snap = reading.snapshot(event_id)
    assert snap.seats.taken == snap.registered_count() == 2
    # Cancelling again answers the same; re-registering after a cancel waits at the end.
    assert world.cancel(people[0][1], event_id)["status"] == "cancelled"
    again = world.register(people[0][1], event_id)[1]
    assert (again["status"], again["waitlist_position"]) == ("waitlisted", 2)
    assert world.register(people[0][1], event_id, expect=409)[1]["error"]["code"] == "already_registered"


@pytest.mark.slow
def test_tiers_first_puts_priority_tiers_ahead_of_earlier_members(world):
    event_id = world.event(capacity=1, waitlist_order="tiers_first", priority_tiers=["gold", "platinum"])["event_id"]
    _first_id, first = world.member()
    world.register(first, event_id)
    early = [world.member() for _ in range(2)]
    for _cid, token in early:
        world.register(token, event_id)
    gold_id, gold = world.member()
    world.on_tier(gold_id, "gold")
    assert world.register(gold, event_id)[1]["waitlist_position"] == 1
    positions = [world.call("GET", "/v1/me/registrations", t)[1]["items"][0]["waitlist_position"] for _c, t in early]
    assert positions == [2, 3]
    world.cancel(first, event_id)
    assert world.page(gold, event_id)["my_status"] == "registered"


def test_after_registration_closes_nobody_registers_or_is_promoted(world):
    closes = START - timedelta(days=1)
    event_id = world.event(capacity=1, registration_closes_at=closes.isoformat())["event_id"]
    _a, a = world.member()
    _b_id, b = world.member()
    world.register(a, event_id)
    world.register(b, event_id)
    clock.set_now(closes + timedelta(minutes=1))
    _c, c = world.member()
    for english in (False, True):
        status, out, headers = world.register(c, event_id, expect=None, english=english)
        assert_envelope(status, out, headers, "registration_closed", english=english)
    world.cancel(a, event_id)
    assert world.page(b, event_id)["my_status"] == "waitlisted"
    assert reading.snapshot(event_id).seats.taken == 0


def test_one_key_is_one_registration_and_another_body_is_refused(world):
    event_id = world.event()["event_id"]
    other = world.event()["event_id"]
    _cid, token = world.member()
    key = uuid.uuid4().hex
    first = world.register(token, event_id, key=key)
    again = world.register(token, event_id, key=key)
    assert first[1] == again[1] and again[2].get("Idempotent-Replayed") == "true"
    for english in (False, True):
        status, out, headers = world.register(token, other, key=key, expect=None, english=english)
        assert_envelope(status, out, headers, "idempotency_key_reused", english=english)
    assert reading.snapshot(other).registrations == {} and reading.snapshot(other).seats.taken == 0
    status, out, headers = world.register(token, event_id, expect=None)
    assert_envelope(status, out, headers, "already_registered")
    assert reading.snapshot(event_id).seats.taken == 1


# --- check-in ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_check_in_awards_points_once_and_tags_the_consenting_profile(world):
    created = world.event(check_in_points=80, participant_tags=["tea_lover"])
    event_id, code = created["event_id"], created["check_in_code"]
    consenting_id, consenting = world.member()
    world.call("PATCH", "/v1/me", consenting, {"consents": {"profiling": True}})
    _plain_id, plain = world.member()
    _waiting_id, waiting = world.member()
    for token in (consenting, plain, waiting):
        world.register(token, event_id)
    body = {"check_in_code": code}
    status, out, headers = world.call("POST", f"/v1/events/{event_id}/check-in", consenting, body, expect=None)
    assert_envelope(status, out, headers, "check_in_not_open")  # more than an hour before the start
    clock.set_now(START - timedelta(minutes=59))
    status, out, headers = world.call("POST", f"/v1/events/{event_id}/check-in", consenting,
                                      {"check_in_code": "WRONG123"}, expect=None, english=True)
    assert_envelope(status, out, headers, "invalid_check_in_code", english=True)
    assert world.call("POST", f"/v1/events/{event_id}/check-in", consenting, {"check_in_code": code.lower()}
                      )[1]["points_awarded"] == 80
    status, out, headers = world.call("POST", f"/v1/events/{event_id}/check-in", consenting, body, expect=None)
    assert_envelope(status, out, headers, "already_checked_in")
    world.call("POST", f"/v1/events/{event_id}/check-in", plain, body)
    status, out, headers = world.call("POST", f"/v1/events/{event_id}/check-in", waiting, body, expect=None)
    assert_envelope(status, out, headers, "not_registered")
    assert [int(e["delta"]["N"]) for e in ledger_event_entries(consenting_id)] == [80]
    assert world.balance(consenting) == 80
    assert world.call("GET", "/v1/me", consenting)[1]["tags"] == ["tea_lover"]
    assert world.call("GET", "/v1/me", plain)[1]["tags"] == []
    view = world.api.call("GET", f"/v1/agent/members/{consenting_id}", token=world.agent)[1]
    assert view["profile"]["tags"] == ["tea_lover"]
    assert view["events"]["registrations"][0]["status"] == "checked_in"
    # Withdrawing the consent erases the tags.
    world.call("PATCH", "/v1/me", consenting, {"consents": {"profiling": False}})
    assert world.call("GET", "/v1/me", consenting)[1]["tags"] == []


@pytest.mark.slow
def test_a_rotated_code_replaces_the_old_one_and_the_window_ends_with_the_event(world):
    created = world.event(check_in_points=10)
    event_id, old = created["event_id"], created["check_in_code"]
    _a, a = world.member()
    _b, b = world.member()
    world.register(a, event_id)
    world.register(b, event_id)
    new = world.admin_call("POST", f"/v1/admin/events/{event_id}/check-in-code")["check_in_code"]
    assert new != old
    clock.set_now(START + timedelta(hours=1))
    status, out, headers = world.call("POST", f"/v1/events/{event_id}/check-in", a, {"check_in_code": old},
                                      expect=None)
    assert_envelope(status, out, headers, "invalid_check_in_code")
    world.call("POST", f"/v1/events/{event_id}/check-in", a, {"check_in_code": new})
    clock.set_now(START + timedelta(hours=3, seconds=1))
    status, out, headers = world.call("POST", f"/v1/events/{event_id}/check-in", b, {"check_in_code": new},
                                      expect=None)
    assert_envelope(status, out, headers, "check_in_not_open")
    raw = EventItem.get(event_pk(event_id), EVENT_SK)
    assert new not in str(raw.serialize()) and old not in str(raw.serialize())


@pytest.mark.slow
def test_the_host_checks_a_guest_in_by_member_number(world):
    host_id, host = world.member()
    world.on_tier(host_id, "gold")
    event_id = world.call("POST", "/v1/events", host, {
        "title": "读书会", "venue": "x", "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=2)).isoformat(), "capacity": 5}, expect=201)[1]["event_id"]
    world.admin_call("POST", f"/v1/admin/events/{event_id}/approve", {"reason": "ok"})
    guest_id, guest = world.member()
    world.call("POST", f"/v1/events/{event_id}/invitations", host, {"member_nos": [world.member_no(guest_id)]},
               expect=201)
    world.register(guest, event_id)
    clock.set_now(START)
    out = world.call("POST", f"/v1/events/{event_id}/check-ins", host, {"member_no": world.member_no(guest_id)})[1]
    assert (out["status"], out["points_awarded"]) == ("checked_in", 0)
    assert world.page(guest, event_id)["my_status"] == "checked_in"
    code = world.call("POST", f"/v1/events/{event_id}/check-in-code", host)[1]["check_in_code"]
    status, body, headers = world.call("POST", f"/v1/events/{event_id}/check-in", guest, {"check_in_code": code},
                                       expect=None)
    assert_envelope(status, body, headers, "already_checked_in")


# --- status changes, reminders, merges --------------------------------------------------------------------------


@pytest.mark.slow
def test_cancelling_an_event_tells_everyone_registered_or_waiting(world):
    event_id = world.event(capacity=1)["event_id"]
    a_id, a = world.member()
    b_id, b = world.member()
    world.register(a, event_id)
    world.register(b, event_id)
    out = world.admin_call("POST", f"/v1/admin/events/{event_id}/cancel", {"reason": "天气原因"})
    assert (out["status"], out["told"]) == ("cancelled", 2)
    assert "event_cancelled" in world.notices(a_id) and "event_cancelled" in world.notices(b_id)
    assert world.page(a, event_id)["status"] == "cancelled"
    snap = reading.snapshot(event_id)
    assert snap.seats.taken == 0 and snap.waiting == [] and snap.waitlist is not None and snap.waitlist.waiting == 0
    assert {r.status for r in snap.registrations.values()} == {"cancelled"}
    assert {r.cancelled_by for r in snap.registrations.values()} == {"operator"}
    world.admin_call("POST", f"/v1/admin/events/{event_id}/cancel", {"reason": "again"}, expect=409)


@pytest.mark.slow
def test_changing_an_event_tells_everyone_registered_or_waiting_once(world):
    event_id = world.event(capacity=1)["event_id"]
    a_id, a = world.member()
    b_id, b = world.member()
    c_id, c = world.member()
    for token in (a, b, c):
        world.register(token, event_id)
    world.cancel(c, event_id)
    later = START + timedelta(days=1)
    out = world.admin_call("PATCH", f"/v1/admin/events/{event_id}", {
        "venue": "静安店", "starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=2)).isoformat()})
    assert (out["venue"], out["told"], out["registration_closes_at"]) == ("静安店", 2, later.isoformat())
    assert [world.notices(cid).count("event_changed") for cid in (a_id, b_id, c_id)] == [1, 1, 0]
    mine = world.call("GET", "/v1/me/registrations", a)[1]["items"][0]
    assert mine["starts_at"] == later.isoformat()
    assert world.page(b, event_id)["venue"] == "静安店"
    status, body, headers = world.api.call("PATCH", f"/v1/admin/events/{event_id}",
                                           {"ends_at": later.isoformat()}, token=world.admin)
    assert_envelope(status, body, headers, "validation_error")
    assert world.admin_call("GET", f"/v1/admin/events/{event_id}")["ends_at"] == (later + timedelta(hours=2)
                                                                                 ).isoformat()
    assert world.admin_call("PATCH", f"/v1/admin/events/{event_id}", {"venue": "静安店"})["told"] == 0
    assert world.admin_call("PATCH", f"/v1/admin/events/{event_id}", {})["told"] == 0
    assert world.notices(a_id).count("event_changed") == 1


def test_the_local_stack_seeds_an_event_for_every_tier_and_one_for_gold_and_above(world):
    from chalicelib.events import seeds

    seeds.seed_defaults()
    seeds.seed_defaults()  # idempotent
    _base_id, base = world.member()
    gold_id, gold = world.member()
    world.on_tier(gold_id, "gold")
    seeded = {e for e, _fields, _days in seeds.SEEDS}
    assert {e["event_id"] for e in world.call("GET", "/v1/events", base)[1]["items"]} & seeded == {
        "ev_5eed00000001"}
    assert {e["event_id"] for e in world.call("GET", "/v1/events", gold)[1]["items"]} & seeded == seeded


def test_the_day_before_everyone_registered_is_reminded_once(world):
    event_id = world.event(start=at(2026, 12, 8, 19, 0), capacity=1)["event_id"]
    later = world.event(start=at(2026, 12, 9, 19, 0))["event_id"]
    a_id, a = world.member()
    b_id, b = world.member()
    world.register(a, event_id)
    world.register(b, event_id)  # waiting: not reminded
    world.register(a, later)
    assert jobs.send_reminders() == {"sent": 1, "skipped": 0}
    assert jobs.send_reminders() == {"sent": 0, "skipped": 0}
    assert world.notices(a_id).count("event_reminder") == 1
    assert "event_reminder" not in world.notices(b_id)


@pytest.mark.slow
def test_a_merged_customers_registrations_follow_the_survivor_never_twice(world):
    both = world.event(capacity=3)["event_id"]
    only_absorbed = world.event()["event_id"]
    absorbed_id, absorbed = world.member()
    survivor_id = directory.create_customer(directory.Identity("wechat_mp", "wx", f"o-{absorbed_id}")).customer_id
    survivor = sessions.issue(sessions.member_principal(survivor_id))["access_token"]
    world.register(absorbed, both)
    world.register(survivor, both)
    world.register(absorbed, only_absorbed)
    merges.merge(directory.load_customer(absorbed_id), directory.load_customer(survivor_id), reason="test")
    mine = world.call("GET", "/v1/me/registrations", survivor)[1]["items"]
    assert sorted(r["event_id"] for r in mine) == sorted([both, only_absorbed])
    snap = reading.snapshot(both)
    active = [r for r in snap.registrations.values() if r.status == "registered"]
    assert [r.customer_id for r in active] == [survivor_id] and snap.seats.taken == 1
    assert world.page(absorbed, only_absorbed)["my_status"] == "registered"  # the old token reaches the survivor


# --- inputs, errors, calls ---------------------------------------------------------------------------------------


def test_bad_inputs_are_400_in_the_envelope_and_change_nothing(world):
    _cid, token = world.member()
    before = world.admin_call("GET", "/v1/admin/events")["items"]
    bad = [
        {"title": "", "venue": "x", "starts_at": START.isoformat(), "ends_at": START.isoformat(), "capacity": 1},
        {"title": "x", "venue": "x", "starts_at": START.isoformat(),
         "ends_at": (START - timedelta(hours=1)).isoformat(), "capacity": 1},
        {"title": "x", "venue": "x", "starts_at": "2026-12-10T14:00:00", "ends_at": START.isoformat(),
         "capacity": 1},
        {"title": "x", "venue": "x", "starts_at": START.isoformat(),
         "ends_at": (START + timedelta(hours=1)).isoformat(), "capacity": 0},
        {"title": "x", "venue": "x", "starts_at": START.isoformat(),
         "ends_at": (START + timedelta(hours=1)).isoformat(), "capacity": 1, "tiers": ["diamond"]},
        {"title": "x", "venue": "x", "starts_at": (NOW - timedelta(days=1)).isoformat(),
         "ends_at": NOW.isoformat(), "capacity": 1},
        {"title": "x\u202e", "venue": "x", "starts_at": START.isoformat(),
         "ends_at": (START + timedelta(hours=1)).isoformat(), "capacity": 1},
    ]
    for body in bad:
        for english in (False, True):
            status, out, headers = world.api.call("POST", "/v1/admin/events", body, token=world.admin,
                                                  headers={"accept-language": "en"} if english else None)
            assert_envelope(status, out, headers, "validation_error", english=english)
    assert world.admin_call("GET", "/v1/admin/events")["items"] == before
    event_id = world.event()["event_id"]
    for body in ({}, {"check_in_code": ""}, {"check_in_code": 12345678}, {"check_in_code": "x", "extra": 1}):
        status, out, headers = world.call("POST", f"/v1/events/{event_id}/check-in", token, body, expect=None)
        assert_envelope(status, out, headers, "validation_error")
    status, out, headers = world.call("POST", f"/v1/events/{event_id}/registrations", token, expect=None)
    assert_envelope(status, out, headers, "idempotency_key_required")
    for weird in ("nope", "ev_" + "0" * 50, "ev_zz"):
        world.page(token, weird, expect=404)
    assert reading.snapshot(event_id).registrations == {}


@pytest.mark.slow
def test_the_event_page_is_one_call_and_registering_one_query_and_one_transaction(world):
    event_id = world.event(capacity=1)["event_id"]
    _a, a = world.member()
    _b, b = world.member()
    world.page(a, event_id)
    with DynamoCalls().counting() as calls:
        world.page(a, event_id)
    assert dict(calls.ops) == {"BatchGetItem": 1}
    for token in (a, b):  # a seat, then a waiting place
        with DynamoCalls().counting() as calls:
            world.register(token, event_id)
        assert dict(calls.ops) == {"Query": 1, "TransactWriteItems": 1}


def test_every_events_error_speaks_chinese_and_english():
    from chalicelib.events.errors import ERRORS

    for code, spec in ERRORS.items():
        assert CATALOGUE[code] == spec
        assert spec.zh and spec.en and spec.zh != spec.en


# --- paging (follow-up of issue 11) ------------------------------------------------------------------------------


def pages(world: World, path: str, token: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of a list, following ``next_cursor`` until null (bounded: a loop would fail, not hang)."""
    out: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    for _ in range(50):
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = world.call("GET", path + query, token)[1]
        assert len(body["items"]) <= limit
        out.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError("the cursor never ended")


@pytest.mark.slow
@pytest.mark.parametrize("read", [None, 4], ids=["one-read", "short-reads"])
def test_paging_the_events_lists_every_visible_event_once_with_another_circle_interleaved(world, monkeypatch, read):
    from chalicelib.events import listing

    if read is not None:  # the Query reads 4 index items per page: pages come back short, none is skipped
        monkeypatch.setattr(listing, "LIST_READ", read)
    by_start, everyone = [], []
    for n in range(14):  # by start: everyone, gold, everyone, gold... then a run of three for gold only
        gold = n % 2 == 1 or n >= 11
        event_id = world.event(start=START + timedelta(hours=n), **({"tiers": ["gold"]} if gold else {}))["event_id"]
        by_start.append(event_id)
        if not gold:
            everyone.append(event_id)
    _base_id, base = world.member()
    gold_id, gold = world.member()
    world.on_tier(gold_id, "gold")
    base_pages = pages(world, "/v1/events", base, 3)
    assert [e["event_id"] for page in base_pages for e in page] == everyone  # each once, soonest first
    assert [e["event_id"] for page in pages(world, "/v1/events", gold, 5) for e in page] == by_start
    assert [e["event_id"] for e in world.call("GET", "/v1/events?limit=100", gold)[1]["items"]] == (
        by_start if read is None else by_start[:4])


def hosted_events(world: World, starts: list[datetime]) -> tuple[str, list[str]]:
    """A gold host's approved events (invite-only), one per start; the host's token and the events' IDs."""
    host_id, host = world.member()
    world.on_tier(host_id, "gold")
    made = []
    for start in starts:
        event_id = world.call("POST", "/v1/events", host, {
            "title": "亲子烘焙", "venue": "静安店", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 3}, expect=201)[1]["event_id"]
        world.admin_call("POST", f"/v1/admin/events/{event_id}/approve", {})
        made.append(event_id)
    return host, made


def invite(world: World, host: str, event_id: str, guest_id: str) -> None:
    world.call("POST", f"/v1/events/{event_id}/invitations", host, {"member_nos": [world.member_no(guest_id)]},
               expect=201)


@pytest.mark.slow
@pytest.mark.parametrize("read", [None, 2], ids=["one-read", "short-reads"])
def test_paging_my_invitations_and_registrations_lists_each_once_with_my_status(world, monkeypatch, read):
    from chalicelib.events import listing

    if read is not None:  # two index items a page: a page's read ends between a registration and its invitation
        monkeypatch.setattr(listing, "LIST_READ", read)
    host, (e1, e2, e3) = hosted_events(world, [START + timedelta(days=d) for d in range(3)])
    guest_id, guest = world.member()
    for event_id in (e1, e2, e3):
        invite(world, host, event_id, guest_id)
    for event_id in (e1, e3):
        world.register(guest, event_id)
    invitations = [i for page in pages(world, "/v1/me/invitations", guest, 1) for i in page]
    assert [(i["event_id"], i["my_status"]) for i in invitations] == [
        (e3, "registered"), (e2, None), (e1, "registered")]  # newest event first
    registrations = [r for page in pages(world, "/v1/me/registrations", guest, 1) for r in page]
    assert [(r["event_id"], r["status"]) for r in registrations] == [(e3, "registered"), (e1, "registered")]


@pytest.mark.slow
def test_a_changed_event_shows_its_new_title_and_times_in_my_invitations(world):
    host, (e1, e2) = hosted_events(world, [START, START + timedelta(days=1)])
    guest_id, guest = world.member()
    for event_id in (e1, e2):
        invite(world, host, event_id, guest_id)
    later = START + timedelta(days=3)
    world.admin_call("PATCH", f"/v1/admin/events/{e1}", {"title": "亲子烘焙（改期）", "starts_at": later.isoformat(),
                                                         "ends_at": (later + timedelta(hours=3)).isoformat()})
    invitations = world.call("GET", "/v1/me/invitations", guest)[1]["items"]
    assert [(i["event_id"], i["title"], i["starts_at"], i["ends_at"]) for i in invitations] == [
        (e1, "亲子烘焙（改期）", later.isoformat(), (later + timedelta(hours=3)).isoformat()),  # now the newest
        (e2, "亲子烘焙", (START + timedelta(days=1)).isoformat(), (START + timedelta(days=1, hours=2)).isoformat())]
    assert world.page(guest, e1)["invited"] is True


@pytest.mark.slow
def test_a_bad_cursor_is_a_validation_error_in_chinese_and_english(world):
    from chalicelib.core.dynamo.paging import encode_cursor

    _cid, token = world.member()
    world.event()
    event_key = "2026-12-10T06:00:00Z#ev_0123456789abcdef"
    bad = ["!!!", "bm90IGpzb24", encode_cursor("x"), encode_cursor("EVLIST"), encode_cursor(event_key + "#REG'"),
           "a" * 600]
    for path, other_shape in (("/v1/events", event_key + "#REG"), ("/v1/me/registrations", event_key),
                              ("/v1/me/invitations", event_key)):
        for cursor in [*bad, encode_cursor(other_shape)]:
            for english in (False, True):
                status, body, headers = world.call("GET", f"{path}?cursor={cursor}", token, expect=None,
                                                   english=english)
                assert_envelope(status, body, headers, "validation_error", english=english)
                assert "cursor" in [d["field"] for d in body["error"]["details"]], body


@pytest.mark.slow
def test_my_lists_cost_a_fixed_number_of_calls_and_waiting_places_one_batch_plus_a_count_each(world):
    full = [world.event(capacity=1, start=START + timedelta(hours=n))["event_id"] for n in range(3)]
    _a, a = world.member()
    _b, b = world.member()
    for event_id in full:
        world.register(a, event_id)
        world.register(b, event_id)  # waiting, position 1
    world.cancel(a, full[1])  # b is promoted there: the index may lag, the batch read does not
    with DynamoCalls().counting() as calls:
        mine = world.call("GET", "/v1/me/registrations", b)[1]["items"]
    assert [(r["event_id"], r["status"], r["waitlist_position"]) for r in mine] == [
        (full[2], "waitlisted", 1), (full[1], "registered", None), (full[0], "waitlisted", 1)]
    assert dict(calls.ops) == {"GetItem": 1, "Query": 3, "BatchGetItem": 1}  # 1 + 1 + 1 per place still waiting
    with DynamoCalls().counting() as calls:
        world.call("GET", "/v1/events", b)
    assert dict(calls.ops) == {"GetItem": 1, "Query": 2, "BatchGetItem": 1}
    with DynamoCalls().counting() as calls:
        world.call("GET", "/v1/me/invitations", b)
    assert dict(calls.ops) == {"GetItem": 1, "Query": 1}
