"""Daily figures (``GET /v1/admin/health/daily``) on DynamoDB Local: the day counters that stream records of ledger
entries and enrolments leave are answered per Shanghai day, each counted once however often a record is delivered;
a quarter is read in at most 8 BatchGetItem calls; bad ranges are 400 in both languages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.identity import staff
from chalicelib.insights import counting
from tests.support.points_world import DynamoCalls
from tests.support.sign_in import staff_login

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(api: Any) -> str:
    name = f"daily-admin-{uuid.uuid4().hex[:6]}"
    staff.create_staff(name, "daily-admin-pass", "admin", rounds=4)
    return str(staff_login(api, name, "daily-admin-pass")["access_token"])


def entry(cid: str, seq: int, kind: str, delta: int, at: str) -> dict[str, Any]:
    """A ledger entry's stream record, as the table's stream delivers it (new image)."""
    keys = {"pk": {"S": f"CUST#{cid}"}, "sk": {"S": f"L#{at}#{seq:06d}"}}
    image = {**keys, "kind": {"S": kind}, "delta": {"N": str(delta)}, "created_at": {"S": at}}
    return {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": image}}


def enrolment(cid: str, at: str) -> dict[str, Any]:
    keys = {"pk": {"S": f"CUST#{cid}"}, "sk": {"S": "M#PROFILE"}}
    return {"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": {**keys, "created_at": {"S": at}}}}


def daily(api: Any, token: str, first: str, last: str, english: bool = False) -> tuple[int, Any]:
    headers = {"accept-language": "en"} if english else None
    status, body, _ = api.call("GET", f"/v1/admin/health/daily?from={first}&to={last}", token=token, headers=headers)
    return status, body


@pytest.mark.slow
def test_each_day_answers_what_was_counted_on_it_once(api: Any, admin: str):
    a, b = f"d{uuid.uuid4().hex[:10]}", f"d{uuid.uuid4().hex[:10]}"
    records = [
        enrolment(a, "2031-03-01T09:00:00+08:00"),
        entry(a, 1, "purchase", 300, "2031-03-01T10:00:00+08:00"),
        entry(a, 2, "purchase", 200, "2031-03-01T23:30:00+08:00"),  # still the 1st in Shanghai
        entry(b, 1, "purchase", 50, "2031-03-01T16:30:00+00:00"),  # 00:30 on the 2nd in Shanghai
        entry(a, 3, "redemption", -120, "2031-03-02T12:00:00+08:00"),
        entry(b, 2, "expiry", -30, "2031-03-03T01:00:00+08:00"),
    ]
    for record in records + records[:3]:  # a redelivered batch counts nothing twice
        counting.handle_raw(record)
    status, body = daily(api, admin, "2031-02-28", "2031-03-03")
    assert status == 200, body
    got = {d["day"]: (d["active_members"], d["enrolled"], d["points_issued"], d["points_redeemed"],
                      d["points_expired"]) for d in body["days"]}
    assert got == {"2031-02-28": (0, 0, 0, 0, 0), "2031-03-01": (1, 1, 500, 0, 0), "2031-03-02": (2, 0, 50, 120, 0),
                   "2031-03-03": (0, 0, 0, 0, 30)}


def test_a_quarter_is_read_in_at_most_eight_batch_gets(api: Any, admin: str):
    with DynamoCalls().counting() as calls:
        status, body = daily(api, admin, "2031-01-01", "2031-04-02")  # 92 days x 8 shards = 736 keys
    assert status == 200 and len(body["days"]) == 92, body
    assert dict(calls.ops) == {"BatchGetItem": 8}, calls.ops


@pytest.mark.parametrize(("first", "last", "code"), [
    ("2031-01-01", "2031-04-03", "daily_range_too_large"), ("2031-03-02", "2031-03-01", "validation_error"),
    ("2031-02-30", "2031-03-01", "validation_error"), ("2031-3-1", "2031-03-01", "validation_error"),
])
def test_bad_ranges_are_400_in_both_languages(api: Any, admin: str, first: str, last: str, code: str):
    status, zh = daily(api, admin, first, last)
    assert (status, zh["error"]["code"]) == (400, code), zh
    status, en = daily(api, admin, first, last, english=True)
    assert status == 400 and en["error"]["message"] != zh["error"]["message"]


def test_only_operators_read_it(api: Any):
    member = api.app_login("13700000931")
    status, body, _ = api.call("GET", "/v1/admin/health/daily?from=2031-01-01&to=2031-01-02",
                               token=member["access_token"])
    assert (status, body["error"]["code"]) == (403, "forbidden")
