"""The points tests' world: shared by the points, orders, claims, check-in and tier tests (no tests here).

``PointsWorld`` wraps the in-process ``api`` fixture (``tests/integration/conftest.py``) with the callers these
tests need: members (tokens minted by the sessions service), an agent, an admin and an integration key.
``DynamoCalls`` counts the DynamoDB calls made on the app's shared client (botocore ``before-call`` events).
``assert_consistent`` checks a member's points: balance = sum of the ledger = sum of the live buckets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.identity import api_keys, directory, sessions, staff
from chalicelib.points import reading
from chalicelib.points.rules import PointsAccount
from tests.support.partition import items_of
from tests.support.phones import new_phone
from tests.support.sign_in import staff_login

API_KEY = "points-test-key-0123456789"
__all__ = ["API_KEY", "DynamoCalls", "PointsWorld", "assert_consistent"]


def assert_consistent(customer_id: str, model: PointsAccount | None = None) -> None:
    """balance = sum(ledger) = sum(buckets) >= 0; debt = sum(debt deltas); balance_after runs in sequence.

    With ``model`` (the pure rules' account fed the same operations), the stored state equals the model's.
    """
    items = reading.query_member(customer_id, consistent=True)
    state = reading.PointsState.from_items(items)
    entries = sorted(items_of(customer_id, "L#"), key=lambda e: int(e["seq"]["N"]))
    assert [int(e["seq"]["N"]) for e in entries] == list(range(1, len(entries) + 1))
    running = debt = 0
    for entry in entries:
        running += int(entry["delta"]["N"])
        debt += int(entry["debt_delta"]["N"])
        assert running == int(entry["balance_after"]["N"]) >= 0
        assert debt == int(entry["debt_after"]["N"]) >= 0
    assert state.balance == running == sum(state.buckets.values())
    assert state.debt == debt
    assert all(p > 0 for p in state.buckets.values())
    assert not (state.debt and state.balance), "debt is repaid before points are held"
    if model is not None:
        assert (state.balance, state.debt, state.buckets) == (
            model.balance, model.debt, {b.expires_on: b.points for b in model.buckets}
        )


@dataclass
class PointsWorld:
    api: Any
    agent: str = ""
    admin: str = ""
    members: dict[str, str] = field(default_factory=dict)  # customer_id -> access token

    @classmethod
    def make(cls, api: Any) -> PointsWorld:
        world = cls(api)
        for role in ("agent", "admin"):
            staff.create_staff(f"pts-{role}", f"pts-{role}-pass", role, rounds=4)
            setattr(world, role, staff_login(api, f"pts-{role}", f"pts-{role}-pass")["access_token"])
        api_keys.create_api_key("points-tests", API_KEY)
        return world

    def member(self, phone: str | None = None) -> tuple[str, str]:
        """A new member (app identity with a verified phone): ``(customer_id, access_token)``."""
        phone = phone or new_phone()
        customer = directory.create_customer(directory.Identity("app", "app", phone), phone=phone, channel="app")
        token = sessions.issue(sessions.member_principal(customer.customer_id))["access_token"]
        self.members[customer.customer_id] = token
        return customer.customer_id, token

    def token(self, customer_id: str) -> str:
        return self.members[customer_id]

    def order(self, order_no: str, customer: dict[str, str], amount_fen: int, *, paid_at: datetime | None = None,
              channel: str = "store", expect: int | None = 201) -> dict[str, Any]:
        body = {"order_no": order_no, "customer": customer, "amount_fen": amount_fen, "channel": channel,
                "paid_at": (paid_at or clock.now()).isoformat()}
        status, out, _ = self.api.call("POST", "/v1/integrations/orders", body, headers={"x-api-key": API_KEY})
        if expect is not None:
            assert status == expect, out
        return out

    def refund(self, order_no: str, amount_fen: int, refund_no: str | None = None,
               expect: int | None = 201) -> tuple[int, dict[str, Any], dict[str, str]]:
        body: dict[str, Any] = {"amount_fen": amount_fen}
        if refund_no:
            body["refund_no"] = refund_no
        status, out, headers = self.api.call(
            "POST", f"/v1/integrations/orders/{order_no}/refunds", body, headers={"x-api-key": API_KEY}
        )
        if expect is not None:
            assert status == expect, out
        return status, out, headers

    def get(self, path: str, token: str) -> dict[str, Any]:
        status, body, _ = self.api.call("GET", path, token=token)
        assert status == 200, body
        return body

    def ledger(self, token: str, limit: int = 100) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(f"/v1/me/points/ledger?limit={limit}" + (f"&cursor={cursor}" if cursor else ""), token)
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def balance(self, token: str) -> int:
        return int(self.get("/v1/me/points", token)["balance"])


class DynamoCalls:
    """Counts DynamoDB operations on the shared client while active: ``with DynamoCalls() as calls: ...``."""

    def __init__(self) -> None:
        self.ops: Counter[str] = Counter()
        self.log: list[str] = []

    def _count(self, model: Any, **_: Any) -> None:
        self.ops[model.name] += 1
        self.log.append(model.name)

    @property
    def total(self) -> int:
        return sum(self.ops.values())

    @contextmanager
    def counting(self) -> Iterator[DynamoCalls]:
        events = shared_connection().client.meta.events
        events.register("before-call.dynamodb", self._count)
        try:
            yield self
        finally:
            events.unregister("before-call.dynamodb", self._count)
