"""The staff audit trail: every staff write leaves one record in its own transaction; the chains of a day verify,
and an edited, removed or reordered record is named; auditors read the trail by staff member or member."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.core import clock
from chalicelib.core.calendar import business_day
from chalicelib.identity import staff

pytestmark = pytest.mark.integration


def _login(api, username: str, role: str) -> dict:
    staff.create_staff(username, f"{username}-pass", role, rounds=4)
    status, tokens, _ = api.call("POST", "/v1/staff/login", {"username": username, "password": f"{username}-pass"})
    assert status == 200, tokens
    return dict(tokens)


@pytest.fixture
def people(api) -> dict:
    return {role: _login(api, f"audit-{role}", role) for role in staff.STAFF_ROLES}


def _trail(api, token: str, **query: str) -> list[dict]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    status, body, _ = api.call("GET", f"/v1/admin/audit?{qs}", token=token)
    assert status == 200, body
    return body["items"]


def _today() -> str:
    return business_day(clock.now()).isoformat()


def test_an_adjustment_leaves_one_record_with_who_what_why_and_the_auditor_reads_it(api, people):
    member = api.app_login("13700000001")
    admin = people["admin"]
    status, body, _ = api.call("POST", "/v1/admin/points/adjustments",
                               {"customer_id": member["customer_id"], "delta": 120, "reason": "补偿 13812345678 来电"},
                               token=admin["access_token"])
    assert status == 201, body
    by_actor = _trail(api, people["auditor"]["access_token"], actor=admin["staff_id"])
    assert len(by_actor) == 1
    rec = by_actor[0]
    assert (rec["actor"], rec["role"], rec["action"], rec["member"]) == (
        admin["staff_id"], "admin", "post_adjustment", member["customer_id"])
    assert rec["route"] == "POST /v1/admin/points/adjustments"
    assert rec["reason"] == "补偿 138****5678 来电"  # never a full phone number
    assert any(w["key"].startswith(f"CUST#{member['customer_id']}") for w in rec["writes"])
    assert _trail(api, people["auditor"]["access_token"], member=member["customer_id"]) == by_actor
    # the agents' 360 view's audit section shows it too
    from chalicelib.audit.trail import member_360

    section = member_360.render(member_360.read(member["customer_id"]), None, None)
    assert [r["record_id"] for r in section["audit_trail"]] == [rec["record_id"]]
    status, body, _ = api.call("GET", f"/v1/admin/audit?actor={admin['staff_id']}",
                               token=people["agent"]["access_token"])
    assert (status, body["error"]["code"]) == (403, "forbidden")  # agents do not read the audit


def test_a_refused_write_leaves_no_record(api, people):
    member = api.app_login("13700000002")
    status, body, _ = api.call("POST", "/v1/admin/points/adjustments",
                               {"customer_id": member["customer_id"], "delta": -50, "reason": "错误发放"},
                               token=people["admin"]["access_token"])
    assert (status, body["error"]["code"]) == (409, "insufficient_points")
    assert _trail(api, people["auditor"]["access_token"], member=member["customer_id"]) == []


@pytest.mark.slow
def test_the_verifier_passes_a_clean_day_and_names_an_edited_removed_or_reordered_record(api, people, ddb_table):
    from chalicelib.core.dynamo.connection import shared_connection

    token = people["admin"]["access_token"]
    for name in ("a", "b", "c"):
        status, _, _ = api.call("POST", "/v1/admin/staff",
                                {"username": f"new-{name}-{uuid.uuid4().hex[:6]}", "password": "p" * 10,
                                 "role": "agent"}, token=token)
        assert status == 201
    day = _today()
    auditor = people["auditor"]["access_token"]
    status, result, _ = api.call("GET", f"/v1/admin/audit/verify?day={day}", token=auditor)
    assert status == 200 and result["ok"] and result["records"] >= 3 and result["first_bad"] is None, result
    records = _trail(api, auditor, actor=people["admin"]["staff_id"])
    chain, first_seq = int(records[-1]["record_id"].split("/")[1]), int(records[-1]["record_id"].split("/")[2])
    client = shared_connection().client
    key = {"pk": {"S": f"AUDIT#{day}"}, "sk": {"S": f"C{chain:02d}#{first_seq + 1:010d}"}}
    original = client.get_item(TableName=ddb_table, Key=key)["Item"]

    def verify() -> dict:
        return api.call("GET", f"/v1/admin/audit/verify?day={day}", token=auditor)[1]

    edited = json.loads(original["body"]["S"])
    edited["reason"] = "nothing to see"
    client.put_item(TableName=ddb_table, Item={**original, "body": {"S": json.dumps(edited)}})
    assert verify()["first_bad"] == {"chain": chain, "seq": first_seq + 1, "problem": "edited"}
    client.delete_item(TableName=ddb_table, Key=key)
    assert verify()["first_bad"] == {"chain": chain, "seq": first_seq + 1, "problem": "removed"}
    # the second record put back as the third's successor place: out of order
    third_key = {"pk": key["pk"], "sk": {"S": f"C{chain:02d}#{first_seq + 2:010d}"}}
    third = client.get_item(TableName=ddb_table, Key=third_key)["Item"]
    client.put_item(TableName=ddb_table, Item={**original, "sk": third_key["sk"]})
    client.put_item(TableName=ddb_table, Item={**third, "sk": key["sk"]})
    assert verify()["first_bad"]["problem"] in ("misplaced", "reordered")
    assert verify()["ok"] is False


@pytest.mark.slow
def test_the_trail_needs_one_filter_and_pages(api, people):
    auditor = people["auditor"]["access_token"]
    status, body, _ = api.call("GET", "/v1/admin/audit", token=auditor)
    assert (status, body["error"]["code"]) == (400, "audit_filter_required")
    token = people["admin"]["access_token"]
    for n in range(3):
        api.call("POST", "/v1/admin/staff", {"username": f"pg-{n}", "password": "p" * 10, "role": "agent"},
                 token=token)
    seen, cursor = [], None
    while True:
        status, page, _ = api.call("GET", f"/v1/admin/audit?actor={people['admin']['staff_id']}&limit=2"
                                   + (f"&cursor={cursor}" if cursor else ""), token=auditor)
        assert status == 200, page
        seen += [r["record_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 3
    from tests.support.points_world import DynamoCalls

    for query in (f"actor={people['admin']['staff_id']}", f"member=c_nobody&from=2026-01-01&to={_today()}"):
        with DynamoCalls().counting() as calls:
            status, _, _ = api.call("GET", f"/v1/admin/audit?{query}&limit=2", token=auditor)
        assert status == 200 and dict(calls.ops) == {"Query": 1}, calls.log  # one call a page


@pytest.mark.slow
def test_a_write_that_fails_after_its_plan_leaves_neither_the_change_nor_a_record(api, people, monkeypatch):
    """The record rides in the action's own transaction: make that transaction fail on the wire (after the use case
    planned it and the audit record was added) and neither exists."""
    from botocore.exceptions import EndpointConnectionError

    from chalicelib.core.dynamo.connection import shared_connection
    from tests.support.partition import items_of

    member = api.app_login("13700000003")
    events = shared_connection().client.meta.events
    seen: list[int] = []

    def fail_audited(params, **_):
        if b"AUDIT#" in (params.get("body") or b""):
            seen.append(1)
            raise EndpointConnectionError(endpoint_url="http://dynamodb.injected")

    events.register("before-call.dynamodb.TransactWriteItems", fail_audited)
    try:
        status, body, _ = api.call("POST", "/v1/admin/points/adjustments",
                                   {"customer_id": member["customer_id"], "delta": 30, "reason": "注入故障"},
                                   token=people["admin"]["access_token"])
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", fail_audited)
    assert seen and status >= 500, (status, body)
    assert items_of(member["customer_id"], "L#") == []
    assert _trail(api, people["auditor"]["access_token"], member=member["customer_id"]) == []
    # the same request once the wire works: both the change and its one record
    status, _, _ = api.call("POST", "/v1/admin/points/adjustments",
                            {"customer_id": member["customer_id"], "delta": 30, "reason": "注入故障"},
                            token=people["admin"]["access_token"])
    assert status == 201
    assert len(items_of(member["customer_id"], "L#")) == 1
    assert len(_trail(api, people["auditor"]["access_token"], member=member["customer_id"])) == 1


@pytest.mark.slow
def test_staff_writes_of_every_kind_leave_their_record_and_none_holds_a_secret(api, people, ddb_table):
    from chalicelib.core.dynamo.connection import shared_connection

    admin, agent = people["admin"]["access_token"], people["agent"]["access_token"]
    member = api.app_login("13700000004")
    cid = member["customer_id"]
    calls = [
        (admin, "POST", "/v1/admin/staff", {"username": "kind-a", "password": "secret-pass-1", "role": "agent"}),
        (admin, "PUT", "/v1/admin/surveys/settings", None),
        (admin, "POST", "/v1/admin/stores", {"name": "审计店", "city": "上海", "address": "南京路1号",
                                            "opening_hours": [{"weekday": 1, "opens": "10:00", "closes": "20:00"}]}),
        (admin, "POST", "/v1/admin/points/adjustments", {"customer_id": cid, "delta": 10, "reason": "对账"}),
        (agent, "POST", f"/v1/agent/members/{cid}/compensations", {"points": 20, "reason": "道歉"}),
    ]
    expected = []
    for token, method, path, body in calls:
        if body is None:  # the settings as they are, put back
            body = api.call("GET", path, token=token)[1]
            body = {k: v for k, v in body.items() if k not in ("updated_at", "updated_by")}
        status, answer, _ = api.call(method, path, body, token=token,
                                     headers={"idempotency-key": uuid.uuid4().hex})
        assert status < 300, (path, status, answer)
        expected.append(f"{method} {path.replace(cid, '{customer_id}')}")
    staff_id = api.call("GET", "/v1/admin/staff?limit=100", token=admin)[1]["items"]
    new_id = next(s["staff_id"] for s in staff_id if s["username"] == "kind-a")
    for method, path, body in (("PATCH", f"/v1/admin/staff/{new_id}", {"role": "supervisor"}),
                               ("POST", f"/v1/admin/staff/{new_id}/password", {"password": "another-secret-9"}),
                               ("DELETE", f"/v1/admin/staff/{new_id}/totp", None)):
        status, answer, _ = api.call(method, path, body, token=admin)
        assert status < 300, (path, status, answer)
        expected.append(f"{method} {path.replace(new_id, '{staff_id}')}")
    routes = [r["route"] for r in _trail(api, people["auditor"]["access_token"], day=_today(), limit="100")]
    for route in expected:
        assert routes.count(route) == 1, (route, routes)
    raw = shared_connection().client.query(
        TableName=ddb_table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={
            ":p": {"S": f"AUDIT#{_today()}"}})["Items"]
    text = json.dumps(raw, ensure_ascii=False)
    for secret in ("secret-pass-1", "another-secret-9", "13700000004", "$2b$", "sha256$", "access_token"):
        assert secret not in text
    patched = next(r for r in _trail(api, people["auditor"]["access_token"], actor=people["admin"]["staff_id"])
                   if r["action"] == "change_staff")
    assert patched["changes"] == {"before": {"role": "agent", "disabled": False},
                                  "after": {"role": "supervisor", "disabled": False}}
