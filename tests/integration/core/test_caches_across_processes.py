"""What an operator creates or changes reaches every process, as it must reach every Lambda container: two gunicorn
worker processes (``serve_app_processes``) over one DynamoDB Local, each with its own in-process caches.

- A reward created through one request is served by every process at once (an unknown id reads through), and so
  is a benefit: it is claimable at once everywhere.
- A benefit disabled through one request is refused by every process within the caches' bound
  (5 s, ``table_cache.MAX_STALENESS_SECONDS``), polled for at most the bound plus one second.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.benefits import definitions
from chalicelib.core.dynamo import table_cache
from chalicelib.core.http.principal import Principal
from chalicelib.identity import directory, sessions
from chalicelib.mall import rewards
from tests.support.http import serve_app_processes
from tests.support.phones import new_phone

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

BOUND = 5.0  # seconds: the bound the README states
ADMIN = Principal(subject="cache-admin", role="admin", staff_id="stf_cache_admin")


def _admin() -> dict[str, str]:
    return {"authorization": f"Bearer {sessions.issue(ADMIN)['access_token']}"}


def _member() -> dict[str, str]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    return {"authorization": f"Bearer {sessions.issue(sessions.member_principal(cid))['access_token']}"}


def _at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def go(call: Callable[[], Any]) -> Any:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(go, calls))


def test_the_caches_bound_is_a_few_seconds():
    assert table_cache.MAX_STALENESS_SECONDS <= BOUND
    for ttl in (rewards.DEF_CACHE_SECONDS, definitions.CACHE_SECONDS):
        assert ttl <= table_cache.MAX_STALENESS_SECONDS


def test_a_created_reward_is_served_at_once_by_every_process(ddb_table: str):
    rewards.reset_cache()
    with serve_app_processes(workers=2) as server:
        # Every process has read the catalogue (and cached what it saw) before the reward exists.
        assert all(status == 200 for status, _ in _at_once([lambda: server.call("GET", "/v1/rewards")] * 10))
        status, created = server.call("POST", "/v1/admin/rewards", {
            "name": "跨进程券", "points_cost": 10, "stock": 5, "fulfillment": "in_house"}, headers=_admin())
        assert status == 201, created
        path = f"/v1/rewards/{created['reward_id']}"
        seen = _at_once([lambda: server.call("GET", path)] * 20)
        assert Counter(status for status, _ in seen) == Counter({200: 20}), seen
        assert {body["name"] for _, body in seen} == {"跨进程券"}


def test_a_created_benefit_is_claimable_at_once_in_every_process(ddb_table: str):
    definitions.reset_cache()
    with serve_app_processes(workers=2) as server:
        member = _member()
        # Every process has read (and cached) the benefits zone before the benefit exists.
        assert all(status == 200 for status, _ in _at_once([lambda: server.call("GET", "/v1/benefits",
                                                                                 headers=member)] * 10))
        status, created = server.call("POST", "/v1/admin/benefits", {
            "name": "即时权益", "tiers": ["base"], "quota": {"per_period": 1000, "period": "day"},
            "voucher_valid_days": 7}, headers=_admin())
        assert status == 201, created
        path = f"/v1/benefits/{created['benefit_id']}/claims"
        claims = _at_once([lambda: server.call("POST", path, headers={**member, "idempotency-key": uuid.uuid4().hex})]
                          * 20)
        assert Counter(status for status, _ in claims) == Counter({201: 20}), claims


def test_a_disabled_benefit_is_refused_by_every_process_within_the_bound(ddb_table: str):
    definitions.reset_cache()
    bound = BOUND
    with serve_app_processes(workers=2) as server:
        status, created = server.call("POST", "/v1/admin/benefits", {
            "name": "跨进程权益", "tiers": ["base"], "quota": {"per_period": 1000, "period": "day"},
            "voucher_valid_days": 7}, headers=_admin())
        assert status == 201, created
        path = f"/v1/benefits/{created['benefit_id']}/claims"
        member = _member()

        def claim() -> tuple[int, Any]:
            return server.call("POST", path, headers={**member, "idempotency-key": uuid.uuid4().hex})

        # Claimable everywhere (within the bound, as a creation reaches the other processes' caches), so that
        # every process has the enabled benefit cached when it is disabled.
        deadline = time.monotonic() + bound + 1
        while True:
            statuses = Counter(status for status, _ in _at_once([claim] * 20))
            if statuses == Counter({201: 20}):
                break
            assert time.monotonic() < deadline, f"not claimable everywhere within {bound} s: {statuses}"
            time.sleep(0.2)

        status, body = server.call("POST", f"/v1/admin/benefits/{created['benefit_id']}/disable", headers=_admin())
        assert status == 200, body
        disabled_at = time.monotonic()
        while True:
            results = _at_once([claim] * 20)
            statuses = Counter(status for status, _ in results)
            if 201 not in statuses:
                break
            assert time.monotonic() - disabled_at < bound + 1, (
                f"still claimable {time.monotonic() - disabled_at:.1f} s after the disable: {statuses}")
            time.sleep(0.2)
        assert {body["error"]["code"] for _, body in results} <= {"benefit_not_available", "not_found"}, results
