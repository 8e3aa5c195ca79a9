"""Points on the running local stack over HTTP: the seeded integration key and agent, orders, check-in, the
ledger, a back-fill claim approved by the agent, and the expiry job triggered on demand (``tools.stack.run_job``)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY, SEEDED_STAFF, run_job
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

pytestmark = pytest.mark.e2e


def test_points_check_in_claims_and_the_expiry_job_on_the_local_stack(local_stack):
    tag = uuid.uuid4().hex[:10]
    phone = new_phone("135")
    now = datetime.now(UTC).isoformat()
    order = {"order_no": f"E2E-{tag}", "customer": {"phone": phone}, "amount_fen": 12_300, "channel": "store",
             "paid_at": now}
    status, body = call(local_stack, "POST", "/v1/integrations/orders", order, headers=LOCAL_KEY)
    assert (status, body["points_awarded"], body["new_member"]) == (201, 123, True), body
    assert call(local_stack, "POST", "/v1/integrations/orders", order, headers=LOCAL_KEY)[1]["points_awarded"] == 0

    member = app_login(local_stack, phone)
    token = member["access_token"]
    assert member["customer_id"] == body["customer_id"]
    status, checked = call(local_stack, "POST", "/v1/me/check-ins", token=token)
    assert status == 201, checked
    assert call(local_stack, "POST", "/v1/me/check-ins", token=token)[0] == 409

    today = datetime.now(UTC).date().isoformat()
    claim_body = {"order_no": f"E2E-C-{tag}", "amount_fen": 5_000, "purchased_on": today}
    status, claim = call(local_stack, "POST", "/v1/me/points/claims", claim_body, token=token)
    assert status == 201 and claim["status"] == "pending", claim
    agent = staff_login(local_stack, "agent", SEEDED_STAFF["agent"])
    status, approved = call(local_stack, "POST", f"/v1/agent/points-claims/{claim['claim_id']}/approve", {},
                            token=agent["access_token"])
    assert (status, approved["points_awarded"]) == (200, 50), approved

    status, view = call(local_stack, "GET", "/v1/me/points", token=token)
    assert view["balance"] == 123 + checked["points_awarded"] + 50
    status, ledger = call(local_stack, "GET", "/v1/me/points/ledger?limit=2", token=token)
    assert [e["kind"] for e in ledger["items"]] == ["claim", "check_in"] and ledger["next_cursor"]

    run_job(local_stack, "expire_points_job")
    assert call(local_stack, "GET", "/v1/me/points", token=token)[1]["balance"] == view["balance"]  # nothing due
