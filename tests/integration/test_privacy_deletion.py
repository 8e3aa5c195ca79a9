"""Closing the account: the preview, the request and its cooling-off (no spending, still signed in), the cancel."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from tests.support.clock import frozen_clock
from tests.support.mall_world import MallWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def mall(api: Any) -> MallWorld:
    return MallWorld.make(api)


def test_a_deletion_cools_off_refuses_spending_and_can_be_cancelled(mall: MallWorld, monkeypatch):
    monkeypatch.setenv("DELETION_COOLING_OFF_DAYS", "7")
    _, token = mall.member(points_held=500)
    reward = mall.reward(points_cost=100)
    preview = mall.get("/v1/me/deletion/preview", token)
    assert preview["points_balance"] == 500 and preview["blocking"] == []
    assert preview["plus"] == {"active": False, "days_left": 0}
    assert mall.get("/v1/me/deletion", token)["status"] == "none"

    status, body, _ = mall.api.call("POST", "/v1/me/deletion", {"confirm": False}, token=token)
    assert (status, body["error"]["code"]) == (400, "validation_error")
    assert mall.get("/v1/me/deletion", token)["status"] == "none"

    status, asked, _ = mall.api.call("POST", "/v1/me/deletion", {"confirm": True, "reason": "不再使用"}, token=token)
    assert status == 202 and asked["status"] == "cooling_off", asked
    effective = clock.parse(asked["effective_at"])
    assert timedelta(days=6, hours=23) < effective - clock.now() <= timedelta(days=7)
    again = mall.api.call("POST", "/v1/me/deletion", {"confirm": True}, token=token)
    assert again[0] == 202 and again[1]["effective_at"] == asked["effective_at"]

    # still signed in and reading; spending refused, in the envelope, in English too
    assert mall.get("/v1/me", token)["points"]["balance"] == 500
    status, body, _ = mall.redeem(token, reward, headers={"accept-language": "en"})
    assert (status, body["error"]["code"]) == (409, "deletion_pending")
    assert "close your account" in body["error"]["message"]
    assert mall.balance(token) == 500

    status, _, _ = mall.api.call("DELETE", "/v1/me/deletion", token=token)
    assert status == 204
    assert mall.get("/v1/me/deletion", token)["status"] == "none"
    status, body, _ = mall.redeem(token, reward)
    assert status == 201, body
    status, body, _ = mall.api.call("DELETE", "/v1/me/deletion", token=token)
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_after_the_cooling_off_the_deletion_cannot_be_cancelled(mall: MallWorld):
    _, token = mall.member()
    status, asked, _ = mall.api.call("POST", "/v1/me/deletion", {"confirm": True}, token=token)
    assert status == 202
    with frozen_clock(clock.parse(asked["effective_at"]) + timedelta(minutes=1)):
        assert mall.get("/v1/me/deletion", token)["status"] == "erasing"
        status, body, _ = mall.api.call("DELETE", "/v1/me/deletion", token=token)
        assert (status, body["error"]["code"]) == (409, "deletion_not_cancellable")
