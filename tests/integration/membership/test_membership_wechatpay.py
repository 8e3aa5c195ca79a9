"""WeChat Pay as it behaves in production, over the in-process API, DynamoDB Local and the strict simulator: keys as
WeChat rotates them (a second configured serial, a certificate downloaded from /v3/certificates), answers believed
only when signed, gateways' HTML error pages, and refunds followed from PROCESSING to their end (an ABNORMAL one to
an agent's case)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.membership import orders, payments, plans
from tests.support.clock import at
from tests.support.contract import assert_envelope
from tests.support.followup_world import run_followup_worker
from tests.support.membership_world import NOTIFY, MembershipWorld
from tools.simulators import wechatpay_sim

pytestmark = pytest.mark.integration

NOW = at(2026, 12, 1, 10, 0)


@pytest.fixture
def paysim() -> Iterator[Any]:
    server, _thread = wechatpay_sim.start(port=0)
    yield server
    server.stop()


def _configure(monkeypatch: pytest.MonkeyPatch, sim: Any, **options: Any) -> None:
    for name, value in sim.app_env("http://127.0.0.1:9/unused", **options).items():
        monkeypatch.setenv(name, value)
    payments.reset()


@pytest.fixture
def world(api: Any, paysim: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[MembershipWorld]:
    _configure(monkeypatch, paysim)
    clock.set_now(NOW)
    plans.reset_cache()
    w = MembershipWorld.make(api)
    w.sim = paysim
    yield w
    clock.set_now(None)
    payments.reset()


def _buyer(world: MembershipWorld) -> tuple[str, str]:
    """A member signed in through the mini-program (ordering there: JSAPI with their openid)."""
    cid, token, _openid = world.wechat_member("wechat_mp")
    return cid, token


def _order(world: MembershipWorld, token: str, plan_id: str = "plus_month") -> str:
    return str(world.order(token, plan_id, channel="miniprogram")["order_id"])


def _fault(world: MembershipWorld, **faults: Any) -> None:
    world.sim.state.unsigned = bool(faults.get("unsigned", world.sim.state.unsigned))
    world.sim.state.sign_with = faults.get("sign_with", world.sim.state.sign_with)
    world.sim.state.gateway_html = int(faults.get("gateway_html", world.sim.state.gateway_html))


def _notify(world: MembershipWorld, payload: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS",
            sign_with: str = "public_key") -> tuple[int, Any, dict]:
    headers, body = wechatpay_sim.notification(world.sim.state.keys, payload, event_type=event_type,
                                               timestamp=clock.epoch(), sign_with=sign_with)
    return world.api.call("POST", NOTIFY, body, headers={k.lower(): v for k, v in headers.items()})


# --- keys -----------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_notification_signed_under_the_second_configured_serial_is_accepted(world: MembershipWorld) -> None:
    _cid, token = _buyer(world)
    order_id = _order(world, token)
    status, body, _ = _notify(world, world.transaction(order_id), sign_with="certificate")
    assert status == 204, body
    assert world.membership(token)["status"] == "active"


@pytest.mark.slow
def test_a_certificate_not_configured_is_downloaded_from_wechat_pay_and_then_trusted(
        world: MembershipWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    _configure(monkeypatch, world.sim, with_certificate=False)  # only the public key is configured
    _cid, token = _buyer(world)
    order_id = _order(world, token)
    status, body, _ = _notify(world, world.transaction(order_id), sign_with="certificate")
    assert status == 204, body
    assert world.membership(token)["status"] == "active"
    # a key the merchant never had, under a serial nobody knows, is still refused
    forger = wechatpay_sim.SimKeys(api_v3_key=world.sim.state.keys.api_v3_key)
    other = _order(world, token)
    headers, raw = wechatpay_sim.notification(forger, world.transaction(other), timestamp=clock.epoch(),
                                              sign_with="certificate")
    status, out, hdrs = world.api.call("POST", NOTIFY, raw, headers={k.lower(): v for k, v in headers.items()})
    assert_envelope(status, out, hdrs, "payment_signature_invalid")


@pytest.mark.slow
def test_requests_carry_the_public_key_id_as_wechatpay_serial(world: MembershipWorld) -> None:
    _cid, token = _buyer(world)
    world.sim.state.request_serials.clear()
    _order(world, token)
    assert world.sim.state.request_serials == [world.sim.state.keys.platform_serial]
    assert world.sim.state.keys.platform_serial.startswith("PUB_KEY_ID_")


# --- answers believed only when signed -------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_unsigned_answer_is_not_believed(world: MembershipWorld) -> None:
    _cid, token = _buyer(world)
    paid = _order(world, token)
    world.transaction(paid)  # paid at WeChat Pay; its notification lost
    _fault(world, unsigned=True)
    status, out, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token,
                                      {"idempotency-key": "unsigned-1", "x-channel": "miniprogram"})
    assert_envelope(status, out, headers, "upstream_unavailable")
    assert headers.get("Retry-After")
    clock.set_now(NOW + timedelta(minutes=2))
    counts = orders.settle_pending()
    assert counts["paid"] == 0 and counts["unavailable"] >= 1
    assert world.membership(token)["status"] == "none"  # an answer anyone could have forged grants nothing
    _fault(world, unsigned=False)
    assert orders.settle_pending()["paid"] == 1
    assert world.membership(token)["status"] == "active"


@pytest.mark.slow
def test_an_answer_signed_with_another_key_is_not_believed(world: MembershipWorld) -> None:
    _cid, token = _buyer(world)
    paid = _order(world, token)
    world.transaction(paid)
    genuine = world.sim.state.keys
    world.sim.state.keys = wechatpay_sim.SimKeys(merchant=genuine.merchant, merchant_serial=genuine.merchant_serial,
                                                 api_v3_key=genuine.api_v3_key,
                                                 platform_serial=genuine.platform_serial)
    try:
        clock.set_now(NOW + timedelta(minutes=2))
        assert orders.settle_pending()["paid"] == 0
    finally:
        world.sim.state.keys = genuine
    assert world.membership(token)["status"] == "none"


@pytest.mark.slow
def test_a_gateways_html_error_page_is_a_503_and_does_not_end_the_settling_run(world: MembershipWorld) -> None:
    _cid, token = _buyer(world)
    for english in (False, True):
        _fault(world, gateway_html=1)
        status, out, headers = world.call("POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token,
                                          {"idempotency-key": f"html-{english}", "x-channel": "miniprogram",
                                           **({"accept-language": "en"} if english else {})})
        assert_envelope(status, out, headers, "upstream_unavailable", english=english)
        assert headers.get("Retry-After")
    first = _order(world, token)
    clock.set_now(NOW + timedelta(seconds=1))
    second = _order(world, token)
    world.transaction(first)
    world.transaction(second)
    clock.set_now(NOW + timedelta(minutes=2))
    _fault(world, gateway_html=1)  # the first query meets the gateway's page; the run goes on to the next order
    counts = orders.settle_pending()
    assert (counts["unavailable"], counts["paid"]) == (1, 1)
    assert orders.settle_pending()["paid"] == 1


# --- refunds ---------------------------------------------------------------------------------------------------------


def _refunded(world: MembershipWorld) -> tuple[str, str, str, dict[str, Any]]:
    cid, token = _buyer(world)
    order_id = _order(world, token, "plus_year")
    assert world.notify(order_id)[0] == 204
    clock.set_now(NOW + timedelta(days=1))
    status, body, _ = world.call("POST", f"/v1/agent/members/{cid}/membership/refund", {"reason": "误购"},
                                 world.agent)
    assert status == 200, body
    return cid, token, order_id, body


def _order_item(cid: str, order_id: str) -> Any:
    from chalicelib.membership import records

    return records.load(cid, consistent=True).order(order_id)


@pytest.mark.slow
def test_a_processing_refund_is_followed_to_success_by_its_notification(world: MembershipWorld) -> None:
    cid, token, order_id, body = _refunded(world)
    assert body["refund_status"] == "PROCESSING" and world.membership(token)["status"] == "expired"
    refund = world.sim.end_refund(f"rf{order_id}", "SUCCESS", notify=False)
    assert refund is not None
    status, out, _ = _notify(world, wechatpay_sim.refund_resource(refund), event_type="REFUND.SUCCESS")
    assert status == 204, out
    assert _order_item(cid, order_id).refund_status == "SUCCESS"
    assert orders.settle_pending() is not None
    from chalicelib.membership import refunds

    assert refunds.in_flight() == [] or order_id not in [o.order_id for o in refunds.in_flight()]


@pytest.mark.slow
def test_a_processing_refund_whose_notification_is_lost_is_settled_by_the_job(world: MembershipWorld) -> None:
    from chalicelib.membership import jobs

    cid, _token, order_id, _body = _refunded(world)
    assert jobs.settle_orders()["refunds_processing"] >= 1
    world.sim.end_refund(f"rf{order_id}", "SUCCESS", notify=False)
    counts = jobs.settle_orders()
    assert counts["refunds_refunded"] >= 1
    assert _order_item(cid, order_id).refund_status == "SUCCESS"


@pytest.mark.slow
def test_an_abnormal_refund_becomes_an_agents_case_not_a_try_later(world: MembershipWorld, sqs_queues: Any,
                                                                  sqs_client: Any) -> None:
    cid, token, order_id, _body = _refunded(world)
    refund = world.sim.end_refund(f"rf{order_id}", "ABNORMAL", notify=False)
    assert refund is not None
    status, out, _ = _notify(world, wechatpay_sim.refund_resource(refund), event_type="REFUND.ABNORMAL")
    assert status == 204, out
    assert _order_item(cid, order_id).refund_status == "ABNORMAL"
    url = sqs_queues["FollowUpQueue"].url
    received = sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    messages = [json.loads(m["Body"]) for m in received]
    assert [(m["kind"], m["order_id"], m["refund_status"]) for m in messages] == [
        ("plus_refund", order_id, "ABNORMAL")]
    assert run_followup_worker([messages[0]]) == {"batchItemFailures": []}
    status, case, _ = world.call("GET", f"/v1/agent/follow-ups/fu.{cid}.plusrefund_{order_id}", token=world.agent)
    assert status == 200, case
    assert (case["kind"], case["status"], case["customer_id"]) == ("plus_refund", "open", cid)
    # the same notification again changes nothing and sends nothing more
    assert _notify(world, wechatpay_sim.refund_resource(refund), event_type="REFUND.ABNORMAL")[0] == 204
    assert sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    kinds = [n["kind"] for n in world.get("/v1/me/notifications", token)["items"]]
    assert "transaction_needs_follow_up" in kinds
