"""The partners tests' world (no tests here): an admin, partners registered through the API, members with or
without the ``partner_sharing`` consent, and the brute-force sum of the ledger's partner entries that a statement
must equal."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.core.calendar import business_day
from chalicelib.identity import directory, sessions, staff
from tests.support.partition import items_of
from tests.support.phones import new_phone
from tests.support.sign_in import staff_login

BENEFITS = {"base": ["饮品 95 折"], "gold": ["饮品 85 折", "免费升杯"]}


@dataclass
class PartnersWorld:
    api: Any
    admin: str = ""
    customers: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, api: Any) -> PartnersWorld:
        world = cls(api)
        name = f"ptn-admin-{uuid.uuid4().hex[:6]}"
        staff.create_staff(name, "ptn-admin-pass", "admin", rounds=4)
        world.admin = staff_login(api, name, "ptn-admin-pass")["access_token"]
        return world

    def partner(self, name: str = "街角咖啡", roles: tuple[str, ...] = ("accrual", "redemption"),
                rate: str = "1.5", cost: int = 5) -> dict[str, Any]:
        status, body, _ = self.api.call("POST", "/v1/admin/partners", {
            "name": name, "roles": list(roles), "cost_per_point_fen": cost, "earn_rate_per_yuan": rate,
            "benefits_by_tier": BENEFITS}, token=self.admin)
        assert status == 201, body
        return body

    def member(self, consent: bool = True) -> tuple[str, str, str]:
        """A new member: ``(customer_id, phone, access_token)``, with the partner_sharing consent if asked."""
        phone = new_phone()
        customer = directory.create_customer(directory.Identity("app", "app", phone), phone=phone, channel="app")
        token = sessions.issue(sessions.member_principal(customer.customer_id))["access_token"]
        self.customers.append(customer.customer_id)
        if consent:
            self.consent(token, True)
        return customer.customer_id, phone, token

    def consent(self, token: str, granted: bool) -> None:
        version = self.api.call("GET", "/v1/privacy/policy")[1]["version"]
        status, body, _ = self.api.call("POST", "/v1/me/consents", {
            "purpose": "partner_sharing", "granted": granted, "policy_version": version}, token=token)
        assert status == 201, body

    def as_partner(self, partner: dict[str, Any], method: str, path: str, body: Any = None,
                   key: str | None = None, **headers: str) -> tuple[int, Any, dict]:
        return self.api.call(method, path, body, headers={"x-api-key": key or partner["api_key"]["key"], **headers})

    def recognise(self, partner: dict[str, Any], phone: str) -> dict[str, Any]:
        status, body, _ = self.as_partner(partner, "POST", "/v1/partners/recognitions", {"phone": phone})
        assert status == 200, body
        return dict(body)

    def earn(self, partner: dict[str, Any], token: str, order_no: str, amount_fen: int,
             key: str | None = None) -> tuple[int, Any, dict]:
        return self.as_partner(partner, "POST", "/v1/partners/earnings",
                               {"token": token, "order_no": order_no, "amount_fen": amount_fen},
                               **{"idempotency-key": key or uuid.uuid4().hex})

    def balance(self, token: str) -> int:
        status, body, _ = self.api.call("GET", "/v1/me/points", token=token)
        assert status == 200, body
        return int(body["balance"])


def ledger_partner_sums(customer_ids: list[str]) -> dict[tuple[str, str], dict[str, int]]:
    """Brute force: every member's ledger entries of kind ``partner``, summed per (partner, Shanghai month) into
    points issued, reversed and spent (an entry moves ``delta - debt_delta`` points: a refund beyond the balance
    is debt)."""
    sums: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: {"issued": 0, "reversed": 0, "spent": 0})
    for customer_id in customer_ids:
        for entry in items_of(customer_id, "L#"):
            if entry["kind"]["S"] != "partner":
                continue
            partner_id, what, _ref = entry["reference"]["S"].split(":", 2)
            moved = int(entry["delta"]["N"]) - int(entry.get("debt_delta", {}).get("N", "0"))
            day = business_day(datetime.fromisoformat(entry["created_at"]["S"]))
            row = sums[(partner_id, f"{day.year:04d}-{day.month:02d}")]
            key = {"earn": "issued", "refund": "reversed", "spend": "spent"}[what]
            row[key] += abs(moved)
    return dict(sums)
