"""Admins manage staff accounts: add one (it signs in), list them page by page, change a role or disable one (its
refresh token stops at once), reset a password; an admin cannot disable or demote themselves."""

from __future__ import annotations

import pytest

from chalicelib.identity import staff

pytestmark = pytest.mark.integration


@pytest.fixture
def admin(api) -> dict:
    staff.create_staff("chief", "chief-pass-1", "admin", rounds=4)
    status, tokens, _ = api.call("POST", "/v1/staff/login", {"username": "chief", "password": "chief-pass-1"})
    assert status == 200, tokens
    return dict(tokens)


def login(api, username: str, password: str) -> tuple[int, dict]:
    status, body, _ = api.call("POST", "/v1/staff/login", {"username": username, "password": password})
    return status, body


@pytest.mark.slow
def test_an_admin_adds_an_agent_who_signs_in_and_a_taken_username_is_409(api, admin):
    token = admin["access_token"]
    status, body, _ = api.call("POST", "/v1/admin/staff",
                               {"username": "agent-li", "password": "agent-li-pass", "role": "agent"}, token=token)
    assert status == 201 and body["staff_id"].startswith("s_"), body
    status, tokens = login(api, "agent-li", "agent-li-pass")
    assert status == 200 and (tokens["staff_id"], tokens["role"]) == (body["staff_id"], "agent")
    status, again, _ = api.call("POST", "/v1/admin/staff",
                                {"username": "agent-li", "password": "other-pass-1", "role": "admin"}, token=token)
    assert (status, again["error"]["code"]) == (409, "staff_username_taken")
    assert login(api, "agent-li", "agent-li-pass")[1]["role"] == "agent"  # unchanged
    status, refused, _ = api.call("POST", "/v1/admin/staff", {"username": "x", "password": "p" * 8, "role": "agent"},
                                  token=tokens["access_token"])
    assert (status, refused["error"]["code"]) == (403, "forbidden")  # agents do not manage staff


@pytest.mark.slow
def test_the_list_pages_through_every_account_by_username(api, admin):
    token = admin["access_token"]
    for name in ("agent-c", "agent-a", "agent-b"):
        api.call("POST", "/v1/admin/staff", {"username": name, "password": "some-pass-1", "role": "agent"},
                 token=token)
    seen, cursor = [], None
    while True:
        status, page, _ = api.call("GET", "/v1/admin/staff?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                                   token=token)
        assert status == 200, page
        seen += [(a["username"], a["role"], a["disabled"]) for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [("agent-a", "agent", False), ("agent-b", "agent", False), ("agent-c", "agent", False),
                    ("chief", "admin", False)]
    assert not any("password" in key for key in page["items"][0])


@pytest.mark.slow
def test_disabling_an_account_stops_its_sign_in_and_its_refresh_token_at_once(api, admin):
    token = admin["access_token"]
    staff_id = api.call("POST", "/v1/admin/staff", {"username": "leaving", "password": "leaving-pass", "role": "agent"},
                        token=token)[1]["staff_id"]
    _, tokens = login(api, "leaving", "leaving-pass")
    status, changed, _ = api.call("PATCH", f"/v1/admin/staff/{staff_id}", {"disabled": True}, token=token)
    assert status == 200 and changed["disabled"] is True, changed
    status, body, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")
    assert login(api, "leaving", "leaving-pass")[0] == 401
    assert api.call("PATCH", f"/v1/admin/staff/{staff_id}", {"disabled": False}, token=token)[0] == 200
    assert login(api, "leaving", "leaving-pass")[0] == 200


@pytest.mark.slow
def test_a_role_change_applies_from_the_next_sign_in(api, admin):
    token = admin["access_token"]
    staff_id = api.call("POST", "/v1/admin/staff", {"username": "rising", "password": "rising-pass", "role": "agent"},
                        token=token)[1]["staff_id"]
    _, tokens = login(api, "rising", "rising-pass")
    status, changed, _ = api.call("PATCH", f"/v1/admin/staff/{staff_id}", {"role": "admin"}, token=token)
    assert (status, changed["role"]) == (200, "admin")
    assert api.call("POST", "/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})[0] == 401
    assert login(api, "rising", "rising-pass")[1]["role"] == "admin"


def test_an_admin_cannot_disable_or_demote_themselves(api, admin):
    token, own = admin["access_token"], admin["staff_id"]
    for change in ({"disabled": True}, {"role": "agent"}):
        status, body, _ = api.call("PATCH", f"/v1/admin/staff/{own}", change, token=token,
                                   headers={"accept-language": "en"})
        assert (status, body["error"]["code"]) == (409, "staff_self_change")
    assert login(api, "chief", "chief-pass-1")[1]["role"] == "admin"


@pytest.mark.slow
def test_a_password_reset_replaces_the_password(api, admin):
    token = admin["access_token"]
    staff_id = api.call("POST", "/v1/admin/staff", {"username": "forgot", "password": "forgot-pass-1", "role": "agent"},
                        token=token)[1]["staff_id"]
    status, body, _ = api.call("POST", f"/v1/admin/staff/{staff_id}/password", {"password": "a" * 100 + "-new"},
                               token=token)
    assert (status, body) == (204, None)
    assert login(api, "forgot", "forgot-pass-1")[0] == 401
    assert login(api, "forgot", "a" * 100 + "-new")[0] == 200


def test_an_unknown_staff_id_is_404(api, admin):
    token = admin["access_token"]
    assert api.call("PATCH", "/v1/admin/staff/s_nobody", {"disabled": True}, token=token)[0] == 404
    assert api.call("POST", "/v1/admin/staff/s_nobody/password", {"password": "whatever-1"}, token=token)[0] == 404


@pytest.mark.slow
def test_a_password_reset_ends_the_accounts_sessions(api, admin):
    token = admin["access_token"]
    staff_id = api.call("POST", "/v1/admin/staff", {"username": "phished", "password": "phished-pass", "role": "agent"},
                        token=token)[1]["staff_id"]
    _, stolen = login(api, "phished", "phished-pass")
    assert api.call("POST", f"/v1/admin/staff/{staff_id}/password", {"password": "fresh-pass-99"},
                    token=token)[0] == 204
    status, body, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": stolen["refresh_token"]})
    assert (status, body["error"]["code"]) == (401, "invalid_refresh_token")
    _, fresh = login(api, "phished", "fresh-pass-99")
    status, renewed, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": fresh["refresh_token"]})
    assert status == 200 and renewed["staff_id"] == staff_id  # sessions after the reset refresh as usual
    status, again, _ = api.call("POST", "/v1/auth/refresh", {"refresh_token": renewed["refresh_token"]})
    assert status == 200, again


@pytest.mark.slow
def test_an_admin_removes_an_accounts_authenticator_not_their_own(api, admin):
    from tests.integration.identity.test_staff_totp import enrol

    token = admin["access_token"]
    staff_id = api.call("POST", "/v1/admin/staff", {"username": "lost-phone", "password": "lost-phone-pass",
                                                    "role": "agent"}, token=token)[1]["staff_id"]
    enrol(api, "lost-phone", "lost-phone-pass")
    status, body = login(api, "lost-phone", "lost-phone-pass")
    assert (status, body["error"]["code"]) == (401, "mfa_required")
    assert api.call("DELETE", f"/v1/admin/staff/{staff_id}/totp", token=token)[0] == 204
    assert login(api, "lost-phone", "lost-phone-pass")[0] == 200
    status, refused, _ = api.call("DELETE", f"/v1/admin/staff/{admin['staff_id']}/totp", token=token)
    assert (status, refused["error"]["code"]) == (409, "staff_self_change")
    assert api.call("DELETE", "/v1/admin/staff/s_nobody/totp", token=token)[0] == 404
