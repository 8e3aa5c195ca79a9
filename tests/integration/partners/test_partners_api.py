"""Alliance merchants over the in-process API on DynamoDB Local: partners and their keys, recognition that tells a
partner nothing without the member's consent, earning once per order, spending only with the member's
confirmation, and monthly statements equal to the ledger."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from chalicelib.core import clock, rate_limits
from chalicelib.core.sms import OutboxSms
from chalicelib.partners import recognition
from tests.support.clock import frozen_clock
from tests.support.partition import items_of
from tests.support.partners_world import PartnersWorld, ledger_partner_sums
from tests.support.phones import new_phone

pytestmark = pytest.mark.integration


@pytest.fixture
def world(api):
    return PartnersWorld.make(api)


def _raw(world, partner, phone):
    """The recognition's raw answer: status, body bytes and headers other than the request's ID."""
    response = world.api.client.http.post(
        "/v1/partners/recognitions", body=f'{{"phone": "{phone}"}}'.encode(),
        headers={"content-type": "application/json", "x-api-key": partner["api_key"]["key"]})
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() != "x-request-id"}
    return response.status_code, response.body, headers


# --------------------------------------------------------------------------------------------- partners and keys


@pytest.mark.slow
def test_a_partner_is_registered_with_a_key_shown_once_and_revocable(world):
    partner = world.partner()
    key = partner["api_key"]
    assert key["key"].startswith("ptk_") and partner["roles"] == ["accrual", "redemption"]
    status, detail, _ = world.api.call("GET", f"/v1/admin/partners/{partner['partner_id']}", token=world.admin)
    assert status == 200 and [k["key_id"] for k in detail["keys"]] == [key["key_id"]]
    assert key["key"] not in str(detail) and key["key"].rsplit("_", 1)[1] not in str(detail)
    stored = items_of_partner(partner["partner_id"])
    assert all(key["key"].rsplit("_", 1)[1] not in str(item) for item in stored), "only a digest is stored"
    listed = world.api.call("GET", "/v1/admin/partners", token=world.admin)[1]["items"]
    assert partner["partner_id"] in [p["partner_id"] for p in listed]

    _, phone, _ = world.member()
    assert world.as_partner(partner, "POST", "/v1/partners/recognitions", {"phone": phone})[0] == 200
    status, _, _ = world.api.call("DELETE", f"/v1/admin/partners/{partner['partner_id']}/keys/{key['key_id']}",
                                  token=world.admin)
    assert status == 204
    status, body, _ = world.as_partner(partner, "POST", "/v1/partners/recognitions", {"phone": phone})
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")
    status, fresh, _ = world.api.call("POST", f"/v1/admin/partners/{partner['partner_id']}/keys", token=world.admin)
    assert status == 201
    assert world.as_partner(partner, "POST", "/v1/partners/recognitions", {"phone": phone}, key=fresh["key"])[0] == 200


def items_of_partner(partner_id: str) -> list[dict]:
    from chalicelib.core.dynamo.paging import query_all

    return query_all(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": f"PARTNER#{partner_id}"}})


def test_a_partner_key_opens_no_member_or_integration_route_and_a_token_no_partner_route(world):
    partner = world.partner()
    _, _, token = world.member()
    for method, path in (("GET", "/v1/me"), ("GET", "/v1/me/points"), ("GET", "/v1/me/partner-redemptions")):
        status, body, _ = world.as_partner(partner, method, path)
        assert (status, body["error"]["code"]) == (401, "unauthorized"), path
    status, body, _ = world.as_partner(partner, "POST", "/v1/integrations/orders", {})
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")
    status, body, _ = world.api.call("POST", "/v1/partners/recognitions", {"phone": new_phone()}, token=token)
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")
    status, body, _ = world.api.call("POST", "/v1/partners/recognitions", {"phone": new_phone()},
                                     headers={"x-api-key": partner["api_key"]["key"][:-2] + "zz"})
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")


# ----------------------------------------------------------------------------------------------------- recognition


def test_without_the_consent_a_member_is_answered_exactly_as_a_stranger(world):
    partner = world.partner()
    _, phone, _ = world.member(consent=False)
    member = _raw(world, partner, phone)
    stranger = _raw(world, partner, new_phone())
    assert member == stranger
    assert member[0] == 200 and member[1] == b'{"member": false}'


@pytest.mark.slow
def test_with_the_consent_the_partner_learns_tier_and_benefits_only_until_withdrawn(world):
    partner = world.partner()
    _, phone, token = world.member()
    body = world.recognise(partner, phone)
    assert set(body) == {"member", "token", "tier", "benefits"}
    assert (body["member"], body["tier"], body["benefits"]) == (True, "base", ["饮品 95 折"])
    world.consent(token, False)
    assert _raw(world, partner, phone) == _raw(world, partner, new_phone())
    status, out, _ = world.earn(partner, body["token"], "W1", 1000)
    assert (status, out["error"]["code"]) == (400, "partner_token_invalid"), "a withdrawal stops issued tokens too"
    assert world.balance(token) == 0


@pytest.mark.slow
def test_a_token_names_the_member_to_its_partner_only_and_for_ten_minutes(world):
    first, second = world.partner("甲"), world.partner("乙")
    _, phone, token = world.member()
    issued = world.recognise(first, phone)["token"]
    status, body, _ = world.earn(second, issued, "T1", 1000)
    assert (status, body["error"]["code"]) == (400, "partner_token_invalid")
    with frozen_clock(clock.now() + timedelta(minutes=10, seconds=1)):
        status, body, _ = world.earn(first, issued, "T2", 1000)
    assert (status, body["error"]["code"]) == (400, "partner_token_invalid")
    assert world.balance(token) == 0
    assert world.earn(first, issued, "T3", 1000)[0] == 201


def test_recognitions_are_limited_per_partner(world, monkeypatch):
    monkeypatch.setattr(recognition, "RECOGNITIONS_PER_PARTNER_MINUTE",
                        rate_limits.Limit(f"partner-recognition-{uuid.uuid4().hex[:6]}", 2, 60))
    busy, other = world.partner("忙"), world.partner("闲")
    for _ in range(2):
        world.recognise(busy, new_phone())
    status, body, headers = world.as_partner(busy, "POST", "/v1/partners/recognitions", {"phone": new_phone()})
    assert (status, body["error"]["code"]) == (429, "rate_limited") and int(headers["Retry-After"]) > 0
    world.recognise(other, new_phone())


# ------------------------------------------------------------------------------------------------------- earning


@pytest.mark.slow
def test_earning_is_once_per_order_and_shows_in_the_members_ledger_with_the_partner(world):
    partner = world.partner("街角咖啡", rate="1.5")
    cid, phone, token = world.member()
    recognised = world.recognise(partner, phone)["token"]
    key = uuid.uuid4().hex
    status, first, _ = world.earn(partner, recognised, "E1", 3899, key=key)
    assert status == 201 and first["points_awarded"] == 58  # floor(38.99 * 1.5)
    assert "balance" not in str(first) and cid not in str(first)
    status, again, headers = world.earn(partner, recognised, "E1", 3899, key=key)
    assert (status, again, headers.get("Idempotent-Replayed")) == (201, first, "true")
    status, other_key, _ = world.earn(partner, recognised, "E1", 3899)
    assert (status, other_key) == (200, first)
    status, body, _ = world.earn(partner, recognised, "E2", 100, key=key)
    assert (status, body["error"]["code"]) == (422, "idempotency_key_reused")
    assert world.balance(token) == 58
    ledger = world.api.call("GET", "/v1/me/points/ledger", token=token)[1]["items"]
    assert [(e["kind"], e["delta"], e.get("reason")) for e in ledger] == [("partner", 58, "街角咖啡")]


@pytest.mark.slow
def test_a_refund_reverses_the_earning_once(world):
    partner = world.partner(rate="1")
    _, phone, token = world.member()
    recognised = world.recognise(partner, phone)["token"]
    world.earn(partner, recognised, "R1", 5000)
    status, body, _ = world.as_partner(partner, "POST", "/v1/partners/earnings/R1/refund")
    assert (status, body["status"]) == (201, "refunded")
    status, again, _ = world.as_partner(partner, "POST", "/v1/partners/earnings/R1/refund")
    assert (status, again["status"]) == (200, "refunded")
    assert world.balance(token) == 0
    status, body, _ = world.as_partner(partner, "POST", "/v1/partners/earnings/NOPE/refund")
    assert (status, body["error"]["code"]) == (404, "partner_earning_not_found")
    status, body, _ = world.as_partner(world.partner("别家"), "POST", "/v1/partners/earnings/R1/refund")
    assert (status, body["error"]["code"]) == (404, "partner_earning_not_found"), "another partner's order"


def test_a_partner_without_the_role_is_refused(world):
    partner = world.partner(roles=("redemption",))
    _, phone, _ = world.member()
    status, body, _ = world.earn(partner, world.recognise(partner, phone)["token"], "X1", 1000)
    assert (status, body["error"]["code"]) == (403, "partner_role_missing")


# ---------------------------------------------------------------------------------------------------- redemptions


def _funded(world, partner, points_fen=10000):
    cid, phone, token = world.member()
    recognised = world.recognise(partner, phone)["token"]
    assert world.earn(partner, recognised, f"F{uuid.uuid4().hex[:8]}", points_fen)[0] == 201
    return cid, phone, token, recognised


def _ask(world, partner, recognised, points, order_no=None):
    return world.as_partner(partner, "POST", "/v1/partners/redemptions",
                            {"token": recognised, "points": points, "order_no": order_no or uuid.uuid4().hex[:12]})


@pytest.mark.slow
def test_a_partner_burn_spends_nothing_until_the_member_confirms_and_then_once(world):
    partner = world.partner(rate="1")
    _, _, token, recognised = _funded(world, partner)
    status, asked, _ = _ask(world, partner, recognised, 30, "B1")
    assert (status, asked["status"]) == (202, "awaiting_member")
    assert world.balance(token) == 100
    assert _ask(world, partner, recognised, 30, "B1")[1] == asked
    assert _ask(world, partner, recognised, 31, "B1")[1]["error"]["code"] == "partner_order_used"
    rid = asked["redemption_id"]
    mine = world.api.call("GET", "/v1/me/partner-redemptions", token=token)[1]["items"]
    assert [(m["redemption_id"], m["partner_name"], m["status"]) for m in mine] == [
        (rid, "街角咖啡", "awaiting_member")]
    status, confirmed, _ = world.api.call("POST", f"/v1/me/partner-redemptions/{rid}/confirm", token=token)
    assert (status, confirmed["status"]) == (200, "confirmed")
    status, body, _ = world.api.call("POST", f"/v1/me/partner-redemptions/{rid}/confirm", token=token)
    assert (status, body["error"]["code"]) == (409, "partner_redemption_closed")
    assert world.balance(token) == 70
    assert world.as_partner(partner, "GET", f"/v1/partners/redemptions/{rid}")[1]["status"] == "confirmed"


@pytest.mark.slow
def test_a_declined_or_unaffordable_request_spends_nothing(world):
    partner = world.partner(rate="1")
    _, _, token, recognised = _funded(world, partner, 1000)
    rid = _ask(world, partner, recognised, 500)[1]["redemption_id"]
    status, body, _ = world.api.call("POST", f"/v1/me/partner-redemptions/{rid}/confirm", token=token)
    assert (status, body["error"]["code"]) == (409, "insufficient_points")
    assert world.as_partner(partner, "GET", f"/v1/partners/redemptions/{rid}")[1]["status"] == "awaiting_member"
    status, body, _ = world.api.call("POST", f"/v1/me/partner-redemptions/{rid}/decline", token=token)
    assert (status, body["status"]) == (200, "declined")
    assert world.as_partner(partner, "GET", f"/v1/partners/redemptions/{rid}")[1]["status"] == "declined"
    assert world.balance(token) == 10


@pytest.mark.slow
def test_the_sms_code_confirms_at_the_till_and_a_wrong_one_spends_nothing(world):
    partner = world.partner(rate="1")
    _, phone, token, recognised = _funded(world, partner)
    rid = _ask(world, partner, recognised, 40)[1]["redemption_id"]
    code = OutboxSms.recent(phone, 1)[0].code
    wrong = "000000" if code != "000000" else "111111"
    status, body, _ = world.as_partner(partner, "POST", f"/v1/partners/redemptions/{rid}/otp", {"code": wrong},
                                       **{"accept-language": "en"})
    assert (status, body["error"]["code"], body["error"]["message"]) == (400, "partner_otp_invalid",
                                                                         "The SMS code is wrong")
    assert world.balance(token) == 100
    status, body, _ = world.as_partner(partner, "POST", f"/v1/partners/redemptions/{rid}/otp", {"code": code})
    assert (status, body["status"]) == (200, "confirmed")
    assert world.balance(token) == 60


@pytest.mark.slow
def test_an_unconfirmed_request_expires_after_five_minutes(world):
    partner = world.partner(rate="1")
    _, _, token, recognised = _funded(world, partner)
    rid = _ask(world, partner, recognised, 40)[1]["redemption_id"]
    with frozen_clock(clock.now() + timedelta(minutes=5, seconds=1)):
        assert world.as_partner(partner, "GET", f"/v1/partners/redemptions/{rid}")[1]["status"] == "expired"
        status, body, _ = world.api.call("POST", f"/v1/me/partner-redemptions/{rid}/confirm", token=token)
        assert (status, body["error"]["code"]) == (409, "partner_redemption_closed")
        assert world.api.call("GET", "/v1/me/partner-redemptions", token=token)[1]["items"][0]["status"] == "expired"
    assert world.balance(token) == 100


@pytest.mark.slow
def test_a_partner_cannot_reach_another_partners_redemption(world):
    mine, theirs = world.partner("甲", rate="1"), world.partner("乙")
    _, phone, token, recognised = _funded(world, mine)
    rid = _ask(world, mine, recognised, 10)[1]["redemption_id"]
    code = OutboxSms.recent(phone, 1)[0].code
    for method, path, body in (("GET", f"/v1/partners/redemptions/{rid}", None),
                               ("POST", f"/v1/partners/redemptions/{rid}/otp", {"code": code})):
        status, out, _ = world.as_partner(theirs, method, path, body)
        assert (status, out["error"]["code"]) == (404, "not_found"), path
    assert world.balance(token) == 100


# ------------------------------------------------------------------------------------------------------ settlement


@pytest.mark.slow
def test_a_months_statement_reconciles_to_the_ledger_to_the_point(world):
    partner, other = world.partner("甲", rate="1.5", cost=4), world.partner("乙", rate="2", cost=3)
    for _ in range(3):
        for p in (partner, other):
            _, phone, token = world.member()
            recognised = world.recognise(p, phone)["token"]
            for i, amount in enumerate((1999, 4550, 120)):
                world.earn(p, recognised, f"S{uuid.uuid4().hex[:6]}{i}", amount)
            refunded = f"S{uuid.uuid4().hex[:8]}"
            world.earn(p, recognised, refunded, 3000)
            rid = _ask(world, p, recognised, 20)[1]["redemption_id"]
            world.api.call("POST", f"/v1/me/partner-redemptions/{rid}/confirm", token=token)
            world.as_partner(p, "POST", f"/v1/partners/earnings/{refunded}/refund")  # a refund into debt, maybe
    month = _month_now()
    expected = ledger_partner_sums(world.customers)
    for p in (partner, other):
        status, statement, _ = world.api.call(
            "GET", f"/v1/admin/partners/{p['partner_id']}/statements/{month}", token=world.admin)
        assert status == 200, statement
        sums = expected[(p["partner_id"], month)]
        assert (statement["points_issued"], statement["points_reversed"], statement["points_spent"]) == (
            sums["issued"], sums["reversed"], sums["spent"])
        assert sums["issued"] > 0 and sums["reversed"] > 0 and sums["spent"] == 60
        cost = p["cost_per_point_fen"]
        assert statement["net_fen"] == (sums["issued"] - sums["reversed"] - sums["spent"]) * cost
    response = world.api.client.http.get(f"/v1/admin/partners/{partner['partner_id']}/statements/{month}.csv",
                                         headers={"authorization": f"Bearer {world.admin}"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert response.body.startswith("\ufeff".encode())
    lines = response.body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("partner_id,partner_name,month") and "甲" in lines[1]
    status, empty, _ = world.api.call("GET", f"/v1/admin/partners/{partner['partner_id']}/statements/2001-01",
                                      token=world.admin)
    assert (status, empty["points_issued"], empty["net_fen"]) == (200, 0, 0)


def _month_now() -> str:
    from chalicelib.core.calendar import business_day

    day = business_day(clock.now())
    return f"{day.year:04d}-{day.month:02d}"


# ------------------------------------------------------------------------------------------------------ bad input


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_input_is_400_in_both_languages_and_changes_nothing(world, lang):
    partner = world.partner(rate="1")
    cid, _phone, _token, recognised = _funded(world, partner)
    headers = {"accept-language": lang}
    before = (_partition(cid), items_of_partner(partner["partner_id"]))
    cases = [
        ("POST", "/v1/partners/recognitions", {"phone": "12"}),
        ("POST", "/v1/partners/earnings", {"token": recognised, "order_no": "B 1", "amount_fen": 100}),
        ("POST", "/v1/partners/earnings", {"token": recognised, "order_no": "B1", "amount_fen": -1}),
        ("POST", "/v1/partners/earnings", {"token": "prt_forged", "order_no": "B2", "amount_fen": 100}),
        ("POST", "/v1/partners/redemptions", {"token": recognised, "order_no": "B3", "points": 0}),
        ("POST", "/v1/partners/redemptions", {"token": recognised, "order_no": "B4", "points": "5"}),
    ]
    for method, path, body in cases:
        status, out, _ = world.as_partner(partner, method, path, body, **headers,
                                          **{"idempotency-key": uuid.uuid4().hex})
        assert status == 400, (path, body, out)
        assert out["error"]["code"] in ("validation_error", "partner_token_invalid")
        english = out["error"]["message"].isascii()
        assert english == (lang == "en"), out
    status, out, _ = world.api.call("POST", "/v1/admin/partners", {
        "name": "坏", "roles": ["mint"], "cost_per_point_fen": -1, "earn_rate_per_yuan": "x"},
        token=world.admin, headers=headers)
    assert status == 400 and {d["field"] for d in out["error"]["details"]} >= {
        "roles.0", "cost_per_point_fen", "earn_rate_per_yuan"}
    status, out, _ = world.api.call("GET", f"/v1/admin/partners/{partner['partner_id']}/statements/2026-13",
                                    token=world.admin, headers=headers)
    assert (status, out["error"]["code"]) == (400, "validation_error")
    assert (_partition(cid), items_of_partner(partner["partner_id"])) == before


def _partition(customer_id: str) -> list[dict]:
    return [item for prefix in ("M", "L", "H") for item in items_of(customer_id, prefix)]


def test_the_local_stacks_demo_partner_is_seeded_once_and_its_key_works(world):
    from chalicelib.partners import seeds

    seeds.seed_demo_partner()
    seeds.seed_demo_partner()
    _, phone, _ = world.member()
    status, body, _ = world.api.call("POST", "/v1/partners/recognitions", {"phone": phone},
                                     headers={"x-api-key": seeds.LOCAL_KEY})
    assert (status, body["member"], body["benefits"]) == (200, True, ["饮品 95 折"])
