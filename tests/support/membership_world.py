"""Plus membership tests' world: members, the WeChat Pay simulator's keys in the app's environment, orders and the
provider's notifications (built and signed as WeChat Pay does, by ``tools/simulators/wechatpay_sim.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.core import clock
from tests.support.points_world import PointsWorld
from tools.simulators import wechatpay_sim

NOTIFY = wechatpay_sim.NOTIFY_PATH


@dataclass
class MembershipWorld(PointsWorld):
    sim: Any = None
    snapshot: Any = None

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any, dict]:
        return self.api.call(method, path, body, token=token, headers=headers)  # type: ignore[no-any-return]

    def session(self, customer_id: str) -> str:
        from chalicelib.identity import sessions

        token = str(sessions.issue(sessions.member_principal(customer_id))["access_token"])
        self.members[customer_id] = token
        return token

    def membership(self, token: str) -> dict[str, Any]:
        return self.get("/v1/me/membership", token)

    def wechat_member(self, provider: str = "wechat_mp") -> tuple[str, str, str]:
        """A member who signed in with WeChat (``wechat_mp``: the mini-program, ``wechat_oa``: the official
        account): ``(customer_id, access_token, openid)``."""
        from chalicelib.identity import directory

        app_id = wechatpay_sim.APP_ID if provider == "wechat_mp" else wechatpay_sim.OA_APP_ID
        openid = f"o-{uuid.uuid4().hex[:16]}"
        channel = "miniprogram" if provider == "wechat_mp" else "wechat_oa"
        cid = directory.create_customer(directory.Identity(provider, app_id, openid), channel=channel).customer_id
        return cid, self.session(cid), openid

    def order(self, token: str, plan_id: str = "plus_month", key: str | None = None,  # type: ignore[override]
              expect: int | None = 201, channel: str | None = None, **extra: Any) -> dict[str, Any]:
        headers = {"idempotency-key": key or uuid.uuid4().hex, **({"x-channel": channel} if channel else {})}
        status, body, _ = self.call("POST", "/v1/membership/orders", {"plan_id": plan_id, **extra}, token, headers)
        if expect is not None:
            assert status == expect, (status, body)
        return body  # type: ignore[no-any-return]

    def transaction(self, order_id: str, **changes: Any) -> dict[str, Any]:
        """The simulator's transaction of ``order_id``, paid (as its notification carries it)."""
        order = self.sim.state.orders[order_id]
        if order.trade_state == "NOTPAY":
            order.trade_state, order.transaction_id, order.success_time = "SUCCESS", "4200000001", clock.iso()
        return {**order.transaction(), **changes}

    def notify(self, order_id: str, *, timestamp: int | None = None, english: bool = False,
               **changes: Any) -> tuple[int, Any, dict]:
        headers, body = wechatpay_sim.notification(self.sim.state.keys, self.transaction(order_id, **changes),
                                                   timestamp=clock.epoch() if timestamp is None else timestamp)
        if english:
            headers["Accept-Language"] = "en"
        return self.api.call("POST", NOTIFY, body, headers={k.lower(): v for k, v in headers.items()})
