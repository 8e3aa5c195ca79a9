"""Real concurrent HTTP requests (threads) against chalice's threaded dev server over DynamoDB Local: simultaneous
claims never pass a quota, one Idempotency-Key issues one voucher, simultaneous first sign-ins of one person get
one opening gift pack, and simultaneous redemptions of one voucher at the till use it once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.benefits import definitions
from chalicelib.benefits.models import QuotaCounterItem
from chalicelib.identity import api_keys, directory, sessions
from tests.support.clock import at, frozen_clock
from tests.support.http import Http, serve_app_processes
from tests.support.phones import new_phone
from tests.support.threads import call_it, run_at_once

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKERS = 32
API_KEY = "benefits-concurrency-key-0123456789"


@pytest.fixture
def http(api: Any) -> Iterator[Http]:
    """The app in two worker processes (``serve_app_processes``), on the ``api`` fixture's tables and simulator."""
    with frozen_clock(at(2026, 11, 23, 10, 0)):
        definitions.reset_cache()
        with serve_app_processes(workers=2) as server:
            api_keys.create_api_key("benefits-concurrency", API_KEY)
            yield server


def run_all(calls: list[Callable[[], Any]]) -> list[Any]:
    return run_at_once(call_it, [(c,) for c in calls], 10, workers=WORKERS)


def member() -> tuple[str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def benefit(per_period: int, period: str, trigger: str = "claim", tiers: tuple[str, ...] = ("base",)) -> str:
    return definitions.create({"name": f"b-{per_period}-{period}", "tiers": list(tiers), "trigger": trigger,
                            "quota": {"per_period": per_period, "period": period}, "voucher_valid_days": 7},
                           "test").benefit_id


def vouchers_of(http: Http, auth: dict[str, str]) -> list[dict[str, Any]]:
    status, page, _ = http.call_with_headers("GET", "/v1/me/vouchers?limit=100", headers=auth)
    assert status == 200, page
    return list(page["items"])


def test_thirty_simultaneous_claims_of_a_daily_quota_of_three_issue_exactly_three(http: Http):
    bid = benefit(3, "day")
    cid, auth = member()
    claims = [(lambda: http.call_with_headers("POST", f"/v1/benefits/{bid}/claims",
                                 headers={**auth, "idempotency-key": uuid.uuid4().hex})) for _ in range(30)]
    results = run_all(claims)
    statuses = Counter(status for status, _, _ in results)
    assert statuses == {201: 3, 409: 27}, [r for r in results if r[0] not in (201, 409)]
    assert {body["error"]["code"] for status, body, _ in results if status == 409} == {"quota_exhausted"}
    issued = {body["voucher_id"] for status, body, _ in results if status == 201}
    assert {v["voucher_id"] for v in vouchers_of(http, auth)} == issued
    counters = list(QuotaCounterItem.query(f"CUST#{cid}", QuotaCounterItem.sk.startswith("M#QNOW#"),
                                           consistent_read=True))
    assert [int(c.count) for c in counters] == [3]
    _status, zone, _ = http.call_with_headers("GET", "/v1/benefits", headers=auth)
    (item,) = [b for b in zone["items"] if b["benefit_id"] == bid]
    assert item["quota"]["used"] == 3 and item["quota"]["remaining"] == 0


def test_simultaneous_claims_of_several_members_each_stop_at_their_own_quota(http: Http):
    bid = benefit(2, "week")
    members = [member() for _ in range(4)]
    claims = [(lambda auth=auth: http.call_with_headers("POST", f"/v1/benefits/{bid}/claims",
                                           headers={**auth, "idempotency-key": uuid.uuid4().hex}))
              for _cid, auth in members for _ in range(8)]
    results = run_all(claims)
    assert Counter(status for status, _, _ in results) == {201: 8, 409: 24}
    for _cid, auth in members:
        assert len(vouchers_of(http, auth)) == 2


def test_one_idempotency_key_sent_many_times_at_once_issues_one_voucher(http: Http):
    bid = benefit(10, "month")
    _cid, auth = member()
    headers = {**auth, "idempotency-key": "tap-tap-tap"}
    results = run_all([(lambda: http.call_with_headers("POST", f"/v1/benefits/{bid}/claims", headers=headers))
                       for _ in range(12)])
    assert {status for status, _, _ in results} == {201}, results
    assert len({body["voucher_id"] for _, body, _ in results}) == 1
    replayed = [h.get("Idempotent-Replayed") for _, _, h in results]
    assert replayed.count("true") == 11
    assert len(vouchers_of(http, auth)) == 1


def test_simultaneous_first_sign_ins_of_one_person_get_one_gift_pack(http: Http):
    benefit(2, "lifetime", trigger="opening_gift", tiers=("base", "silver"))
    benefit(1, "lifetime", trigger="opening_gift")
    openid, unionid = f"o-gift-{uuid.uuid4().hex[:8]}", f"u-gift-{uuid.uuid4().hex[:8]}"
    calls: list[Callable[[], Any]] = []
    for i in range(16):  # the same mini-program user tapping, and the official account joining by unionid
        calls.append(lambda i=i: http.call_with_headers("POST", "/v1/auth/miniprogram/login",
                                           {"code": f"mock:{openid}:{unionid}#{i}"}))
    results = run_all(calls)
    assert {status for status, _, _ in results} == {200}, results
    customers = {body["customer_id"] for _, body, _ in results}
    assert len(customers) == 1
    assert sum(body["new_member"] for _, body, _ in results) == 1
    auth = {"authorization": f"Bearer {results[0][1]['access_token']}"}
    mine = vouchers_of(http, auth)
    assert len(mine) == 3 and {v["source"] for v in mine} == {"opening_gift"}


def test_simultaneous_redemptions_of_one_voucher_at_the_till_use_it_once(http: Http):
    bid = benefit(1, "day")
    cid, auth = member()
    status, claimed, _ = http.call_with_headers(
        "POST", f"/v1/benefits/{bid}/claims", headers={**auth, "idempotency-key": "k"}
    )
    assert status == 201
    vid = claimed["voucher_id"]
    key = {"x-api-key": API_KEY}
    results = run_all([(lambda i=i: http.call_with_headers("POST", f"/v1/integrations/vouchers/{vid}/redemptions",
                                              {"customer_id": cid, "order_no": f"SO-{i}"}, key)) for i in range(16)])
    statuses = Counter(status for status, _, _ in results)
    assert statuses == {201: 1, 409: 15}, results
    (winner,) = [body for status, body, _ in results if status == 201]
    (voucher,) = vouchers_of(http, auth)
    assert voucher["status"] == "used" and voucher["order_no"] == winner["order_no"]
