"""WeChat Pay notifications over real HTTP against two worker processes (gunicorn, DynamoDB Local) and the WeChat Pay
simulator: one notification delivered many times at once activates the membership once (one month, one
notification, the order paid once); the simulator's own delivery through ``PUT /v1/dev/payments/{order_id}``
activates; a notification replayed with another body changes nothing.

The worker processes keep their own (real) clock."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.identity import directory, sessions
from chalicelib.membership import records
from tests.support.http import Http, serve_app_processes
from tests.support.phones import new_phone
from tests.support.threads import run_all
from tools.simulators import wechatpay_sim

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def stack(ddb_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Http, Any]]:
    clock.set_now(None)
    sim, _thread = wechatpay_sim.start(port=0)
    for name, value in sim.app_env("http://127.0.0.1:9/set-below").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("STAGE", "local")
    try:
        with serve_app_processes(workers=2, timeout=120) as http:
            sim.state.notify_url_override = http.base + wechatpay_sim.NOTIFY_PATH
            yield http, sim
    finally:
        sim.stop()


def member() -> tuple[str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def order(http: Http, auth: dict[str, str], plan_id: str = "plus_month") -> str:
    status, body = http.call("POST", "/v1/membership/orders", {"plan_id": plan_id},
                             {**auth, "idempotency-key": uuid.uuid4().hex})
    assert status == 201, body
    return str(body["order_id"])


def one_month_from_now(expires_at: str) -> bool:
    expires = datetime.fromisoformat(expires_at)
    now = clock.now()
    return now + timedelta(days=27) < expires < now + timedelta(days=32)


def test_concurrent_duplicate_notifications_activate_once(stack: tuple[Http, Any]) -> None:
    http, sim = stack
    cid, auth = member()
    order_id = order(http, auth)
    sim.state.orders[order_id].trade_state = "SUCCESS"
    sim.state.orders[order_id].transaction_id = "4200000000000001"
    sim.state.orders[order_id].success_time = clock.iso()
    headers, body = wechatpay_sim.notification(sim.state.keys, sim.state.orders[order_id].transaction())
    url = http.base + wechatpay_sim.NOTIFY_PATH

    def deliver() -> int:
        status, _payload, _ = _post(url, body, headers)
        return status

    statuses = Counter(run_all([deliver] * 12))
    assert statuses == Counter({204: 12})
    status, mine = http.call("GET", "/v1/me/membership", headers=auth)
    assert status == 200 and mine["status"] == "active"
    assert one_month_from_now(mine["expires_at"]), mine["expires_at"]
    items = records.load(cid, consistent=True)
    assert [o.status for o in records.recent_orders(cid, 20, consistent=True)] == ["paid"]
    assert items.record is not None and int(items.record.ver) == 1  # one activation, one write
    status, inbox = http.call("GET", "/v1/me/notifications", headers=auth)
    assert [n["kind"] for n in inbox["items"]].count("transaction_plus_activated") == 1


def test_dev_route_makes_the_simulator_deliver_and_repeats_change_nothing(stack: tuple[Http, Any]) -> None:
    http, sim = stack
    _cid, auth = member()
    order_id = order(http, auth, "plus_year")
    calls = [lambda: http.call("PUT", f"/v1/dev/payments/{order_id}", {"result": "paid"}) for _ in range(4)]
    for status, body in run_all(calls):
        assert status == 202, body
        assert body["notification"] == "sending"
    mine = _wait_for(http, auth, "active")
    expires = datetime.fromisoformat(mine["expires_at"])
    assert clock.now() + timedelta(days=360) < expires < clock.now() + timedelta(days=370)
    _wait_until(lambda: len(sim.state.deliveries) >= 4)
    assert sim.state.deliveries == [204] * 4  # every delivery accepted; the membership extended once (above)
    status, failed = http.call("PUT", f"/v1/dev/payments/{order(http, auth)}", {"result": "failed"})
    assert status == 202 and failed["order_status"] == "failed" and failed["notification"] == "none", failed
    status, missing = http.call("PUT", "/v1/dev/payments/po000000000000000000000000000", {"result": "paid"})
    assert status == 404 and missing["error"]["code"] == "not_found"


def _wait_until(done: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _wait_for(http: Http, auth: dict[str, str], status: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def reached() -> bool:
        nonlocal seen
        _code, seen = http.call("GET", "/v1/me/membership", headers=auth)
        return bool(seen.get("status") == status)

    _wait_until(reached)
    return seen


def test_a_notification_replayed_with_another_body_changes_nothing(stack: tuple[Http, Any]) -> None:
    http, sim = stack
    cid, auth = member()
    cheap = order(http, auth)
    dear = order(http, auth, "plus_year")
    for order_id in (cheap, dear):
        sim.state.orders[order_id].trade_state = "SUCCESS"
    headers, _body = wechatpay_sim.notification(sim.state.keys, sim.state.orders[cheap].transaction())
    _h, other_body = wechatpay_sim.notification(sim.state.keys, sim.state.orders[dear].transaction())
    before = records.load(cid, consistent=True)
    status, payload, _ = _post(http.base + wechatpay_sim.NOTIFY_PATH, other_body, headers)
    assert status == 401 and payload["error"]["code"] == "payment_signature_invalid" and payload["code"] == "FAIL"
    after = records.load(cid, consistent=True)
    assert after.record is None and before.record is None
    assert sorted(o.status for o in records.recent_orders(cid, 20, consistent=True)) == ["pending", "pending"]


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, dict(response.headers)
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None, dict(err.headers)
