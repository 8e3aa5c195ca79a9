"""The benefits tests' world: shared by the benefits and vouchers tests (no tests here).

``BenefitsWorld`` extends the points tests' world (members, admin, integration key over the in-process API)
with benefit definitions created through the admin API, tier floors to put a member on a tier, claims and
voucher lists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from chalicelib.benefits import definitions
from tests.support.points_world import API_KEY, PointsWorld

__all__ = ["API_KEY", "BenefitsWorld"]


@dataclass
class BenefitsWorld(PointsWorld):
    @classmethod
    def make(cls, api: Any) -> BenefitsWorld:  # type: ignore[override]
        world = super().make(api)
        definitions.reset_cache()
        return world  # type: ignore[return-value]

    def admin_call(self, method: str, path: str, body: Any = None, expect: int | None = 200) -> Any:
        status, out, _ = self.api.call(method, path, body, token=self.admin)
        if expect is not None:
            assert status == expect, (status, out)
        return out

    def benefit(self, name: str = "包邮券", tiers: tuple[str, ...] = ("base",), per_period: int = 2,
                period: str = "month", valid_days: int = 30, **extra: Any) -> str:
        body = {"name": name, "tiers": list(tiers), "quota": {"per_period": per_period, "period": period},
                "voucher_valid_days": valid_days, **extra}
        out = self.admin_call("POST", "/v1/admin/benefits", body, expect=201)
        return str(out["benefit_id"])

    def put_on_tier(self, customer_id: str, tier_code: str) -> None:
        self.admin_call("PUT", f"/v1/admin/members/{customer_id}/tier-floor", {"tier_code": tier_code})

    def claim(self, token: str, benefit_id: str, key: str | None = None,
              expect: int | None = 201) -> tuple[int, Any, dict]:
        headers = {"idempotency-key": key or uuid.uuid4().hex}
        status, body, out_headers = self.api.call("POST", f"/v1/benefits/{benefit_id}/claims", token=token,
                                                  headers=headers)
        if expect is not None:
            assert status == expect, (status, body)
        return status, body, out_headers

    def zone(self, token: str) -> dict[str, Any]:
        return self.get("/v1/benefits", token)

    def zone_item(self, token: str, benefit_id: str) -> dict[str, Any] | None:
        return next((b for b in self.zone(token)["items"] if b["benefit_id"] == benefit_id), None)

    def vouchers(self, token: str, query: str = "") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            sep = "&" if query else ""
            path = f"/v1/me/vouchers?limit=100{sep}{query}" + (f"&cursor={cursor}" if cursor else "")
            page = self.get(path, token)
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items
