"""What members and agents found when they tried the stack as its users would (issue 32), over HTTP against the local
stack, one case per defect: a held message released on time in Shanghai time (the job run with TZ=UTC), Plus
activated and refunded told at once in quiet hours, the Plus renewal reminder run as of a day once, the Plus refund
refused after a Plus-only use, an old token of a merged-away account answered as the survivor on every member GET
route of the registry, and the proposer of a hidden C2B request told once with the note."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.calendar import SHANGHAI
from tests.support import contract
from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY, REPO_ROOT
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WITHIN_SECONDS = 20


def ok(result: tuple[int, Any], status: int = 200) -> Any:
    assert result[0] == status, result
    return result[1]


def run_job(stack: Any, job: str, *args: str) -> str:
    """``python -m tools.run_job`` against the stack, in a process whose own zone is UTC (as Lambda's is)."""
    env = {**os.environ, "TZ": "UTC"}
    result = subprocess.run(
        [sys.executable, "-m", "tools.stack.run_job", job, *args, "--dynamodb-endpoint", stack.dynamodb_endpoint,
         "--sqs-endpoint", stack.sqs_endpoint], cwd=REPO_ROOT, capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{job}: done" in result.stdout, result.stdout
    return result.stdout


def hhmm(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%H:%M")


class Member:
    """An app member (SMS is their push channel)."""

    def __init__(self, base: str) -> None:
        self.base, self.phone = base, new_phone("136")
        tokens = app_login(base, self.phone)
        self.customer_id, self.token = tokens["customer_id"], tokens["access_token"]

    def get(self, path: str) -> Any:
        return ok(call(self.base, "GET", path, token=self.token))

    def quiet(self, start: str, end: str) -> None:
        ok(call(self.base, "PUT", "/v1/me/notification-settings", {"quiet_hours": {"start": start, "end": end}},
                token=self.token))

    def notes(self, kind: str) -> list[dict[str, Any]]:
        return [n for n in self.get("/v1/me/notifications?limit=100")["items"] if n["kind"] == kind]

    def sms_status(self, kind: str, want: str) -> dict[str, Any]:
        """Waits for the newest ``kind`` notification's SMS delivery to reach ``want``; returns the notification."""
        deadline, note = time.monotonic() + WITHIN_SECONDS, None
        while time.monotonic() < deadline:
            found = self.notes(kind)
            note = found[0] if found else None
            if note and [d["status"] for d in note["deliveries"] if d["channel"] == "sms"][-1:] == [want]:
                return note
            time.sleep(0.3)
        raise AssertionError(f"{kind}: SMS not {want} within {WITHIN_SECONDS} s: {note}")


@pytest.fixture(scope="module")
def staff(local_stack: Any) -> dict[str, str]:
    base = str(local_stack)
    return {role: staff_login(base, role, f"{role}-local-pass")["access_token"] for role in ("agent", "admin")}


def _buy_plus(base: str, member: Member) -> str:
    order = ok(call(base, "POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token=member.token,
                    headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    ok(call(base, "PUT", f"/v1/dev/payments/{order['order_id']}", {"result": "paid"}), 202)
    deadline = time.monotonic() + WITHIN_SECONDS
    while member.get("/v1/me/membership")["status"] != "active":
        assert time.monotonic() < deadline, "the payment notification did not activate Plus"
        time.sleep(0.3)
    return str(order["order_id"])


# --- 1. quiet hours end on time, in Shanghai time ------------------------------------------------------------------


def test_a_message_held_by_quiet_hours_is_released_when_they_end_in_shanghai(local_stack: Any) -> None:
    base = str(local_stack)
    member = Member(base)
    now = datetime.now(UTC)
    end = (now + timedelta(minutes=2)).replace(second=0, microsecond=0)  # the next minute but one: room to register
    member.quiet(hhmm(now - timedelta(minutes=10)), hhmm(end))
    event = next(e for e in member.get("/v1/events?limit=100")["items"] if e.get("title"))
    ok(call(base, "POST", f"/v1/events/{event['event_id']}/registrations", token=member.token,
            headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    kind = next(k for k in ("event_registered", "event_waitlisted") if member.notes(k))
    member.sms_status(kind, "held")
    just_before = (end - timedelta(seconds=5)).astimezone(SHANGHAI).isoformat()
    run_job(local_stack, "notifications_release_held", "--as-of", just_before)
    assert member.sms_status(kind, "held")
    just_after = (end + timedelta(seconds=5)).astimezone(SHANGHAI).isoformat()
    out = run_job(local_stack, "notifications_release_held", "--as-of", just_after)
    assert "'released': 0" not in out, out
    note = member.sms_status(kind, "sent")
    assert [d["status"] for d in note["deliveries"]] == ["delivered", "held", "sent"]


# --- 2. Plus activated and refunded are urgent ---------------------------------------------------------------------


def test_plus_activation_and_refund_reach_the_member_at_once_in_quiet_hours(local_stack: Any,
                                                                          staff: dict[str, str]) -> None:
    base = str(local_stack)
    member = Member(base)
    now = datetime.now(UTC)
    member.quiet(hhmm(now - timedelta(minutes=30)), hhmm(now + timedelta(hours=2)))
    _buy_plus(base, member)
    activated = member.sms_status("transaction_plus_activated", "sent")
    assert "held" not in [d["status"] for d in activated["deliveries"]]
    ok(call(base, "POST", f"/v1/agent/members/{member.customer_id}/membership/refund", {"reason": "误购"},
            token=staff["agent"]))
    refunded = member.sms_status("transaction_plus_refunded", "sent")
    assert "held" not in [d["status"] for d in refunded["deliveries"]]
    sent = ok(call(base, "GET", f"/v1/dev/deliveries?customer_id={member.customer_id}"))["items"]
    assert {d["status"] for d in sent if d["notification_id"] in (activated["notification_id"],
                                                                 refunded["notification_id"])} == {"sent"}


# --- 3. the renewal reminder as of a day ---------------------------------------------------------------------------


def test_the_plus_renewal_reminder_runs_as_of_fifteen_days_before_expiry_once(local_stack: Any) -> None:
    base = str(local_stack)
    member = Member(base)
    member.quiet("00:00", "00:00")
    _buy_plus(base, member)
    expires_on = date.fromisoformat(member.get("/v1/me/membership")["expires_at"][:10])
    day = (expires_on - timedelta(days=15)).isoformat()
    first = run_job(local_stack, "membership_reminders_job", "--env", f"REMINDERS_ON={day}")
    assert "'sent': 0" not in first, first
    second = run_job(local_stack, "membership_reminders_job", "--as-of", day)
    assert "'sent': 0" in second, second
    reminders = member.notes("plus_renewal_reminder")
    assert [n["data"]["days_left"] for n in reminders] == [15]
    assert [v["kind"] for v in member.get("/v1/me/vouchers")["items"]].count("plus_renewal") == 1


# --- 4. the refund counts any Plus-only use ------------------------------------------------------------------------


def test_the_plus_refund_is_refused_after_a_plus_only_benefit_or_reward(local_stack: Any,
                                                                        staff: dict[str, str]) -> None:
    base = str(local_stack)
    benefit = ok(call(base, "POST", "/v1/admin/benefits", {
        "name": f"Plus 专享 {uuid.uuid4().hex[:6]}", "tiers": ["base", "silver", "gold", "platinum"],
        "quota": {"per_period": 1, "period": "month"}, "voucher_valid_days": 30, "plus_only": True},
        token=staff["admin"]), 201)
    reward = ok(call(base, "POST", "/v1/admin/rewards", {
        "name": f"Plus 专享杯 {uuid.uuid4().hex[:6]}", "points_cost": 10, "stock": 5, "fulfillment": "in_house",
        "plus_only": True}, token=staff["admin"]), 201)
    claimer, redeemer = Member(base), Member(base)
    for member in (claimer, redeemer):
        _buy_plus(base, member)
    ok(call(base, "POST", f"/v1/benefits/{benefit['benefit_id']}/claims", token=claimer.token,
            headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    ok(call(base, "POST", "/v1/admin/points/adjustments", {"customer_id": redeemer.customer_id, "delta": 50,
                                                           "reason": "试用"}, token=staff["admin"]), 201)
    deadline = time.monotonic() + 120  # a new reward is in every worker's cache within 5 s
    while (status := call(base, "POST", "/v1/redemptions", {"reward_id": reward["reward_id"], "quantity": 1},
                          token=redeemer.token, headers={"Idempotency-Key": uuid.uuid4().hex}))[0] != 201:
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    for member in (claimer, redeemer):
        before = member.get("/v1/me/membership")
        for english in (False, True):
            status, body = call(base, "POST", f"/v1/agent/members/{member.customer_id}/membership/refund",
                                {"reason": "误购"}, token=staff["agent"],
                                headers={"Accept-Language": "en"} if english else None)
            assert status == 409 and body["error"]["code"] == "benefit_already_used", body
        assert member.get("/v1/me/membership") == before and before["status"] == "active"


# --- 5. an old token of a merged-away account reads the survivor everywhere ----------------------------------------


def _comparable(answer: tuple[int, Any]) -> tuple[int, Any]:
    """An answer less what differs between any two requests (an error's request ID)."""
    status, body = answer
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = {**body, "error": {k: v for k, v in body["error"].items() if k != "request_id"}}
    return status, body


def _member_get_routes() -> list[Any]:
    return [s for s in contract.routes() if s.auth == "member" and s.method == "GET"]


def test_an_old_token_of_a_merged_account_reads_the_survivor_on_every_member_route(local_stack: Any) -> None:
    base = str(local_stack)
    phone = new_phone("137")
    till = {"order_no": f"E2E-MRG-{uuid.uuid4().hex[:10]}", "customer": {"phone": phone}, "amount_fen": 30_000,
            "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
    ok(call(base, "POST", "/v1/integrations/orders", till, headers=LOCAL_KEY), 201)
    old = ok(call(base, "POST", "/v1/auth/miniprogram/login", {"code": f"mock:mrg-{uuid.uuid4().hex[:12]}"}))
    old_token, absorbed = old["access_token"], old["customer_id"]
    mine = {**till, "order_no": f"E2E-MRG-{uuid.uuid4().hex[:10]}", "customer": {"customer_id": absorbed}}
    ok(call(base, "POST", "/v1/integrations/orders", mine, headers=LOCAL_KEY), 201)
    ok(call(base, "POST", "/v1/me/points/claims", {"order_no": f"E2E-MRG-C-{uuid.uuid4().hex[:8]}",
                                                   "amount_fen": 5_000,
                                                   "purchased_on": datetime.now(SHANGHAI).date().isoformat()},
            token=old_token), 201)
    store = ok(call(base, "GET", "/v1/stores"))["items"][0]
    service_id, day = store["services"][0], (datetime.now(SHANGHAI) + timedelta(days=3)).date().isoformat()
    slots = ok(call(base, "GET", f"/v1/stores/{store['store_id']}/slots?service_id={service_id}&date={day}",
                    token=old_token))["items"]
    ok(call(base, "POST", "/v1/appointments", {"store_id": store["store_id"], "service_id": service_id,
                                                "slot_start": next(s for s in slots if s["bookable"])["slot_start"]},
            token=old_token, headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    bound = ok(call(base, "POST", "/v1/auth/miniprogram/phone", {"code": f"mockphone:{phone}"}, token=old_token))
    assert bound["merged"] is True and bound["customer_id"] != absorbed
    survivor_token = bound["tokens"]["access_token"]

    def first_id(path: str, field: str) -> str:
        items = ok(call(base, "GET", path, token=survivor_token))["items"]
        return str(items[0][field]) if items else "none-yet"

    values = {"store_id": store["store_id"], "event_id": first_id("/v1/events", "event_id"),
              "request_id": first_id("/v1/product-requests", "request_id"),
              "appointment_id": first_id("/v1/me/appointments", "appointment_id"),
              "redemption_id": first_id("/v1/me/redemptions", "redemption_id"), "transaction_id": "txn-none"}
    queries = {"/v1/stores/{store_id}/slots": f"?service_id={service_id}&date={day}"}
    routes = _member_get_routes()
    assert {"/v1/me/points/ledger", "/v1/me/points/claims", "/v1/me/appointments"} <= {s.path for s in routes}
    differing = []
    for spec in routes:
        path = contract.fill_path(spec.path, values) + queries.get(spec.path, "")
        as_survivor = _comparable(call(base, "GET", path, token=survivor_token))
        with_old_token = _comparable(call(base, "GET", path, token=old_token))
        if with_old_token != as_survivor:
            differing.append((spec.path, with_old_token, as_survivor))
    assert differing == []
    ledger = ok(call(base, "GET", "/v1/me/points/ledger", token=old_token))["items"]
    assert [e["kind"] for e in ledger].count("merge_in") == 1 and "merge_out" not in [e["kind"] for e in ledger]
    assert len(ok(call(base, "GET", "/v1/me/appointments", token=old_token))["items"]) == 1


# --- 6. the proposer of a hidden C2B request is told, with the note ------------------------------------------------


def test_the_supporting_proposer_of_a_hidden_request_is_told_once_with_the_note(local_stack: Any,
                                                                                 staff: dict[str, str]) -> None:
    base = str(local_stack)
    proposer, fan = Member(base), Member(base)
    proposer.quiet("00:00", "00:00")
    request_id = ok(call(base, "POST", "/v1/product-requests", {
        "title": "无糖桂花乌龙", "description": "希望推出无糖版本的桂花乌龙茶饮，小瓶装。", "category": "茶饮",
        "target_price_fen": 800}, token=proposer.token), 201)["request_id"]
    for member in (proposer, fan):
        ok(call(base, "POST", f"/v1/product-requests/{request_id}/supports", {"quantity": 1}, token=member.token), 201)
    ok(call(base, "POST", f"/v1/admin/product-requests/{request_id}/status", {"status": "hidden", "note": "含联系方式"},
            token=staff["admin"]))
    for _ in range(2):
        run_job(local_stack, "c2b_fanout_job")
    told = [n for n in proposer.notes("c2b_status_changed") if n["data"]["request_id"] == request_id]
    assert [(n["data"]["status"], n["data"]["note"]) for n in told] == [("hidden", "含联系方式")]
    assert "含联系方式" in told[0]["body"]
    assert not [n for n in fan.notes("c2b_status_changed") if n["data"]["request_id"] == request_id]
    for member in (proposer, fan):
        status, body = call(base, "GET", f"/v1/product-requests/{request_id}", token=member.token)
        assert status == 404 and body["error"]["code"] == "not_found"
        status, body = call(base, "POST", f"/v1/product-requests/{request_id}/supports", {"quantity": 2},
                            token=member.token)
        assert status == 404 and body["error"]["code"] == "not_found"
