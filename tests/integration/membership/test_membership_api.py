"""Plus membership over the in-process API and DynamoDB Local: plans, my membership, the trial (once per person,
across merged accounts), ordering with Idempotency-Key, WeChat Pay notifications (verified, decrypted, applied once;
forged, altered or stale ones change nothing), renewals from the current expiry, GET /v1/me's Plus status, the
settling job, agents' refunds; every error in the envelope, zh and en."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from chalicelib.core import clock
from chalicelib.identity import directory, merges
from chalicelib.membership import orders, plans, reminders
from tests.support.clock import at
from tests.support.contract import TableSnapshot, assert_envelope, changed_keys, is_rate_counter
from tests.support.membership_world import NOTIFY, MembershipWorld
from tests.support.points_world import PointsWorld
from tools.simulators import wechatpay_sim

pytestmark = pytest.mark.integration

NOW = at(2026, 12, 1, 10, 0)


@pytest.fixture(scope="module")
def paysim() -> Iterator[Any]:
    server, _thread = wechatpay_sim.start(port=0)
    yield server
    server.stop()


@pytest.fixture
def world(api: Any, paysim: Any, monkeypatch: pytest.MonkeyPatch, ddb_endpoint: str,
          ddb_table: str) -> Iterator[MembershipWorld]:
    for name, value in paysim.app_env("http://127.0.0.1:9/unused").items():
        monkeypatch.setenv(name, value)
    clock.set_now(NOW)
    plans.reset_cache()
    w = MembershipWorld.make(api)
    w.sim = paysim
    w.snapshot = TableSnapshot(ddb_endpoint, (ddb_table,))
    yield w
    clock.set_now(None)


def test_plans_are_the_seeded_monthly_and_yearly_in_fen(world: MembershipWorld) -> None:
    plans.seed_defaults()
    status, body, _ = world.call("GET", "/v1/membership/plans")
    assert status == 200
    assert {(p["plan_id"], p["period"], p["price_fen"]) for p in body["items"]} == {
        ("plus_month", "month", 1500), ("plus_year", "year", 9900)}


def test_a_new_member_has_none_and_me_says_so(world: MembershipWorld) -> None:
    _cid, token = world.member()
    assert world.membership(token) == {"status": "none", "plan_id": None, "expires_at": None, "trial_used": False,
                                       "savings": {"since": None, "total_fen": 0, "items": []}}
    assert world.get("/v1/me", token)["plus"] == {"status": "none", "expires_at": None}


@pytest.mark.slow
def test_trial_is_seven_days_once_and_shows_on_me(world: MembershipWorld) -> None:
    _cid, token = world.member()
    status, body, _ = world.call("POST", "/v1/membership/trial", token=token)
    assert status == 201, body
    assert body["status"] == "trial" and body["expires_at"] == "2026-12-08T10:00:00+08:00"
    assert world.get("/v1/me", token)["plus"] == {"status": "trial", "expires_at": "2026-12-08T10:00:00+08:00"}
    inbox = world.get("/v1/me/notifications", token)["items"]
    assert [n["kind"] for n in inbox] == ["plus_trial_started"]
    for english in (False, True):
        status, body, headers = world.call("POST", "/v1/membership/trial", token=token,
                                           headers={"accept-language": "en"} if english else None)
        assert_envelope(status, body, headers, "trial_already_used", english=english)
    clock.set_now(NOW + timedelta(days=8))
    assert world.membership(token)["status"] == "expired"
    status, body, headers = world.call("POST", "/v1/membership/trial", token=token)
    assert_envelope(status, body, headers, "trial_already_used")


@pytest.mark.slow
def test_trial_counts_as_used_across_merged_accounts(world: MembershipWorld) -> None:
    used_cid, used_token = world.member()
    assert world.call("POST", "/v1/membership/trial", token=used_token)[0] == 201
    openid = f"o-{uuid.uuid4().hex[:12]}"
    other_cid = directory.create_customer(directory.Identity("wechat_mp", "wx-local-miniprogram", openid),
                                          channel="miniprogram").customer_id
    other_token = world.session(other_cid)
    absorbed = directory.load_customer(used_cid)
    survivor = directory.load_customer(other_cid)
    assert absorbed is not None and survivor is not None
    merges.merge(absorbed, survivor, "test")
    status, body, headers = world.call("POST", "/v1/membership/trial", token=other_token)
    assert_envelope(status, body, headers, "trial_already_used")
    # the survivor keeps the later expiry: the absorbed account's trial
    assert world.membership(other_token)["expires_at"] == "2026-12-08T10:00:00+08:00"


def _verify_merchant_signature(world: MembershipWorld, message: str, signature: str) -> None:
    world.sim.state.keys.merchant.public_key().verify(base64.b64decode(signature), message.encode(),
                                                      padding.PKCS1v15(), hashes.SHA256())


def test_order_gives_jsapi_parameters_signed_with_the_merchant_key(world: MembershipWorld) -> None:
    _cid, token, openid = world.wechat_member("wechat_mp")
    key = uuid.uuid4().hex
    body = world.order(token, "plus_year", key=key, channel="miniprogram")
    assert body["amount_fen"] == 9900 and body["status"] == "pending"
    pay = body["payment"]
    assert pay["kind"] == "jsapi" and pay["appId"] == wechatpay_sim.APP_ID
    assert pay["package"].startswith("prepay_id=wx") and pay["signType"] == "RSA"
    _verify_merchant_signature(world, f"{pay['appId']}\n{pay['timeStamp']}\n{pay['nonceStr']}\n{pay['package']}\n",
                               pay["paySign"])
    placed = world.sim.state.orders[body["order_id"]].request
    assert placed["appid"] == wechatpay_sim.APP_ID and placed["payer"] == {"openid": openid}
    status, again, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "plus_year"}, token,
                                        {"idempotency-key": key, "x-channel": "miniprogram"})
    assert status == 201 and again == body and headers.get("Idempotent-Replayed") == "true"
    status, out, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token,
                                      {"idempotency-key": key})
    assert_envelope(status, out, headers, "idempotency_key_reused")
    status, out, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "gold"}, token,
                                      {"idempotency-key": uuid.uuid4().hex, "accept-language": "en"})
    assert_envelope(status, out, headers, "plan_not_found", english=True)
    assert world.membership(token)["status"] == "none"  # nothing until the payment is confirmed


def test_the_official_account_pays_by_jsapi_under_its_own_app_id_and_openid(world: MembershipWorld) -> None:
    _cid, token, openid = world.wechat_member("wechat_oa")
    body = world.order(token, "plus_month", channel="wechat_oa")
    pay = body["payment"]
    assert pay["kind"] == "jsapi" and pay["appId"] == wechatpay_sim.OA_APP_ID
    _verify_merchant_signature(world, f"{pay['appId']}\n{pay['timeStamp']}\n{pay['nonceStr']}\n{pay['package']}\n",
                               pay["paySign"])
    placed = world.sim.state.orders[body["order_id"]].request
    assert placed["appid"] == wechatpay_sim.OA_APP_ID and placed["payer"] == {"openid": openid}
    assert world.notify(body["order_id"])[0] == 204  # the notification names the official account's app ID
    assert world.membership(token)["status"] == "active"


def test_the_app_pays_by_app_pay_with_what_the_opensdk_payreq_needs(world: MembershipWorld) -> None:
    _cid, token = world.member()  # signed in by phone in the app
    body = world.order(token, "plus_month", channel="app")
    pay = body["payment"]
    assert set(pay) == {"kind", "appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}
    assert (pay["kind"], pay["appid"], pay["partnerid"], pay["package"]) == (
        "app", wechatpay_sim.OPEN_APP_ID, wechatpay_sim.MCH_ID, "Sign=WXPay")
    _verify_merchant_signature(world, f"{pay['appid']}\n{pay['timestamp']}\n{pay['noncestr']}\n{pay['prepayid']}\n",
                               pay["sign"])
    order = world.sim.state.orders[body["order_id"]]
    assert order.kind == "app" and "payer" not in order.request and order.prepay_id == pay["prepayid"]
    assert world.notify(body["order_id"])[0] == 204
    assert world.membership(token)["status"] == "active"


def test_outside_wechat_and_the_app_the_member_pays_by_qr_code_or_h5(world: MembershipWorld) -> None:
    _cid, token = world.member()
    native = world.order(token, "plus_month")["payment"]
    assert native["kind"] == "native" and native["code_url"].startswith("weixin://wxpay/")
    h5 = world.order(token, "plus_month", payment_kind="h5")
    assert h5["payment"]["kind"] == "h5" and h5["payment"]["h5_url"].startswith("https://")
    scene = world.sim.state.orders[h5["order_id"]].request["scene_info"]
    assert scene["payer_client_ip"] and scene["h5_info"] == {"type": "Wap"}


@pytest.mark.slow
def test_a_channel_that_cannot_pay_is_409_naming_what_is_missing(world: MembershipWorld,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cid, token = world.member()  # a phone member: no openid of the mini-program nor of the official account
    before = world.snapshot.take()
    for channel in ("miniprogram", "wechat_oa"):
        for english in (False, True):
            status, out, headers = world.call(
                "POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token,
                {"idempotency-key": uuid.uuid4().hex, "x-channel": channel,
                 **({"accept-language": "en"} if english else {})})
            assert_envelope(status, out, headers, "wechat_sign_in_required", english=english)
            assert out["error"]["details"][0]["field"] == "X-Channel"
    status, out, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token,
                                      {"idempotency-key": uuid.uuid4().hex, "x-channel": "hotline"})
    assert_envelope(status, out, headers, "payment_channel_unsupported")
    monkeypatch.delenv("WECHATPAY_OPEN_APP_ID")  # a stage without the app's open-platform app ID
    status, out, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token,
                                      {"idempotency-key": uuid.uuid4().hex, "x-channel": "app"})
    assert_envelope(status, out, headers, "payment_channel_unsupported")
    assert not [o for o in world.sim.state.orders.values() if o.request.get("attach") == cid]  # none placed
    assert {k for k in changed_keys(before, world.snapshot.take()) if not is_rate_counter(k)} == set()


def test_notification_activates_once_however_often_it_arrives(world: MembershipWorld) -> None:
    _cid, token = world.member()
    order = world.order(token, "plus_month")
    for _ in range(3):
        status, body, _ = world.notify(order["order_id"])
        assert status == 204, body
    mine = world.membership(token)
    assert mine["status"] == "active" and mine["plan_id"] == "plus_month"
    assert mine["expires_at"] == "2027-01-01T10:00:00+08:00"
    kinds = [n["kind"] for n in world.get("/v1/me/notifications", token)["items"]]
    assert kinds.count("transaction_plus_activated") == 1


def test_renewal_while_active_extends_from_the_current_expiry(world: MembershipWorld) -> None:
    _cid, token = world.member()
    world.notify(world.order(token, "plus_month")["order_id"])
    clock.set_now(NOW + timedelta(days=20))
    world.notify(world.order(token, "plus_year")["order_id"])
    mine = world.membership(token)
    assert mine["expires_at"] == "2028-01-01T10:00:00+08:00" and mine["plan_id"] == "plus_year"


def _unchanged(world: MembershipWorld, token: str, send: Any) -> tuple[int, Any, dict]:
    before = world.snapshot.take()
    out = send()
    assert changed_keys(before, world.snapshot.take()) == set()
    assert world.membership(token)["status"] == "none"
    return out  # type: ignore[no-any-return]


@pytest.mark.slow
def test_forged_altered_stale_and_mismatched_notifications_change_nothing(world: MembershipWorld) -> None:
    _cid, token = world.member()
    order_id = world.order(token, "plus_month")["order_id"]
    keys = world.sim.state.keys
    headers, body = wechatpay_sim.notification(keys, world.transaction(order_id), timestamp=clock.epoch())
    low = {k.lower(): v for k, v in headers.items()}

    # the body of another (cheaper) payment replayed under this signature
    other = json.loads(body)
    other["resource"] = wechatpay_sim.encrypt_resource(keys.api_v3_key, world.transaction(order_id,
                                                                                         amount={"total": 1}))
    altered = json.dumps(other).encode()
    status, out, hdrs = _unchanged(world, token, lambda: world.api.call("POST", NOTIFY, altered, headers=low))
    assert_envelope(status, out, hdrs, "payment_signature_invalid")
    assert out["code"] == "FAIL" and out["message"]

    # signed with another key (a forger's "platform")
    forger = wechatpay_sim.SimKeys(api_v3_key=keys.api_v3_key, platform_serial=keys.platform_serial)
    f_headers, f_body = wechatpay_sim.notification(forger, world.transaction(order_id), timestamp=clock.epoch())
    status, out, hdrs = _unchanged(world, token, lambda: world.api.call(
        "POST", NOTIFY, f_body, headers={k.lower(): v for k, v in f_headers.items()}))
    assert_envelope(status, out, hdrs, "payment_signature_invalid")

    # stale: a genuine notification signed six minutes ago
    status, out, hdrs = _unchanged(world, token, lambda: world.notify(order_id, timestamp=clock.epoch() - 360,
                                                                      english=True))
    assert_envelope(status, out, hdrs, "payment_notification_stale", english=True)

    # genuine but for another amount: the order is not paid by it
    status, out, hdrs = _unchanged(world, token, lambda: world.notify(order_id, amount={"total": 1, "payer_total": 1}))
    assert_envelope(status, out, hdrs, "payment_mismatch")

    # no signature at all
    status, out, hdrs = _unchanged(world, token, lambda: world.api.call("POST", NOTIFY, body, headers={}))
    assert_envelope(status, out, hdrs, "payment_signature_invalid")

    # and the genuine one still works afterwards
    assert world.notify(order_id)[0] == 204
    assert world.membership(token)["status"] == "active"


@pytest.mark.slow
def test_a_lost_notification_is_settled_by_the_job_and_unpaid_orders_close(world: MembershipWorld) -> None:
    _cid, token = world.member()
    paid = world.order(token, "plus_month")["order_id"]
    unpaid = world.order(token, "plus_year")["order_id"]
    world.transaction(paid)  # paid at WeChat Pay; its notification never arrived
    clock.set_now(NOW + timedelta(minutes=2))
    counts = orders.settle_pending()
    assert counts["paid"] == 1 and counts["closed"] == 0
    assert world.membership(token)["status"] == "active"
    clock.set_now(NOW + timedelta(minutes=16))
    counts = orders.settle_pending()
    assert counts["closed"] == 1
    assert world.sim.state.orders[unpaid].trade_state == "CLOSED"
    assert orders.settle_pending()["closed"] == 0  # settled orders left the index


def test_agent_refund_within_seven_days_ends_membership_once(world: MembershipWorld) -> None:
    cid, token = world.member()
    order_id = world.order(token, "plus_year")["order_id"]
    world.notify(order_id)
    clock.set_now(NOW + timedelta(days=2))
    path = f"/v1/agent/members/{cid}/membership/refund"
    status, body, _ = world.call("POST", path, {"reason": "误购"}, world.agent)
    assert status == 200, body
    assert body["status"] == "refunded" and body["amount_fen"] == 9900
    status, again, _ = world.call("POST", path, {"reason": "误购"}, world.agent)
    assert status == 200 and again["refund_id"] == body["refund_id"]
    assert world.sim.state.refunds and len(world.sim.state.refunds) == 1
    assert world.membership(token)["status"] == "expired"
    status, out, headers = world.call("POST", path, {"reason": "x"}, token)
    assert_envelope(status, out, headers, "forbidden")


@pytest.mark.slow
def test_a_refund_over_the_threshold_waits_for_a_supervisor(world: MembershipWorld, monkeypatch) -> None:
    """Maker-checker (points/approvals.py): over APPROVAL_THRESHOLD_FEN nothing is refunded until a supervisor other
    than the agent approves; the refund is then made once, in the approval's transaction."""
    from chalicelib.core.config import reset_settings
    from chalicelib.core.http.principal import Principal
    from chalicelib.identity import sessions, staff

    monkeypatch.setenv("APPROVAL_THRESHOLD_FEN", "5000")
    reset_settings()
    try:
        cid, token = world.member()
        order_id = world.order(token, "plus_year")["order_id"]  # 9900 fen
        world.notify(order_id)
        clock.set_now(NOW + timedelta(days=2))
        status, pending, _ = world.call("POST", f"/v1/agent/members/{cid}/membership/refund", {"reason": "误购"},
                                        world.agent)
        assert (status, pending["kind"], pending["amount_fen"]) == (202, "refund", 9900), pending
        refund_no = f"rf{order_id}"
        assert refund_no not in world.sim.state.refunds and world.membership(token)["status"] == "active"
        staff_id = staff.create_staff("refund-boss", "refund-boss-pass", "supervisor", rounds=4)
        boss = sessions.issue(Principal(subject="refund-boss", role="supervisor", staff_id=staff_id))["access_token"]
        status, done, _ = world.call("POST", f"/v1/agent/approvals/{pending['approval_id']}/approve",
                                     {"reason": "核实误购"}, boss)
        assert (status, done["status"]) == (200, "approved"), done
        refunds_before = len(world.sim.state.refunds)
        assert refund_no in world.sim.state.refunds and world.membership(token)["status"] == "expired"
        status, again, _ = world.call("POST", f"/v1/agent/approvals/{pending['approval_id']}/approve",
                                      {"reason": "again"}, boss)
        assert (status, again["error"]["code"]) == (409, "approval_decided")
        assert len(world.sim.state.refunds) == refunds_before  # refunded once
    finally:
        monkeypatch.delenv("APPROVAL_THRESHOLD_FEN")
        reset_settings()


@pytest.mark.slow
def test_refund_after_seven_days_is_refused(world: MembershipWorld) -> None:
    cid, token = world.member()
    world.notify(world.order(token, "plus_month")["order_id"])
    clock.set_now(NOW + timedelta(days=8))
    status, out, headers = world.call("POST", f"/v1/agent/members/{cid}/membership/refund", {"reason": "x"},
                                      world.agent, {"accept-language": "en"})
    assert_envelope(status, out, headers, "refund_window_passed", english=True)
    assert world.membership(token)["status"] == "active"


def _plus(world: MembershipWorld, plan_id: str = "plus_month") -> tuple[str, str]:
    cid, token = world.member()
    world.notify(world.order(token, plan_id)["order_id"])
    return cid, token


@pytest.mark.slow
def test_the_plus_multiplier_is_a_saving_netted_by_refunds(world: MembershipWorld) -> None:
    cid, token = _plus(world)
    plain_cid, plain_token = world.member()
    earned = PointsWorld.order(world, "po-plus-1", {"customer_id": cid}, 10000)
    plain = PointsWorld.order(world, "po-plain-1", {"customer_id": plain_cid}, 10000)
    extra = earned["points_awarded"] - plain["points_awarded"]
    assert extra > 0 and earned["points_awarded"] == plain["points_awarded"] * 3 // 2
    savings = world.membership(token)["savings"]
    assert savings["items"] == [{"kind": "points_multiplier", "saved_fen": extra}]
    assert savings["total_fen"] == extra and savings["since"] == "2026-12-01T10:00:00+08:00"
    assert world.membership(plain_token)["savings"]["total_fen"] == 0
    world.refund("po-plus-1", 5000)
    half = world.membership(token)["savings"]
    assert half["total_fen"] == extra - extra // 2
    world.refund("po-plus-1", 5000)
    after = world.membership(token)["savings"]
    assert after["total_fen"] == 0 == sum(i["saved_fen"] for i in after["items"])


@pytest.mark.slow
def test_a_used_benefit_blocks_the_refund(world: MembershipWorld) -> None:
    cid, _token = _plus(world)
    PointsWorld.order(world, "po-plus-2", {"customer_id": cid}, 5000)
    status, out, headers = world.call("POST", f"/v1/agent/members/{cid}/membership/refund", {"reason": "x"},
                                      world.agent)
    assert_envelope(status, out, headers, "benefit_already_used")


@pytest.mark.slow
def test_reminders_15_and_3_days_before_expiry_once_each_with_statement_and_voucher(world: MembershipWorld) -> None:
    cid, token = _plus(world)  # expires 2027-01-01 10:00
    PointsWorld.order(world, "po-plus-3", {"customer_id": cid}, 20000)
    saved = world.membership(token)["savings"]["total_fen"]
    clock.set_now(at(2026, 12, 16, 10, 0))
    assert reminders.send_due()["sent"] == 0  # 16 days before: not yet
    clock.set_now(at(2026, 12, 17, 10, 0))
    assert reminders.send_due() == {"sent": 1, "already_sent": 0, "skipped": 0}
    assert reminders.send_due() == {"sent": 0, "already_sent": 1, "skipped": 0}
    clock.set_now(at(2026, 12, 29, 10, 0))
    assert reminders.send_due()["sent"] == 1
    inbox = [n for n in world.get("/v1/me/notifications", token)["items"] if n["kind"] == "plus_renewal_reminder"]
    assert sorted(n["data"]["days_left"] for n in inbox) == [3, 15]
    assert all(n["data"]["saved_fen"] == saved for n in inbox)
    assert f"{saved / 100:.2f}" in inbox[0]["body"]
    vouchers = world.get("/v1/me/vouchers", token)["items"]
    assert len([v for v in vouchers if v["kind"] == "plus_renewal"]) == 2


def test_a_plus_only_benefit_is_claimed_by_plus_members_only(world: MembershipWorld) -> None:
    status, created, _ = world.call("POST", "/v1/admin/benefits", {
        "name": "Plus 专享券", "tiers": ["base"], "quota": {"per_period": 1, "period": "month"},
        "voucher_valid_days": 30, "plus_only": True}, world.admin)
    assert status == 201, created
    benefit_id = created["benefit_id"]
    _cid, plain = world.member()
    zone = {b["benefit_id"]: b for b in world.get("/v1/benefits", plain)["items"]}
    assert zone[benefit_id]["eligible"] is False and zone[benefit_id]["plus_only"] is True
    for english in (False, True):
        status, out, headers = world.call("POST", f"/v1/benefits/{benefit_id}/claims", token=plain, headers={
            "idempotency-key": uuid.uuid4().hex, **({"accept-language": "en"} if english else {})})
        assert_envelope(status, out, headers, "plus_required", english=english)
    assert world.call("POST", "/v1/membership/trial", token=plain)[0] == 201
    assert {b["benefit_id"]: b for b in world.get("/v1/benefits", plain)["items"]}[benefit_id]["eligible"] is True
    status, out, _ = world.call("POST", f"/v1/benefits/{benefit_id}/claims", token=plain,
                                headers={"idempotency-key": uuid.uuid4().hex})
    assert status == 201, out


def _plus_only_reward(world: MembershipWorld) -> str:
    status, created, _ = world.call("POST", "/v1/admin/rewards", {
        "name": "Plus 专享：保温杯", "points_cost": 100, "stock": 5, "fulfillment": "in_house", "plus_only": True},
        world.admin)
    assert status == 201, created
    return str(created["reward_id"])


def _public(world: MembershipWorld, path: str) -> Any:
    status, body, _ = world.call("GET", path)
    assert status == 200, body
    return body


def _redeem(world: MembershipWorld, token: str, reward_id: str, english: bool = False) -> tuple[int, Any, dict]:
    return world.call("POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1}, token,
                      {"idempotency-key": uuid.uuid4().hex, **({"accept-language": "en"} if english else {})})


@pytest.mark.slow
def test_a_plus_only_reward_is_shown_as_such_and_redeemed_by_plus_members_only(world: MembershipWorld) -> None:
    from chalicelib.points import earn_and_spend

    reward_id = _plus_only_reward(world)
    listed = {r["reward_id"]: r for r in _public(world, "/v1/rewards?limit=100")["items"]}
    assert listed[reward_id]["plus_only"] is True
    assert _public(world, f"/v1/rewards/{reward_id}")["plus_only"] is True
    plain_cid, plain = world.member()
    plus_cid, plus = _plus(world)
    for cid in (plain_cid, plus_cid):
        earn_and_spend.earn(cid, 500, kind="adjustment", reference=f"plus-only-{cid}")
    before = world.snapshot.take()
    for english in (False, True):
        status, out, headers = _redeem(world, plain, reward_id, english)
        assert_envelope(status, out, headers, "plus_required", english=english)
    assert {k for k in changed_keys(before, world.snapshot.take()) if not is_rate_counter(k)} == set()
    assert world.get("/v1/me/points", plain)["balance"] == 500
    status, out, _ = _redeem(world, plus, reward_id)
    assert status == 201, out
    assert out["points_spent"] == 100 and out["balance_after"] == 400 and len(out["vouchers"]) == 1
    assert _public(world, f"/v1/rewards/{reward_id}")["stock_remaining"] == 4


@pytest.mark.slow
def test_a_plus_only_reward_is_refused_once_plus_has_expired(world: MembershipWorld) -> None:
    from chalicelib.points import earn_and_spend

    reward_id = _plus_only_reward(world)
    cid, token = world.member()
    assert world.call("POST", "/v1/membership/trial", token=token)[0] == 201
    earn_and_spend.earn(cid, 500, kind="adjustment", reference="plus-only-trial")
    clock.set_now(NOW + timedelta(days=8))  # the 7-day trial is over
    status, out, headers = _redeem(world, token, reward_id)
    assert_envelope(status, out, headers, "plus_required")
    assert world.get("/v1/me/points", token)["balance"] == 500


def test_operators_create_plans_without_withdrawing_the_defaults(world: MembershipWorld) -> None:
    status, body, _ = world.call("GET", "/v1/admin/membership/plans", token=world.admin)
    assert status == 200 and [p["plan_id"] for p in body["items"]] == ["plus_month", "plus_year"]
    status, created, _ = world.call("POST", "/v1/admin/membership/plans", {
        "plan_id": "plus_year_2027", "name": "Plus 年卡 2027", "price_fen": 8800, "period": "year"}, world.admin)
    assert status == 201, created
    assert created == {"plan_id": "plus_year_2027", "name": "Plus 年卡 2027", "price_fen": 8800, "period": "year",
                       "active": True}
    offered = {p["plan_id"]: p["price_fen"] for p in world.call("GET", "/v1/membership/plans")[1]["items"]}
    assert offered == {"plus_month": 1500, "plus_year": 9900, "plus_year_2027": 8800}
    _cid, token = world.member()
    assert world.order(token, "plus_year_2027")["amount_fen"] == 8800
    for plan_id in ("plus_year_2027", "plus_month"):  # a default is taken too
        status, out, headers = world.call("POST", "/v1/admin/membership/plans", {
            "plan_id": plan_id, "name": "重复", "price_fen": 100, "period": "month"}, world.admin)
        assert_envelope(status, out, headers, "plan_exists")
    assert offered == {p["plan_id"]: p["price_fen"] for p in world.call("GET", "/v1/membership/plans")[1]["items"]}


@pytest.mark.slow
def test_a_price_change_is_offered_at_once_and_a_withdrawn_plan_is_refused(world: MembershipWorld) -> None:
    plans.seed_defaults()
    status, out, _ = world.call("PATCH", "/v1/admin/membership/plans/plus_month", {"price_fen": 1200}, world.admin)
    assert status == 200 and out["price_fen"] == 1200 and out["period"] == "month", out
    _cid, token = world.member()
    assert world.order(token, "plus_month")["amount_fen"] == 1200
    key = uuid.uuid4().hex
    first = world.order(token, "plus_year", key=key)
    status, out, _ = world.call("PATCH", "/v1/admin/membership/plans/plus_year", {"active": False}, world.admin)
    assert status == 200 and out["active"] is False
    assert [p["plan_id"] for p in world.call("GET", "/v1/membership/plans")[1]["items"]] == ["plus_month"]
    assert {p["plan_id"]: p["active"] for p in world.get("/v1/admin/membership/plans", world.admin)["items"]} == {
        "plus_month": True, "plus_year": False}
    before = world.snapshot.take()
    for english in (False, True):
        status, out, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "plus_year"}, token, {
            "idempotency-key": uuid.uuid4().hex, **({"accept-language": "en"} if english else {})})
        assert_envelope(status, out, headers, "plan_not_on_sale", english=english)
    assert {k for k in changed_keys(before, world.snapshot.take()) if not is_rate_counter(k)} == set()
    assert world.order(token, "plus_year", key=key, expect=201) == first  # the order already placed replays
    status, out, _ = world.call("PATCH", "/v1/admin/membership/plans/plus_year", {"active": True}, world.admin)
    assert status == 200 and world.order(token, "plus_year")["amount_fen"] == 9900


@pytest.mark.parametrize("body", [
    {"plan_id": "Plus Month", "name": "月卡", "price_fen": 1500, "period": "month"},
    {"plan_id": "plus_week", "name": "周卡", "price_fen": 500, "period": "week"},
    {"plan_id": "plus_free", "name": "免费", "price_fen": 0, "period": "month"},
    {"plan_id": "plus_str", "name": "月卡", "price_fen": "1500", "period": "month"},
    {"plan_id": "plus_flag", "name": "月卡", "price_fen": 1500, "period": "month", "active": "yes"},
    {"plan_id": "plus_noname", "name": "", "price_fen": 1500, "period": "month"},
    {"plan_id": "plus_extra", "name": "月卡", "price_fen": 1500, "period": "month", "multiplier": 2},
])
def test_a_bad_plan_is_refused_and_changes_nothing(world: MembershipWorld, body: dict[str, Any]) -> None:
    before = world.snapshot.take()
    for english in (False, True):
        status, out, headers = world.call("POST", "/v1/admin/membership/plans", body, world.admin,
                                          {"accept-language": "en"} if english else None)
        assert_envelope(status, out, headers, "validation_error", english=english)
    assert {k for k in changed_keys(before, world.snapshot.take()) if not is_rate_counter(k)} == set()


@pytest.mark.parametrize(("plan_id", "body", "code"), [
    ("plus_month", {}, "validation_error"),
    ("plus_month", {"period": "year"}, "validation_error"),  # a plan's period never changes
    ("plus_month", {"price_fen": -1}, "validation_error"),
    ("plus_nothing", {"price_fen": 100}, "plan_not_found"),
])
def test_a_bad_plan_change_is_refused_and_changes_nothing(world: MembershipWorld, plan_id: str,
                                                           body: dict[str, Any], code: str) -> None:
    plans.seed_defaults()
    before = world.snapshot.take()
    status, out, headers = world.call("PATCH", f"/v1/admin/membership/plans/{plan_id}", body, world.admin)
    assert_envelope(status, out, headers, code)
    assert {k for k in changed_keys(before, world.snapshot.take()) if not is_rate_counter(k)} == set()


def test_only_admins_configure_plans(world: MembershipWorld) -> None:
    _cid, member = world.member()
    for token in (member, world.agent):
        status, out, headers = world.call("POST", "/v1/admin/membership/plans", {
            "plan_id": "plus_sneaky", "name": "月卡", "price_fen": 1, "period": "month"}, token)
        assert_envelope(status, out, headers, "forbidden")
        status, out, headers = world.call("PATCH", "/v1/admin/membership/plans/plus_month", {"price_fen": 1}, token)
        assert_envelope(status, out, headers, "forbidden")
    assert {p["plan_id"]: p["price_fen"] for p in world.call("GET", "/v1/membership/plans")[1]["items"]} == {
        "plus_month": 1500, "plus_year": 9900}


def _case(cid: str, txn: str, status: str, resolved_at: str | None) -> None:
    from chalicelib.followups.models import FollowUpCaseItem

    FollowUpCaseItem(pk=f"CUST#{cid}", sk=f"CASE#{txn}", case_id=f"fu.{cid}.{txn}", customer_id=cid,
                     transaction_id=txn, kind="redemption_fulfillment", status=status, opened_at="2026-11-01T00:00:00",
                     respond_by="2026-11-01T04:00:00+00:00", close_by="2026-11-02T00:00:00+00:00",
                     resolved_at=resolved_at, resolution="completed_manually" if resolved_at else None,
                     gsi2pk=f"FOLLOWUP#{status}", gsi2sk=f"99#2026-11-01#{txn}").save()


@pytest.mark.slow
def test_the_reminder_counts_the_cases_resolved_for_the_member_this_membership_year(world: MembershipWorld) -> None:
    cid, token = _plus(world)  # bought 2026-12-01 10:00 (+08:00), expires 2027-01-01 10:00
    _other, other_token = _plus(world)
    _case(cid, "txn_before", "resolved", "2026-11-30T01:00:00.000+00:00")  # before this membership year
    _case(cid, "txn_open", "open", None)
    _case(cid, "txn_one", "resolved", "2026-12-02T03:00:00.000+00:00")
    _case(cid, "txn_two", "resolved", "2026-12-10T03:00:00.000+00:00")
    clock.set_now(at(2026, 12, 17, 10, 0))
    assert reminders.send_due()["sent"] == 2
    [mine] = [n for n in world.get("/v1/me/notifications", token)["items"] if n["kind"] == "plus_renewal_reminder"]
    assert mine["data"]["services_resolved"] == 2 and "服务 2 次" in mine["body"]
    [other] = [n for n in world.get("/v1/me/notifications", other_token)["items"]
               if n["kind"] == "plus_renewal_reminder"]
    assert other["data"]["services_resolved"] == 0 and "专属客服全年为您服务" in other["body"]


def _refund_refused_as_used(world: MembershipWorld, cid: str, token: str) -> None:
    before, refunds = world.membership(token), dict(world.sim.state.refunds)
    snapshot = world.snapshot.take()
    for english in (False, True):
        status, out, headers = world.call("POST", f"/v1/agent/members/{cid}/membership/refund", {"reason": "误购"},
                                          world.agent, {"accept-language": "en"} if english else None)
        assert_envelope(status, out, headers, "benefit_already_used", english=english)
    assert {k for k in changed_keys(snapshot, world.snapshot.take()) if not is_rate_counter(k)} == set()
    assert world.membership(token) == before and before["status"] == "active"
    assert world.sim.state.refunds == refunds  # no money went back either


@pytest.mark.slow
def test_a_claimed_plus_only_benefit_blocks_the_refund(world: MembershipWorld) -> None:
    status, created, _ = world.call("POST", "/v1/admin/benefits", {
        "name": "Plus 专享运费券", "tiers": ["base"], "quota": {"per_period": 1, "period": "month"},
        "voucher_valid_days": 30, "plus_only": True}, world.admin)
    assert status == 201, created
    cid, token = _plus(world)
    status, out, _ = world.call("POST", f"/v1/benefits/{created['benefit_id']}/claims", token=token,
                                headers={"idempotency-key": uuid.uuid4().hex})
    assert status == 201, out
    _refund_refused_as_used(world, cid, token)


@pytest.mark.slow
def test_a_redeemed_plus_only_reward_blocks_the_refund(world: MembershipWorld) -> None:
    from chalicelib.points import earn_and_spend

    reward_id = _plus_only_reward(world)
    cid, token = _plus(world)
    earn_and_spend.earn(cid, 500, kind="adjustment", reference=f"plus-use-{cid}")  # an adjustment: no Plus multiplier
    status, out, _ = _redeem(world, token, reward_id)
    assert status == 201, out
    _refund_refused_as_used(world, cid, token)


@pytest.mark.slow
def test_a_plus_only_use_during_the_trial_does_not_block_refunding_the_later_purchase(world: MembershipWorld) -> None:
    from chalicelib.points import earn_and_spend

    reward_id = _plus_only_reward(world)
    cid, token = world.member()
    assert world.call("POST", "/v1/membership/trial", token=token)[0] == 201
    earn_and_spend.earn(cid, 500, kind="adjustment", reference=f"plus-trial-use-{cid}")
    assert _redeem(world, token, reward_id)[0] == 201
    clock.set_now(NOW + timedelta(days=8))  # the trial is over; the member buys Plus
    world.notify(world.order(token, "plus_month")["order_id"])
    status, body, _ = world.call("POST", f"/v1/agent/members/{cid}/membership/refund", {"reason": "误购"}, world.agent)
    assert status == 200, body


@pytest.mark.slow
def test_the_reminder_job_runs_as_of_the_reminders_day_once(world: MembershipWorld,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.membership import jobs

    _cid, token = _plus(world)  # bought 2026-12-01 10:00, expires 2027-01-01
    monkeypatch.setenv("REMINDERS_ON", "2026-12-17")  # 15 days before, while the clock says 1 December
    assert jobs.send_reminders() == {"sent": 1, "already_sent": 0, "skipped": 0}
    assert jobs.send_reminders() == {"sent": 0, "already_sent": 1, "skipped": 0}
    inbox = [n for n in world.get("/v1/me/notifications", token)["items"] if n["kind"] == "plus_renewal_reminder"]
    assert [n["data"]["days_left"] for n in inbox] == [15]
