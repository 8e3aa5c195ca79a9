"""An access token issued before its customer was merged away reads and writes the survivor on every member route,
resolved once per request by the token check (``identity/merged_tokens.py``); tokens of members with a verified
phone stay DB-free, and only a token that may name a mergeable customer costs one GetItem."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.identity import access_token
from tests.support import contract
from tests.support.points_world import DynamoCalls

pytestmark = pytest.mark.integration

# Every member read that names no resource, from the route registry (the areas' manifests): a route added later is
# read with both tokens too.
MEMBER_GETS = tuple(s.path for s in contract.routes() if s.auth == "member" and s.method == "GET" and "{" not in s.path)


def _get(api: Any, path: str, token: str) -> Any:
    status, body, _ = api.call("GET", path, token=token)
    assert status == 200, (path, body)
    return body


@pytest.mark.slow
def test_an_old_token_reads_and_writes_the_survivor(api: Any) -> None:
    survivor = api.app_login("13900000301")
    mp = api.mp_login("mock:o-mrg-1")
    old = mp["access_token"]
    for token in (survivor["access_token"], old):  # each has a ledger of its own before the merge
        assert api.call("POST", "/v1/me/check-ins", token=token)[0] == 201
    assert access_token.verify_access_token(old).mergeable is True
    assert access_token.verify_access_token(survivor["access_token"]).mergeable is False
    status, bound, _ = api.call("POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900000301"}, token=old)
    assert status == 200 and bound["merged"] is True, bound
    new = bound["tokens"]["access_token"]
    for path in MEMBER_GETS:
        assert _get(api, path, old) == _get(api, path, new), path
    assert [e["kind"] for e in _get(api, "/v1/me/points/ledger", old)["items"]] == ["merge_in", "check_in"]
    status, body, _ = api.call("POST", "/v1/me/check-ins", token=old)  # today's check-in was the survivor's
    assert (status, body["error"]["code"]) == (409, "already_checked_in")
    assert survivor["customer_id"] == bound["customer_id"]


def test_only_a_token_of_a_customer_without_a_verified_phone_costs_a_read(api: Any) -> None:
    app_token = api.app_login("13900000302")["access_token"]
    mp_token = api.mp_login("mock:o-mrg-2")["access_token"]
    for token in (app_token, mp_token):
        _get(api, "/v1/me/points", token)  # warm caches
    with DynamoCalls().counting() as settled:
        _get(api, "/v1/me/points", app_token)
    with DynamoCalls().counting() as mergeable:
        _get(api, "/v1/me/points", mp_token)
    assert mergeable.total == settled.total + 1 and mergeable.ops["GetItem"] == settled.ops["GetItem"] + 1


def test_a_flagged_token_of_a_member_who_bound_a_phone_is_read_once_per_process(api: Any) -> None:
    mp = api.mp_login("mock:o-mrg-3")
    token = mp["access_token"]
    status, bound, _ = api.call("POST", "/v1/auth/miniprogram/phone", {"code": "mockphone:13900000303"}, token=token)
    assert status == 200 and bound["merged"] is False, bound
    assert access_token.verify_access_token(token).mergeable is True  # the session's token is not reissued
    _get(api, "/v1/me/points", token)  # the process learns the customer now has a phone: it can never be absorbed
    with DynamoCalls().counting() as later:
        _get(api, "/v1/me/points", token)
    assert later.ops["GetItem"] == 0 and later.total == 1  # the member's one Query, as for any settled token
