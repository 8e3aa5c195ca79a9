"""Real concurrent HTTP requests (threads) against chalice's threaded dev server over DynamoDB Local: many
simultaneous orders, duplicate deliveries, check-in taps and refunds for one member end exactly right, and
balance = sum of ledger = sum of buckets afterwards."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.identity import api_keys, directory, sessions, staff
from tests.support.clock import frozen_clock
from tests.support.http import Http, serve_app_processes
from tests.support.phones import new_phone
from tests.support.points_world import API_KEY, assert_consistent
from tests.support.threads import call_it, run_at_once

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

WORKERS = 24


@pytest.fixture
def http(ddb_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Http]:
    """Two worker processes sharing one DynamoDB Local: no lock or cache in one process can make a race pass.

    The refund race spends 600 points by an admin's adjustment to set the member up; over the default approval
    threshold (500) that would wait for a supervisor (maker-checker, tested in ``test_approvals.py``), so these
    processes allow it directly."""
    monkeypatch.setenv("APPROVAL_THRESHOLD_POINTS", "1000")
    with frozen_clock(), serve_app_processes(workers=2) as server:
        api_keys.create_api_key("concurrency", API_KEY)
        yield server


def member() -> tuple[str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def order_body(order_no: str, cid: str, amount: int) -> dict[str, Any]:
    return {"order_no": order_no, "customer": {"customer_id": cid}, "amount_fen": amount, "channel": "store",
            "paid_at": clock.now().isoformat()}


def run_all(calls: list[Any]) -> list[tuple[int, Any]]:
    return run_at_once(call_it, [(c,) for c in calls], 10, workers=WORKERS)


def test_simultaneous_orders_and_duplicate_deliveries_award_each_order_once(http: Http):
    cid, auth = member()
    key = {"x-api-key": API_KEY}
    amounts = {f"CC-{i}": 1_000 + 100 * i for i in range(24)}
    calls = [
        (lambda no=no, amount=amount: http.call("POST", "/v1/integrations/orders", order_body(no, cid, amount), key))
        for no, amount in amounts.items()
        for _ in range(2)  # every order delivered twice at once
    ]
    results = run_all(calls)
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 24, 200: 24}, [r for r in results if r[0] not in (200, 201)]
    awarded = Counter()
    for _status, body in results:
        awarded[body["order_no"]] += body["points_awarded"]
    assert awarded == {no: amount // 100 for no, amount in amounts.items()}
    _status, view = http.call("GET", "/v1/me/points", headers=auth)
    assert view["balance"] == sum(amount // 100 for amount in amounts.values())
    assert_consistent(cid)


def test_simultaneous_check_in_taps_award_once(http: Http):
    cid, auth = member()
    results = run_all([lambda: http.call("POST", "/v1/me/check-ins", headers=auth) for _ in range(12)])
    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: 11}, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"already_checked_in"}
    assert http.call("GET", "/v1/me/points", headers=auth)[1]["balance"] == 5
    assert_consistent(cid)


def test_simultaneous_refunds_reverse_exactly_and_never_below_zero(http: Http):
    cid, auth = member()
    key = {"x-api-key": API_KEY}
    assert http.call("POST", "/v1/integrations/orders", order_body("RR-1", cid, 99_999), key)[0] == 201  # 999
    admin_id = staff.create_staff("conc-admin", "conc-admin-pass", "admin", rounds=4)
    assert admin_id
    _status, tokens = http.call("POST", "/v1/staff/login", {"username": "conc-admin", "password": "conc-admin-pass"})
    admin = {"authorization": f"Bearer {tokens['access_token']}"}
    spend = http.call("POST", "/v1/admin/points/adjustments", {"customer_id": cid, "delta": -600, "reason": "兑换"},
                      admin)
    assert spend[0] == 201, spend
    parts = [4_000] * 24 + [3_999]  # 99,999 fen in 25 refunds, plus 5 that find nothing left
    calls = [(lambda part=part: http.call("POST", "/v1/integrations/orders/RR-1/refunds", {"amount_fen": part}, key))
             for part in parts + [1_000] * 5]
    results = run_all(calls)
    ok = [body for status, body in results if status == 201]
    refused = [body["error"]["code"] for status, body in results if status != 201]
    assert len(ok) + len(refused) == 30
    assert sum(b["amount_fen"] for b in ok) <= 99_999
    assert set(refused) <= {"refund_exceeds_order"}, refused
    assert sum(b["points_reversed"] for b in ok) == 999 * sum(b["amount_fen"] for b in ok) // 99_999
    view = http.call("GET", "/v1/me/points", headers=auth)[1]
    reversed_total = sum(b["points_reversed"] for b in ok)
    assert view["balance"] == max(0, 399 - reversed_total)
    assert view["debt"] == max(0, reversed_total - 399)
    assert_consistent(cid)


def test_a_mixed_burst_keeps_every_invariant(http: Http):
    cid, auth = member()
    key = {"x-api-key": API_KEY}
    for i in range(4):
        assert http.call("POST", "/v1/integrations/orders", order_body(f"MX-{i}", cid, 20_000), key)[0] == 201
    calls: list[Any] = []
    calls += [(lambda i=i: http.call("POST", "/v1/integrations/orders", order_body(f"MY-{i}", cid, 3_000), key))
              for i in range(10)]
    calls += [(lambda i=i: http.call("POST", f"/v1/integrations/orders/MX-{i % 4}/refunds", {"amount_fen": 5_000},
                                     key)) for i in range(10)]
    calls += [(lambda: http.call("POST", "/v1/me/check-ins", headers=auth)) for _ in range(4)]
    results = run_all(calls)
    assert all(status in (200, 201, 409) for status, _ in results), results
    assert sum(1 for status, _ in results if status == 201) >= 21
    view = http.call("GET", "/v1/me/points", headers=auth)[1]
    assert view["balance"] == 800 + 300 - 500 + 5
    assert_consistent(cid)
