"""The local stack over HTTP, signed into as each client would: three channels, one customer."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.http import call
from tests.support.local_stack import SEEDED_STAFF
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

pytestmark = pytest.mark.e2e


def unique_phone() -> str:
    return new_phone("186")


def test_health_and_openapi(local_stack):
    assert call(local_stack, "GET", "/v1/health") == (200, {"status": "ok"})
    status, doc = call(local_stack, "GET", "/v1/openapi.json")
    assert status == 200 and "/v1/me" in doc["paths"] and "/v1/auth/app/login" in doc["paths"]


def test_mini_program_official_account_and_app_are_one_customer(local_stack):
    tag = uuid.uuid4().hex[:8]
    phone = unique_phone()
    status, mp = call(local_stack, "POST", "/v1/auth/miniprogram/login", {"code": f"mock:mp-{tag}:union-{tag}"},
                      headers={"X-Channel": "miniprogram"})
    assert status == 200 and mp["new_member"] is True and mp["phone_bound"] is False, mp
    status, bound = call(local_stack, "POST", "/v1/auth/miniprogram/phone", {"code": f"mockphone:{phone}"},
                         token=mp["access_token"])
    assert status == 200 and bound["customer_id"] == mp["customer_id"], bound

    status, issued = call(local_stack, "GET",
                          "/v1/auth/wechat-oa/authorize-url?redirect_uri=https%3A%2F%2Fm.example.com%2Fcb")
    assert status == 200, issued
    status, oa = call(local_stack, "POST", "/v1/auth/wechat-oa/login",
                      {"code": f"mock:oa-{tag}:union-{tag}", "state": issued["state"]},
                      headers={"X-Channel": "wechat_oa"})
    assert status == 200 and oa["customer_id"] == mp["customer_id"] and oa["new_member"] is False, oa

    app = app_login(local_stack, phone, channel="app")
    assert app["customer_id"] == mp["customer_id"] and app["new_member"] is False

    status, me = call(local_stack, "GET", "/v1/me", token=app["access_token"])
    assert status == 200, me
    assert sorted(me["channels"]) == ["app", "miniprogram", "wechat_oa"]
    assert me["phone_masked"] == f"{phone[:3]}****{phone[-4:]}"
    assert me["tier"]["code"] and me["points"]["balance"] >= 0


def test_seeded_staff_sign_in_and_refresh(local_stack):
    agent = staff_login(local_stack, "agent", SEEDED_STAFF["agent"])
    assert agent["role"] == "agent", agent
    admin = staff_login(local_stack, "admin", SEEDED_STAFF["admin"])
    assert admin["role"] == "admin", admin
    status, body = call(local_stack, "GET", "/v1/me", token=agent["access_token"])
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, fresh = call(local_stack, "POST", "/v1/auth/refresh", {"refresh_token": agent["refresh_token"]})
    assert status == 200 and fresh["role"] == "agent"


def test_concurrent_requests_keep_their_own_identity(local_stack):
    """chalice local serves each request on a thread: nobody may see another request's token or body."""
    members = [app_login(local_stack, unique_phone(), channel="app") for _ in range(6)]

    def whoami(tokens: dict) -> tuple[str, str]:
        status, me = call(local_stack, "GET", "/v1/me", token=tokens["access_token"])
        assert status == 200, me
        return tokens["customer_id"], me["customer_id"]

    with ThreadPoolExecutor(max_workers=12) as pool:
        pairs = list(pool.map(whoami, members * 8))
    assert all(asked == answered for asked, answered in pairs)


def test_errors_are_enveloped_in_both_languages(local_stack):
    status, zh = call(local_stack, "POST", "/v1/auth/app/login", {"phone": "123"})
    status_en, en = call(local_stack, "POST", "/v1/auth/app/login", {"phone": "123"},
                         headers={"Accept-Language": "en"})
    assert status == status_en == 400
    assert zh["error"]["code"] == en["error"]["code"] == "validation_error"
    assert zh["error"]["message"] != en["error"]["message"]
    assert {d["field"] for d in en["error"]["details"]} >= {"phone", "otp"}
