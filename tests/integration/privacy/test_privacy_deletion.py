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


@pytest.mark.slow
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


@pytest.mark.slow
def test_plus_is_not_renewed_while_cooling_off_and_leaves_every_renewal_path_at_erasure(mall: MallWorld,
                                                                                        monkeypatch):
    """Plus is bought per period (no recurring debit): its renewal paths are an order and the reminders 15 and 3 days
    before expiry, with a renewal voucher. While the deletion cools off, neither; a cancel restores nothing the
    member did not have (the membership was never touched); the erasure takes it off the expiry index."""
    from chalicelib.core.calendar import business_day
    from chalicelib.core.dynamo.tx import Tx
    from chalicelib.membership import records, reminders
    from chalicelib.membership.models import MEMBERSHIP_SK, MembershipItem
    from chalicelib.membership.rules import Membership
    from chalicelib.privacy import erasure

    cid, token = mall.member()
    now = clock.now()
    tx = Tx()
    records.put_in(tx, cid, Membership(kind="paid", plan_id="plus_month", started_at=now - timedelta(days=15),
                                       expires_at=now + timedelta(days=15), anchor_day=1,
                                       year_start=now - timedelta(days=15)), None)
    tx.commit()
    assert mall.get("/v1/me/deletion/preview", token)["plus"]["active"] is True

    assert mall.api.call("POST", "/v1/me/deletion", {"confirm": True}, token=token)[0] == 202
    assert reminders.remind(cid, 15, now) == "skipped"  # no renewal asked of a member closing their account
    status, body, _ = mall.api.call("POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token=token,
                                    headers={"idempotency-key": "plus-in-cooling-off"})
    assert (status, body["error"]["code"]) == (409, "deletion_pending")

    assert mall.api.call("DELETE", "/v1/me/deletion", token=token)[0] == 204
    assert mall.get("/v1/me/membership", token)["expires_at"]  # still Plus, as before the request
    assert reminders.remind(cid, 15, now) == "sent"

    expiry_day = business_day(now + timedelta(days=15))
    assert cid in [m.customer_id for m in reminders.due(expiry_day)]
    monkeypatch.setenv("DELETION_COOLING_OFF_DAYS", "0")
    assert mall.api.call("POST", "/v1/me/deletion", {"confirm": True}, token=token)[0] == 202
    with frozen_clock(now + timedelta(minutes=1)):
        erasure.erase({"customer_id": cid})
    held = MembershipItem.get(f"CUST#{cid}", MEMBERSHIP_SK)
    assert held.gsi1pk is None and held.gsi1sk is None  # no reminder job finds it again
    assert cid not in [m.customer_id for m in reminders.due(expiry_day)]
