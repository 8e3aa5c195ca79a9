"""Sign-in across channels against DynamoDB Local: one person ends up as one customer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.dynamo import keys
from chalicelib.identity import directory, sessions
from chalicelib.identity.models import CustomerItem, KeyItem
from tests.support.http import Http, serve_app_processes

pytestmark = pytest.mark.integration


def me(api, token):
    status, body, _ = api.call("GET", "/v1/me", token=token)
    assert status == 200, body
    return body


def test_app_login_enrols_then_recognises_the_member(api):
    first = api.app_login("13800000001")
    assert first["new_member"] is True and first["token_type"] == "Bearer"
    again = api.app_login("13800000001")
    assert again["new_member"] is False
    assert again["customer_id"] == first["customer_id"]
    profile = me(api, again["access_token"])
    assert profile["phone_masked"] == "138****0001"
    assert profile["channels"] == ["app"]
    assert profile["tier"]["code"] == "base" and profile["points"]["balance"] == 0
    assert len(profile["member_no"]) == 10


def test_a_code_works_once(api):
    api.call("POST", "/v1/auth/app/otp", {"phone": "13800000002"})
    code = api.otp_code("13800000002")
    status, _, _ = api.call("POST", "/v1/auth/app/login", {"phone": "13800000002", "otp": code})
    assert status == 200
    status, body, _ = api.call("POST", "/v1/auth/app/login", {"phone": "13800000002", "otp": code})
    assert (status, body["error"]["code"]) == (401, "invalid_otp")


def test_five_wrong_codes_lock_the_code_even_for_the_right_one(api):
    api.call("POST", "/v1/auth/app/otp", {"phone": "13800000003"})
    code = api.otp_code("13800000003")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    codes = []
    for _ in range(5):
        status, body, _ = api.call("POST", "/v1/auth/app/login", {"phone": "13800000003", "otp": wrong})
        assert status == 401
        codes.append(body["error"]["code"])
    assert codes[:4] == ["invalid_otp"] * 4 and codes[4] == "otp_attempts_exceeded"
    status, body, _ = api.call("POST", "/v1/auth/app/login", {"phone": "13800000003", "otp": code})
    assert (status, body["error"]["code"]) == (401, "otp_attempts_exceeded")
    assert directory.lookup(directory.phone_key("13800000003")) is None


def test_resend_is_throttled_and_codes_expire(api):
    assert api.call("POST", "/v1/auth/app/otp", {"phone": "13800000004"})[0] == 202
    status, body, headers = api.call("POST", "/v1/auth/app/otp", {"phone": "13800000004"})
    assert (status, body["error"]["code"]) == (429, "otp_resend_too_soon")
    assert headers["Retry-After"] == "60"
    clock.set_now(clock.now() + timedelta(seconds=61))
    assert api.call("POST", "/v1/auth/app/otp", {"phone": "13800000004"})[0] == 202
    code = api.otp_code("13800000004")
    clock.set_now(clock.now() + timedelta(seconds=301))
    status, body, _ = api.call("POST", "/v1/auth/app/login", {"phone": "13800000004", "otp": code})
    assert (status, body["error"]["code"]) == (401, "invalid_otp")


def test_three_channels_of_one_person_are_one_customer(api):
    mp = api.mp_login("mock:o-mp-1:u-union-1")
    assert mp["new_member"] is True and mp["phone_bound"] is False
    status, bound, _ = api.call(
        "POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900000001"}, token=mp["access_token"]
    )
    assert status == 200, bound
    assert bound == {"customer_id": mp["customer_id"], "phone_masked": "139****0001", "merged": False}

    oa = api.oa_login("mock:o-oa-1:u-union-1")
    app_tokens = api.app_login("13900000001")
    assert oa["customer_id"] == app_tokens["customer_id"] == mp["customer_id"]
    assert oa["new_member"] is False and app_tokens["new_member"] is False
    assert sorted(me(api, app_tokens["access_token"])["channels"]) == ["app", "miniprogram", "wechat_oa"]
    assert api.mp_login("mock:o-mp-1:u-union-1#2")["phone_bound"] is True


@pytest.mark.slow
def test_binding_a_phone_owned_by_another_customer_merges_and_loses_nothing(api):
    app_user = api.app_login("13900000002")
    mp = api.mp_login("mock:o-mp-2:u-union-2")
    api.call("PATCH", "/v1/me", {"name": "小程序用户"}, token=mp["access_token"])
    status, bound, _ = api.call(
        "POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900000002"}, token=mp["access_token"]
    )
    assert status == 200, bound
    assert bound["merged"] is True and bound["customer_id"] == app_user["customer_id"]
    assert bound["tokens"]["customer_id"] == app_user["customer_id"]

    survivor = me(api, app_user["access_token"])
    assert sorted(survivor["channels"]) == ["app", "miniprogram"]
    assert survivor["name"] == "小程序用户"
    # The absorbed customer ID keeps resolving, through its old token too.
    assert me(api, mp["access_token"])["customer_id"] == app_user["customer_id"]
    assert directory.load_customer(mp["customer_id"]).customer_id == app_user["customer_id"]
    # Its identities and unionid now point at the survivor: the next mini-program sign-in lands there.
    assert api.mp_login("mock:o-mp-2:u-union-2#2")["customer_id"] == app_user["customer_id"]
    assert directory.lookup(directory.union_key("u-union-2")) == app_user["customer_id"]
    survivor_key = keys.customer_pk(app_user["customer_id"])
    records = list(CustomerItem.query(survivor_key, CustomerItem.sk.startswith("MERGE#")))
    assert len(records) == 1


@pytest.mark.slow
def test_never_takes_over_an_account_with_an_identity_of_the_same_channel(api):
    owner = api.mp_login("mock:o-mp-3")
    api.call("POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900000003"}, token=owner["access_token"])
    other = api.mp_login("mock:o-mp-4")
    status, body, _ = api.call(
        "POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900000003#2"}, token=other["access_token"]
    )
    assert (status, body["error"]["code"]) == (409, "identity_conflict")
    # Nothing changed on either side.
    assert me(api, other["access_token"])["phone_masked"] is None
    assert me(api, other["access_token"])["customer_id"] == other["customer_id"]
    assert me(api, owner["access_token"])["channels"] == ["miniprogram"]


@pytest.mark.slow  # real processes
def test_simultaneous_first_sign_ins_of_one_person_make_one_customer(api):
    """Against two worker processes (the ``api`` fixture only sets the environment they inherit), plain clients
    released at once by a barrier: nothing one process holds can make the race pass."""
    codes = [f"mock:o-mp-race:u-race#{i}" for i in range(12)]
    barrier = threading.Barrier(len(codes))

    def sign_in(server: Http, code: str) -> tuple[int, Any]:
        barrier.wait()
        return server.call("POST", "/v1/auth/miniprogram/login", {"code": code})

    with serve_app_processes(workers=2) as server, ThreadPoolExecutor(max_workers=len(codes)) as pool:
        results = list(pool.map(lambda c: sign_in(server, c), codes))
    assert all(status == 200 for status, _ in results), results
    customers = {body["customer_id"] for _, body in results}
    assert len(customers) == 1
    assert sum(body["new_member"] for _, body in results) == 1
    assert KeyItem.get(directory.union_key("u-race"), directory.KEY_SK).customer_id in customers


@pytest.mark.slow
def test_refresh_rotates_and_a_replayed_token_revokes_the_family(api):
    tokens = api.app_login("13900000005")
    status, fresh, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 200 and fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["customer_id"] == tokens["customer_id"]
    # Within the grace window a replay is a client's simultaneous refresh: the same successor.
    status, again, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 200 and again["refresh_token"] == fresh["refresh_token"]
    # After it, a replay is theft.
    clock.set_now(clock.now() + timedelta(seconds=sessions.REFRESH_REPLAY_GRACE_SECONDS + 1))
    status, body, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")
    # The replay burned the whole family: the newest token is dead too.
    status, body, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": fresh["refresh_token"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")


def test_logout_ends_the_sign_in(api):
    tokens = api.app_login("13900000006")
    status, body, _ = api.call("POST", "/v1/auth/logout", {"refresh_token": tokens["refresh_token"]})
    assert status == 204 and body is None
    status, body, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert status == 401


def test_official_account_callback_twice_with_one_code_gives_the_same_answer(api):
    status, issued, _ = api.call(
        "GET", "/v1/auth/wechat-oa/authorize-url?redirect_uri=https%3A%2F%2Fm.example.com%2Fcb&scope=snsapi_userinfo"
    )
    assert status == 200
    assert f"state={issued['state']}" in issued["url"] and "scope=snsapi_userinfo" in issued["url"]
    body = {"code": "mock:o-oa-twice:u-oa-twice", "state": issued["state"]}
    first = api.call("POST", "/v1/auth/wechat-oa/login", body)
    second = api.call("POST", "/v1/auth/wechat-oa/login", body)
    assert first[0] == second[0] == 200
    assert first[1]["customer_id"] == second[1]["customer_id"]
    assert first[1]["new_member"] is True and second[1]["new_member"] is True
    # The state cannot be used with another code.
    status, err, _ = api.call("POST", "/v1/auth/wechat-oa/login", {"code": "mock:o-other", "state": issued["state"]})
    assert (status, err["error"]["code"]) == (400, "invalid_state")


def test_official_account_snapshot_users_are_never_bound(api):
    status, issued, _ = api.call("GET", "/v1/auth/wechat-oa/authorize-url?redirect_uri=https%3A%2F%2Fm.example.com%2F")
    status, body, _ = api.call(
        "POST", "/v1/auth/wechat-oa/login", {"code": "mocksnapshot:o-snap", "state": issued["state"]}
    )
    assert (status, body["error"]["code"]) == (403, "snapshot_user")
    assert directory.lookup(directory.Identity("wechat_oa", "wx-local-official-account", "o-snap").key) is None


def test_wechat_errors_map_to_the_envelope(api):
    for code, status, expected in (
        ("mockerr:40029", 401, "invalid_code"),
        ("mockerr:45011", 429, "rate_limited"),
        ("mockerr:-1", 503, "upstream_unavailable"),
    ):
        got, body, _ = api.call("POST", "/v1/auth/miniprogram/login", {"code": code})
        assert (got, body["error"]["code"]) == (status, expected)


def test_staff_sign_in_and_roles(api):
    from chalicelib.identity import staff

    staff.create_staff("agent-x", "s3cret-pass", "agent", rounds=4)
    status, body, _ = api.call("POST", "/v1/staff/login", {"username": "agent-x", "password": "wrong-password"})
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    status, body, _ = api.call("POST", "/v1/staff/login", {"username": "nobody", "password": "wrong-password"})
    assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    status, tokens, _ = api.call("POST", "/v1/staff/login", {"username": "agent-x", "password": "s3cret-pass"})
    assert status == 200 and tokens["role"] == "agent" and tokens["staff_id"].startswith("s_")
    status, body, _ = api.call("GET", "/v1/me", token=tokens["access_token"])
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_a_session_of_an_absorbed_customer_continues_as_the_survivor(api):
    app_user = api.app_login("13900000007")
    mp = api.mp_login("mock:o-mp-7")
    status, _, _ = api.call(
        "POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900000007"}, token=mp["access_token"]
    )
    assert status == 200
    status, fresh, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": mp["refresh_token"]})
    assert status == 200, fresh
    assert fresh["customer_id"] == app_user["customer_id"]
