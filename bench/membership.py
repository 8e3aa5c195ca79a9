"""Plus membership (issue 14): DynamoDB calls of the member's membership routes and of WeChat Pay's notification
(``MEMBERSHIP_SCENARIOS``, ``python -m bench --only membership``).

The WeChat Pay simulator (``tools/simulators/wechatpay_sim.py``) runs in this process for the orders. chalice's test
client overlays the ``dev`` stage's variables on every request, and there the WeChat Pay keys are Secrets Manager
references: so the bench hands the app the simulator's keys directly (``wechatpay.keys``). Notifications are signed over
the exact bytes the bench client sends.
"""

from __future__ import annotations

import json
import secrets
from functools import cache
from typing import Any

from bench.endpoints import Request, Scenario, Session

NOTIFY = "/v1/integrations/payments/wechat/notify"


@cache
def _sim() -> Any:
    from tools.simulators import wechatpay_sim

    server, _thread = wechatpay_sim.start(port=0)
    return server


def _payments_env() -> Any:
    from chalicelib.membership import wechatpay

    sim = _sim()
    values = sim.app_env("http://127.0.0.1:9" + NOTIFY)
    parsed = wechatpay._parse(tuple(values[name] for name in wechatpay.ENV.values()),
                              tuple(values.get(name, "") for name in wechatpay.OPTIONAL_ENV.values()))
    wechatpay.keys = lambda: parsed  # type: ignore[assignment]
    return sim


def _member(s: Session) -> dict[str, Any]:
    return {"token": s.member()["access_token"], "key": secrets.token_hex(8)}


def _plans(s: Session, st: Any) -> Request:
    return Request("GET", "/v1/membership/plans")


def _warm_plans(s: Session) -> None:
    """The plan routes below reset the cache between passes: measure the warm catalogue, as members meet it."""
    s.ok(_plans(s, None))


def _mine(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me/membership", token=st["token"])


def _me(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me", token=st["token"])


def _trial(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/membership/trial", token=st["token"])


def _order(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token=st["token"],
                   headers={"idempotency-key": st["key"]})


def _replay_setup(s: Session) -> dict[str, Any]:
    st = _member(s)
    s.ok(_order(s, st), 201)
    return st


def _ordered_setup(s: Session) -> dict[str, Any]:
    from tools.simulators import wechatpay_sim

    st = _member(s)
    order_id = s.ok(_order(s, st), 201)["order_id"]
    sim = _sim()
    order = sim.state.orders[order_id]
    order.trade_state, order.transaction_id, order.success_time = "SUCCESS", "4200000000000009", "2026-12-01"
    _headers, body = wechatpay_sim.notification(sim.state.keys, order.transaction())
    envelope = json.loads(body)  # the bench client sends json.dumps(envelope): sign those bytes
    st["notification"] = envelope
    st["headers"] = {k.lower(): v for k, v in wechatpay_sim.sign_headers(
        sim.state.keys, json.dumps(envelope).encode()).items()}
    return st


def _paid_setup(s: Session) -> dict[str, Any]:
    st = _ordered_setup(s)
    s.ok(_notify(s, st), 204)
    return st


def _notify(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", NOTIFY, st["notification"], headers=st["headers"])


def _admin(s: Session) -> dict[str, Any]:
    from chalicelib.identity import staff

    username = s.new_id("bench_admin_")
    staff.create_staff(username, "bench-admin-pass", "admin", rounds=4)
    login = s.ok(Request("POST", "/v1/staff/login", {"username": username, "password": "bench-admin-pass"}))
    return {"admin": login["access_token"], "plan_id": s.new_id("plus_bench_")}


def _admin_plans(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/admin/membership/plans", token=st["admin"])


def _create_plan(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/admin/membership/plans", {"plan_id": st["plan_id"], "name": "Bench 月卡",
                                                           "price_fen": 1200, "period": "month"}, token=st["admin"])


def _patch_plan(s: Session, st: dict[str, Any]) -> Request:
    return Request("PATCH", f"/v1/admin/membership/plans/{st['plan_id']}", {"price_fen": 1100, "active": False},
                   token=st["admin"])


def _created_plan(s: Session) -> dict[str, Any]:
    st = _admin(s)
    s.ok(_create_plan(s, st), 201)
    return st


def _plus_only_setup(s: Session, plus: bool) -> dict[str, Any]:
    from chalicelib.mall import rewards
    from chalicelib.points import earn_and_spend

    st = _paid_setup(s) if plus else _member(s)
    member = s.ok(Request("GET", "/v1/me", token=st["token"]))
    earn_and_spend.earn(member["customer_id"], 1_000, kind="adjustment", reference="bench")
    st["reward_id"] = rewards.create_reward(name="bench Plus-only", points_cost=10, stock=10_000,
                                            fulfillment="in_house", staff_id="bench", plus_only=True)
    return st


def _redeem_plus_only(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/redemptions", {"reward_id": st["reward_id"], "quantity": 1}, token=st["token"],
                   headers={"idempotency-key": secrets.token_hex(8)})


MEMBERSHIP_SCENARIOS: list[Scenario] = [
    Scenario("GET /v1/membership/plans", 0, _plans, setup=_warm_plans, area="membership",
             note="the plan catalogue, cached a minute (an operator's write empties the cache of its process)"),
    Scenario("GET /v1/me/membership", 1, _mine, setup=_member, area="membership",
             note="one Query: membership, the year's savings total and profile share the M#PLUS..M#PROFILE range"),
    Scenario("GET /v1/me (with Plus status)", 1, _me, setup=_paid_setup, area="membership",
             note="unchanged: the membership is among the M# items the profile's one Query reads"),
    Scenario("POST /v1/membership/trial", 2, _trial, setup=_member, expect=201, area="membership",
             note="Query + TransactWriteItems (membership, trial marker, notification)"),
    Scenario("POST /v1/membership/orders", 3, _order, setup=_member, expect=201, area="membership",
             note="GetItem (idempotency) + Query (member) + TransactWriteItems (order, idempotency record); the "
                  "provider's order in between"),
    Scenario("POST /v1/membership/orders (replay)", 1, _order, setup=_replay_setup, expect=201, area="membership",
             note="answered from the idempotency record"),
    Scenario("POST notify (first delivery)", 2, _notify, setup=_ordered_setup, expect=204, area="membership",
             note="BatchGetItem (profile, membership, the order) + TransactWriteItems (order paid, membership, "
                  "notification)"),
    Scenario("POST notify (repeat delivery)", 1, _notify, setup=_paid_setup, expect=204, area="membership",
             note="BatchGetItem: the order is paid already, nothing is written"),
    Scenario("POST /v1/redemptions (Plus-only, Plus member)", 3, _redeem_plus_only,
             setup=lambda s: _plus_only_setup(s, True), expect=201, area="membership",
             note="Plus is read from the M# items of the redemption's one Query (after the idempotency GetItem)"),
    Scenario("POST /v1/redemptions (Plus-only, no Plus: 403)", 2, _redeem_plus_only,
             setup=lambda s: _plus_only_setup(s, False), expect=403, area="membership",
             note="refused after the idempotency record's read and the member Query, nothing written"),
    Scenario("GET /v1/admin/membership/plans", 1, _admin_plans, setup=_admin, area="membership",
             note="one consistent Query of CONFIG#PLUS (operators see their own write)"),
    Scenario("POST /v1/admin/membership/plans (first plan)", 2, _create_plan, setup=_admin, expect=201,
             area="membership", note="Query + TransactWriteItems (the plan, and the defaults if none was stored)"),
    Scenario("PATCH /v1/admin/membership/plans/{id}", 2, _patch_plan, setup=_created_plan, area="membership",
             note="Query + TransactWriteItems (conditioned on the plan being there)"),
]

_payments_env()
