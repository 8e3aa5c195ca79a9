"""The points mall's world, shared by the mall tests (no tests here): a world with an admin, members holding accounts,
rewards created through the admin API, and a redemption call with its Idempotency-Key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from chalicelib.identity import directory, sessions, staff
from chalicelib.mall import rewards
from chalicelib.points import earn_and_spend
from tests.support.phones import new_phone
from tests.support.sign_in import staff_login

__all__ = ["MallWorld", "new_key"]


def new_key() -> str:
    return f"k-{uuid.uuid4().hex}"


@dataclass
class MallWorld:
    api: Any
    admin: str = ""
    members: dict[str, str] = field(default_factory=dict)

    @classmethod
    def make(cls, api: Any) -> MallWorld:
        rewards.reset_cache()
        world = cls(api)
        staff.create_staff("mall-admin", "mall-admin-pass", "admin", rounds=4)
        world.admin = staff_login(api, "mall-admin", "mall-admin-pass")["access_token"]
        return world

    def member(self, points_held: int = 0, tier: str | None = None) -> tuple[str, str]:
        phone = new_phone()
        customer = directory.create_customer(directory.Identity("app", "app", phone), phone=phone, channel="app")
        cid = customer.customer_id
        if points_held:
            earn_and_spend.earn(cid, points_held, kind="adjustment", reference=f"seed:{uuid.uuid4().hex[:8]}")
        if tier:
            from chalicelib.identity.models import PROFILE_SK, CustomerItem

            CustomerItem(pk=f"CUST#{cid}", sk=PROFILE_SK).update(actions=[CustomerItem.tier_code.set(tier)])
        token = sessions.issue(sessions.member_principal(cid))["access_token"]
        self.members[cid] = token
        return cid, token

    def reward(self, expect: int = 201, **fields: Any) -> str:
        body = {"name": "测试礼品", "points_cost": 100, "stock": 10, "fulfillment": "in_house", **fields}
        status, out, _ = self.api.call("POST", "/v1/admin/rewards", body, token=self.admin)
        assert status == expect, out
        return str(out["reward_id"]) if status == 201 else ""

    def redeem(self, token: str, reward_id: str, quantity: int = 1, key: str | None = None,
               headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        hdrs = {"idempotency-key": key or new_key(), **(headers or {})}
        return self.api.call("POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": quantity},
                             token=token, headers=hdrs)

    def get(self, path: str, token: str | None = None, expect: int = 200) -> Any:
        status, body, _ = self.api.call("GET", path, token=token)
        assert status == expect, body
        return body

    def balance(self, token: str) -> int:
        return int(self.get("/v1/me/points", token)["balance"])

    def stock(self, reward_id: str) -> int:
        rewards.reset_cache()
        return int(self.get(f"/v1/rewards/{reward_id}")["stock_remaining"])
