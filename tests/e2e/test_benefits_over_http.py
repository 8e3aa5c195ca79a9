"""The benefits zone on the running local stack over HTTP: the seeded benefits (per tier, opening gift pack,
birthday), a claim and its replay, the member's vouchers, the till's redemption with the seeded key, an operator's
new benefit, and the birthday job triggered on demand (``python -m tools.run_job birthday_benefits_job``)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from chalicelib.core.calendar import SHANGHAI
from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY, SEEDED_STAFF, run_job
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

pytestmark = pytest.mark.e2e


def test_benefits_vouchers_gift_pack_and_birthday_job_on_the_local_stack(local_stack):
    phone = new_phone("136")
    member = app_login(local_stack, phone)
    token, cid = member["access_token"], member["customer_id"]

    status, zone = call(local_stack, "GET", "/v1/benefits", token=token)
    assert status == 200 and zone["tier"]["code"] == "base", zone
    by_id = {b["benefit_id"]: b for b in zone["items"]}
    assert by_id["bn_seed_ship_monthly"]["eligible"] is True
    assert by_id["bn_seed_video"]["eligible"] is False and by_id["bn_seed_video"]["unlock_tier"]["code"] == "gold"
    assert by_id["bn_seed_gift_ship"]["quota"]["used"] == 2  # the opening gift pack came with the enrolment
    status, mine = call(local_stack, "GET", "/v1/me/vouchers", token=token)
    assert sorted(v["benefit_id"] for v in mine["items"]) == sorted(
        ["bn_seed_gift_ship", "bn_seed_gift_ship", "bn_seed_gift_coupon"]), mine

    claim_headers = {"Idempotency-Key": f"e2e-{uuid.uuid4().hex}"}
    status, voucher = call(local_stack, "POST", "/v1/benefits/bn_seed_ship_monthly/claims", token=token,
                           headers=claim_headers)
    assert status == 201, voucher
    assert call(local_stack, "POST", "/v1/benefits/bn_seed_ship_monthly/claims", token=token,
                headers=claim_headers)[1] == voucher
    status, refused = call(local_stack, "POST", "/v1/benefits/bn_seed_video/claims", token=token,
                           headers={"Idempotency-Key": "e2e-locked"})
    assert status == 403 and refused["error"]["code"] == "tier_not_eligible"

    status, used = call(local_stack, "POST", f"/v1/integrations/vouchers/{voucher['voucher_id']}/redemptions",
                        {"customer_id": cid, "order_no": f"E2E-{uuid.uuid4().hex[:8]}"}, headers=LOCAL_KEY)
    assert status == 201 and used["status"] == "used", used

    admin = staff_login(local_stack, "admin", SEEDED_STAFF["admin"])
    status, created = call(local_stack, "POST", "/v1/admin/benefits",
                           {"name": f"e2e {uuid.uuid4().hex[:6]}", "tiers": ["base"], "voucher_valid_days": 3,
                            "quota": {"per_period": 1, "period": "day"}}, token=admin["access_token"])
    assert status == 201, created
    call(local_stack, "POST", f"/v1/admin/benefits/{created['benefit_id']}/disable", token=admin["access_token"])

    this_month = datetime.now(SHANGHAI).month
    status, profile = call(local_stack, "PATCH", "/v1/me",
                           {"birthday": f"1990-{this_month:02d}-01", "consents": {"profiling": True}}, token=token)
    assert status == 200, profile
    for _ in range(2):  # twice: issued once
        run_job(local_stack, "birthday_benefits_job")
    status, mine = call(local_stack, "GET", "/v1/me/vouchers?limit=100", token=token)
    assert [v["benefit_id"] for v in mine["items"] if v["source"] == "birthday"] == ["bn_seed_birthday"]
