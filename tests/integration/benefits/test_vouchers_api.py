"""Vouchers over the in-process API and DynamoDB Local: my vouchers (status computed from the clock, filters,
pages), using one (Idempotency-Key, exactly once), redeeming one at checkout (X-Api-Key, once per order)."""

from __future__ import annotations

import pytest

from chalicelib.core import clock
from tests.support.benefits_world import BenefitsWorld
from tests.support.clock import at
from tests.support.points_world import API_KEY

pytestmark = pytest.mark.integration

KEY = {"x-api-key": API_KEY}


@pytest.fixture
def world(benefits_world: BenefitsWorld) -> BenefitsWorld:
    return benefits_world


def _voucher(world: BenefitsWorld, token: str, valid_days: int = 3) -> str:
    bid = world.benefit(per_period=50, period="day", valid_days=valid_days)
    return str(world.claim(token, bid)[1]["voucher_id"])


def test_a_voucher_expires_at_midnight_after_its_last_valid_day(world):
    _cid, token = world.member()
    vid = _voucher(world, token, valid_days=3)  # issued on the 23rd: usable through the 25th
    clock.set_now(at(2026, 11, 25, 23, 59, 59))
    assert world.vouchers(token)[0]["status"] == "available"
    clock.set_now(at(2026, 11, 26, 0, 0, 0))
    (voucher,) = world.vouchers(token)
    assert voucher["voucher_id"] == vid and voucher["status"] == "expired"
    assert voucher["expires_at"] == "2026-11-26T00:00:00+08:00"


@pytest.mark.slow
def test_status_filters_and_pages(world):
    _cid, token = world.member()
    bid = world.benefit(per_period=50, period="day", valid_days=1)
    ids = []
    for minute in range(5):
        clock.set_now(at(2026, 11, 22, 10, minute))
        ids.append(world.claim(token, bid)[1]["voucher_id"])  # expire at midnight
    clock.set_now(at(2026, 11, 23, 10, 0))
    for minute in range(3):
        clock.set_now(at(2026, 11, 23, 10, minute))
        ids.append(world.claim(token, bid)[1]["voucher_id"])
    used = ids[-1]
    status, _body, _ = world.api.call("POST", f"/v1/me/vouchers/{used}/use", {"order_no": "SO-1"}, token=token,
                                      headers={"idempotency-key": "use-1"})
    assert status == 200
    assert [v["voucher_id"] for v in world.vouchers(token)] == list(reversed(ids))
    assert len(world.vouchers(token, "status=expired")) == 5
    assert [v["voucher_id"] for v in world.vouchers(token, "status=available")] == [ids[6], ids[5]]
    (used_view,) = world.vouchers(token, "status=used")
    assert used_view["voucher_id"] == used and used_view["order_no"] == "SO-1"
    first = world.get("/v1/me/vouchers?limit=3", token)
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = world.get(f"/v1/me/vouchers?limit=10&cursor={first['next_cursor']}", token)
    assert [v["voucher_id"] for v in first["items"] + rest["items"]] == list(reversed(ids))
    assert rest["next_cursor"] is None
    status, body, _ = world.api.call("GET", "/v1/me/vouchers?cursor=bm90LWEtY3Vyc29y", token=token)
    assert status == 400 and body["error"]["code"] == "validation_error"
    status, body, _ = world.api.call("GET", "/v1/me/vouchers?status=lost", token=token)
    assert status == 400


def test_a_member_uses_a_voucher_exactly_once(world):
    _cid, token = world.member()
    vid = _voucher(world, token)
    path = f"/v1/me/vouchers/{vid}/use"
    status, first, headers = world.api.call("POST", path, {}, token=token, headers={"idempotency-key": "u-1"})
    assert status == 200 and first["status"] == "used" and "Idempotent-Replayed" not in headers
    status, again, headers = world.api.call("POST", path, {}, token=token, headers={"idempotency-key": "u-1"})
    assert status == 200 and again == first and headers.get("Idempotent-Replayed") == "true"
    status, body, _ = world.api.call("POST", path, {}, token=token, headers={"idempotency-key": "u-2"})
    assert status == 409 and body["error"]["code"] == "voucher_already_used"
    status, body, _ = world.api.call("POST", path, {"order_no": "X"}, token=token, headers={"idempotency-key": "u-1"})
    assert status == 422 and body["error"]["code"] == "idempotency_key_reused"
    assert world.vouchers(token)[0]["status"] == "used"


@pytest.mark.slow
def test_an_expired_or_unknown_or_anothers_voucher_cannot_be_used(world):
    _cid, token = world.member()
    _other, other_token = world.member()
    vid = _voucher(world, token, valid_days=1)
    status, body, _ = world.api.call("POST", f"/v1/me/vouchers/{vid}/use", {}, token=other_token,
                                     headers={"idempotency-key": "x-1"})
    assert status == 404 and body["error"]["code"] == "not_found"
    for unknown in ("v0000000000000000000000", "not-a-voucher"):
        status, body, _ = world.api.call("POST", f"/v1/me/vouchers/{unknown}/use", {}, token=token,
                                         headers={"idempotency-key": "x-2"})
        assert status == 404, body
    clock.set_now(at(2026, 11, 24, 0, 0))
    status, body, _ = world.api.call("POST", f"/v1/me/vouchers/{vid}/use", {}, token=token,
                                     headers={"idempotency-key": "x-3"})
    assert status == 409 and body["error"]["code"] == "voucher_expired"
    assert world.vouchers(token)[0]["status"] == "expired"


def test_the_till_redeems_a_voucher_once_per_order(world):
    cid, token = world.member()
    vid = _voucher(world, token)
    path = f"/v1/integrations/vouchers/{vid}/redemptions"
    status, first, _ = world.api.call("POST", path, {"customer_id": cid, "order_no": "SO-9"}, headers=KEY)
    assert status == 201 and first["status"] == "used" and first["order_no"] == "SO-9"
    status, again, _ = world.api.call("POST", path, {"customer_id": cid, "order_no": "SO-9"}, headers=KEY)
    assert status == 200 and again["voucher_id"] == vid and again["used_at"] == first["used_at"]
    status, body, _ = world.api.call("POST", path, {"customer_id": cid, "order_no": "SO-10"}, headers=KEY)
    assert status == 409 and body["error"]["code"] == "voucher_already_used"
    _other, _t = world.member()
    status, body, _ = world.api.call("POST", path, {"customer_id": _other, "order_no": "SO-9"}, headers=KEY)
    assert status == 404
    status, body, _ = world.api.call("POST", path, {"customer_id": cid, "order_no": "SO-9"},
                                     headers={"x-api-key": "wrong"})
    assert status == 401 and body["error"]["code"] == "invalid_api_key"


@pytest.mark.slow
def test_the_till_cannot_redeem_an_expired_voucher(world):
    cid, token = world.member()
    vid = _voucher(world, token, valid_days=1)
    clock.set_now(at(2026, 11, 24, 0, 0, 1))
    status, body, _ = world.api.call("POST", f"/v1/integrations/vouchers/{vid}/redemptions",
                                     {"customer_id": cid, "order_no": "SO-1"}, headers=KEY)
    assert status == 409 and body["error"]["code"] == "voucher_expired"
