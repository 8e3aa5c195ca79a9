"""Points scenarios (issue 3): order ingestion, balances, ledger pages at 100 and 10,000 entries, check-in."""

from __future__ import annotations

import secrets
from typing import Any

from bench.endpoints import Request, Scenario, Session

API_KEY = "bench-integration-key"


def _api_key() -> None:
    from chalicelib.identity import api_keys

    api_keys.create_api_key("bench", API_KEY)


def _order_body(customer: dict[str, str]) -> dict[str, Any]:
    return {
        "order_no": "B" + secrets.token_hex(8),
        "customer": customer,
        "amount_fen": 12_800,
        "channel": "store",
        "paid_at": "2026-11-23T10:00:00+08:00",
    }


def _order_by_id_setup(s: Session) -> dict[str, Any]:
    _api_key()
    member = s.member()
    s.ok(_order(s, {"customer_id": member["customer_id"]}), 201)  # warms the tier/promotion caches
    return {"customer_id": member["customer_id"]}


def _order(s: Session, customer: dict[str, str]) -> Request:
    return Request("POST", "/v1/integrations/orders", _order_body(customer), headers={"x-api-key": API_KEY})


def _order_by_id(s: Session, st: dict[str, Any]) -> Request:
    return _order(s, {"customer_id": st["customer_id"]})


def _order_by_new_phone_setup(s: Session) -> dict[str, Any]:
    _api_key()
    s.ok(_order(s, {"phone": s.new_phone()}), 201)
    return {}


def _order_by_phone(s: Session, st: dict[str, Any]) -> Request:
    """A phone this process has not seen: the store enrols or finds its member."""
    return _order(s, {"phone": s.new_phone()})


def _points(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me/points", token=st["access_token"])


def _ledger(s: Session, st: dict[str, Any]) -> Request:
    return Request("GET", "/v1/me/points/ledger?limit=20", token=st["access_token"])


def _member_with_history(entries: int) -> Any:
    def setup(s: Session) -> dict[str, Any]:
        from chalicelib.points.models import LedgerEntryItem

        member = s.member()
        customer = member["customer_id"]
        with LedgerEntryItem.batch_write() as batch:
            for seq in range(entries):
                batch.save(
                    LedgerEntryItem(
                        pk=f"CUST#{customer}", sk=f"L#2025-01-01T00:00:00.000+00:00#{seq:08d}", customer_id=customer,
                        entry_id=f"e{seq}", seq=seq, kind="adjustment", delta=(-1) ** seq, balance_after=seq % 2,
                        created_at="2025-01-01T00:00:00.000+00:00", reason="bench history",
                    )
                )
        return member

    return setup


def _check_in(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", "/v1/me/check-ins", token=st["access_token"])


POINTS_SCENARIOS: list[Scenario] = [
    Scenario("POST /v1/integrations/orders (by customer_id)", 2, _order_by_id, setup=_order_by_id_setup,
             expect=201, area="points"),
    Scenario("POST /v1/integrations/orders (unseen phone)", 2, _order_by_phone, setup=_order_by_new_phone_setup,
             expect=201, area="points", note="a phone seen in the last 5 minutes is cached: 2 calls"),
    Scenario("GET /v1/me/points", 1, _points, setup=Session.member, area="points"),
    Scenario("GET /v1/me/points/ledger (100 entries)", 1, _ledger, setup=_member_with_history(100), area="points"),
    Scenario("GET /v1/me/points/ledger (10,000 entries)", 1, _ledger, setup=_member_with_history(10_000),
             area="points", note="same capacity as at 100 entries: one page, newest first"),
    Scenario("POST /v1/me/check-ins", None, _check_in, setup=Session.member, expect=201, area="points"),
]
