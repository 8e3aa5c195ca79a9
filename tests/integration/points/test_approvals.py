"""Agents compensate members; over the threshold a second staff member decides (maker-checker): nothing moves until a
supervisor approves, the maker cannot decide their own, and of two decisions at once (two processes over HTTP on
DynamoDB Local) exactly one wins and the points move at most once, with one audit record."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator

import pytest

from chalicelib.core import clock
from chalicelib.identity import directory, sessions, staff
from tests.support.http import Http, serve_app_processes
from tests.support.partition import items_of
from tests.support.phones import new_phone
from tests.support.threads import run_at_once

pytestmark = pytest.mark.integration


def _staff(role: str) -> tuple[str, dict[str, str]]:
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    staff_id = staff.create_staff(username, f"{username}-pass", role, rounds=4)
    from chalicelib.core.http.principal import Principal

    token = sessions.issue(Principal(subject=username, role=role, staff_id=staff_id))["access_token"]
    return staff_id, {"authorization": f"Bearer {token}"}


def _member() -> str:
    phone = new_phone()
    return directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id


def _compensation_entries(customer_id: str) -> list[int]:
    return [int(e["delta"]["N"]) for e in items_of(customer_id, "L#") if e["kind"]["S"] == "compensation"]


def _compensate(api, auth: dict[str, str], customer_id: str, points: int, key: str | None = None):
    return api.call("POST", f"/v1/agent/members/{customer_id}/compensations",
                    {"points": points, "reason": "配送延误", "case_id": "case_x"},
                    headers={**auth, "idempotency-key": key or uuid.uuid4().hex})


def test_a_small_compensation_is_done_at_once_into_the_ledger(api):
    _, agent = _staff("agent")
    cid = _member()
    key = uuid.uuid4().hex
    status, body, _ = _compensate(api, agent, cid, 200, key)
    assert status == 201 and body["status"] == "done" and body["balance_after"] == 200, body
    assert _compensation_entries(cid) == [200]
    again, replay, headers = _compensate(api, agent, cid, 200, key)
    assert (again, replay, headers.get("Idempotent-Replayed")) == (201, body, "true")
    assert _compensation_entries(cid) == [200]


@pytest.mark.slow
def test_a_large_compensation_waits_then_a_supervisor_approves_it_once_and_the_maker_cannot(api):
    agent_id, agent = _staff("agent")
    supervisor_id, supervisor = _staff("supervisor")
    _, other_agent = _staff("agent")
    cid = _member()
    status, body, _ = _compensate(api, agent, cid, 800)
    assert (status, body["status"], body["balance_after"]) == (201, "pending_approval", None), body
    assert _compensation_entries(cid) == []  # nothing moves until approved
    approval_id = body["approval_id"]
    status, queue, _ = api.call("GET", "/v1/agent/approvals", headers=agent)
    assert status == 200 and [a["approval_id"] for a in queue["items"]] == [approval_id]
    path = f"/v1/agent/approvals/{approval_id}"
    status, refused, _ = api.call("POST", f"{path}/approve", {"reason": "ok"}, headers=other_agent)
    assert (status, refused["error"]["code"]) == (403, "forbidden")  # agents do not approve
    # a supervisor who made the request cannot approve it
    _, own = _compensate(api, supervisor, cid, 900)[:2]
    status, refused, _ = api.call("POST", f"/v1/agent/approvals/{own['approval_id']}/approve", {"reason": "mine"},
                                  headers=supervisor)
    assert (status, refused["error"]["code"]) == (403, "self_approval")
    status, done, _ = api.call("POST", f"{path}/approve", {"reason": "核实无误"}, headers=supervisor)
    assert status == 200 and (done["status"], done["decided_by"], done["balance_after"]) == (
        "approved", supervisor_id, 800), done
    assert _compensation_entries(cid) == [800]
    status, again, _ = api.call("POST", f"{path}/reject", {"reason": "late"}, headers=supervisor)
    assert (status, again["error"]["code"]) == (409, "approval_decided")
    assert _compensation_entries(cid) == [800]
    assert agent_id != supervisor_id


@pytest.mark.slow  # real processes
def test_a_large_adjustment_waits_for_approval_and_a_rejection_moves_nothing(api):
    _, admin = _staff("admin")
    _, supervisor = _staff("supervisor")
    cid = _member()
    status, body, _ = api.call("POST", "/v1/admin/points/adjustments",
                               {"customer_id": cid, "delta": 5000, "reason": "大额补录"}, headers=admin)
    assert (status, body["status"], body["kind"]) == (202, "pending_approval", "adjustment"), body
    assert items_of(cid, "L#") == []
    status, rejected, _ = api.call("POST", f"/v1/agent/approvals/{body['approval_id']}/reject",
                                   {"reason": "无凭证"}, headers=supervisor)
    assert status == 200 and rejected["status"] == "rejected"
    assert items_of(cid, "L#") == []


# ------------------------------------------------------------------------------------------- races over HTTP


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    clock.set_now(None)
    with serve_app_processes(workers=2, timeout=120) as server:
        yield server


def _audit_records_of(customer_id: str, action: str) -> list[dict]:
    import json

    from chalicelib.audit.trail import member_records

    return [r for r in member_records(customer_id) if json.loads(r["body"]["S"])["action"] == action]


@pytest.mark.slow
def test_concurrent_decisions_on_one_request_exactly_one_wins(http: Http):
    _, agent = _staff("agent")
    deciders = [_staff("supervisor")[1], _staff("supervisor")[1], _staff("admin")[1], _staff("supervisor")[1]]
    for verbs in (("approve", "reject", "approve", "reject"), ("approve", "approve", "approve", "approve")):
        cid = _member()
        status, body, _ = http.call_with_headers(
            "POST", f"/v1/agent/members/{cid}/compensations", {"points": 700, "reason": "race"},
            {**agent, "idempotency-key": uuid.uuid4().hex})
        assert status == 201 and body["status"] == "pending_approval", body
        path = f"/v1/agent/approvals/{body['approval_id']}"
        calls = [("POST", f"{path}/{verb}", {"reason": "decided"}, auth)
                 for verb, auth in zip(verbs, deciders, strict=True)]
        results = run_at_once(http.call_with_headers, calls)
        statuses = Counter(status for status, _b, _h in results)
        assert statuses == Counter({200: 1, 409: 3}), results
        [won] = [b for s, b, _h in results if s == 200]
        assert _compensation_entries(cid) == ([700] if won["status"] == "approved" else [])
        decided = _audit_records_of(cid, "approve_request") + _audit_records_of(cid, "reject_request")
        assert len(decided) == 1  # the losers' transactions were cancelled: no record of what did not happen
