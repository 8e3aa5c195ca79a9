"""A partner's burn confirmed from several places at once (the member's app, the member's other device, the till
entering the SMS code), and one order earned by several retries at once, over HTTP against two gunicorn worker
processes on DynamoDB Local: the points are spent once, earned once, and the partner's month counts them once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.sms import OutboxSms
from chalicelib.identity import directory, sessions
from chalicelib.partners import registry, settlement
from chalicelib.points import earn_and_spend, member_views
from chalicelib.privacy import consents, policy
from tests.support.http import Http, serve_app_processes
from tests.support.partition import items_of
from tests.support.partners_world import ledger_partner_sums
from tests.support.phones import new_phone
from tests.support.threads import run_at_once

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    clock.set_now(None)
    with serve_app_processes(workers=2, timeout=120) as server:
        yield server


def consenting_member(points: int) -> tuple[str, str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    consents.give(cid, "partner_sharing", True, policy.current().version, "app")
    if points:
        earn_and_spend.earn(cid, points, kind="purchase", reference=f"seed-{uuid.uuid4().hex[:8]}")
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, phone, {"authorization": f"Bearer {token}"}


def partner_call(http: Http, key: str, method: str, path: str, body: Any = None,
                 **headers: str) -> tuple[int, Any, dict]:
    return http.call_with_headers(method, path, body, {"x-api-key": key, **headers})


def confirm(http: Http, key: str, by: str, rid: str, code: str, auth: dict[str, str]) -> tuple[int, Any, dict]:
    """The member's confirmation in the app (``by="member"``), or the till entering the member's SMS code."""
    if by == "member":
        return http.call_with_headers("POST", f"/v1/me/partner-redemptions/{rid}/confirm", None, auth)
    return partner_call(http, key, "POST", f"/v1/partners/redemptions/{rid}/otp", {"code": code})


def earn(http: Http, key: str, body: dict[str, Any], idempotency_key: str) -> tuple[int, Any, dict]:
    return partner_call(http, key, "POST", "/v1/partners/earnings", body, **{"idempotency-key": idempotency_key})


def partner_entries(cid: str) -> list[tuple[str, int]]:
    return [(e["reference"]["S"].split(":")[1], int(e["delta"]["N"])) for e in items_of(cid, "L#")
            if e["kind"]["S"] == "partner"]


def test_concurrent_confirmations_spend_once(http: Http):
    partner = registry.register("并发咖啡", ["accrual", "redemption"], 5, Decimal(1), {})
    key = partner["api_key"]["key"]
    for _round in range(3):
        cid, phone, auth = consenting_member(500)
        status, recognised, _ = partner_call(http, key, "POST", "/v1/partners/recognitions", {"phone": phone})
        assert status == 200 and recognised["member"], recognised
        status, asked, _ = partner_call(http, key, "POST", "/v1/partners/redemptions",
                                        {"token": recognised["token"], "points": 120, "order_no": uuid.uuid4().hex})
        assert status == 202, asked
        rid = asked["redemption_id"]
        code = OutboxSms.recent(phone, 1)[0].code

        results = run_at_once(confirm, [(http, key, by, rid, code, auth) for by in ("member", "otp") * 3])
        statuses = Counter(status for status, _b, _h in results)
        assert statuses == Counter({200: 1, 409: 5}), results
        assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"partner_redemption_closed"}
        assert partner_entries(cid) == [("spend", -120)]
        assert member_views.balance_view(cid)["balance"] == 380
        status, polled, _ = partner_call(http, key, "GET", f"/v1/partners/redemptions/{rid}")
        assert (status, polled["status"]) == (200, "confirmed")


def test_one_order_earned_by_concurrent_retries_is_earned_once(http: Http):
    partner = registry.register("并发书店", ["accrual"], 5, Decimal(2), {})
    key = partner["api_key"]["key"]
    customers = []
    for _round in range(3):
        cid, phone, _auth = consenting_member(0)
        customers.append(cid)
        recognised = partner_call(http, key, "POST", "/v1/partners/recognitions", {"phone": phone})[1]
        body = {"token": recognised["token"], "order_no": uuid.uuid4().hex[:16], "amount_fen": 12345}
        same_key = uuid.uuid4().hex
        keys = [same_key, same_key, same_key, uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex]
        results = run_at_once(earn, [(http, key, body, k) for k in keys])
        assert {s for s, _b, _h in results} <= {200, 201}, results
        assert len({str(b) for _s, b, _h in results}) == 1, "every answer is the first one"
        assert partner_entries(cid) == [("earn", 246)]
    month = settlement.month_of(clock.now().astimezone(settlement_zone()).date())
    statement = settlement.statement(registry.load(partner["partner_id"]), month)
    assert statement["points_issued"] == ledger_partner_sums(customers)[(partner["partner_id"], month)]["issued"]
    assert statement["points_issued"] == 3 * 246


def settlement_zone() -> Any:
    from chalicelib.core.calendar import SHANGHAI

    return SHANGHAI
