"""Every route in ``routing.REGISTRY`` x every kind of caller: the route's ``auth`` level decides.

The matrix is built from the registry at collection time, so routes added later are covered without
editing this file. Who is admitted is pinned in ``tests/support/contract.ADMITS`` from the outline
(member routes: members only; agent routes: agents, supervisors and admins; supervisor routes: supervisors and admins;
auditor routes: auditors and admins; staff routes: every staff role; admin routes: admins; integration
routes: a valid ``X-Api-Key``, bearer tokens don't count; public routes: anyone).

Refused callers get the documented envelope (code, non-empty message in Chinese, English with
``Accept-Language: en``, request id) and a code the OpenAPI document lists for the route. Admitted
callers send ``{}`` as the body and placeholders as path parameters: the answer may be 400 or 404,
but never a refusal of who they are, and never a 5xx.

One set of tables serves the whole module (see ``contract.shared_api``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.core.errors import CATALOGUE
from chalicelib.core.http import routing
from tests.support import contract
from tests.support.contract import (
    AUTH_CODES,
    CALLERS,
    assert_envelope,
    expected_denial,
    fill_path,
    route_id,
)

# Slow (left out of `make test-fast`): every route x every caller: thousands of requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROUTES = contract.routes()
API_KEY = "matrix-integration-key-" + uuid.uuid4().hex
PARTNER_KEY: dict[str, str] = {}  # the matrix partner's key, issued by the world fixture


@dataclass
class World:
    api: Any
    member: dict  # token body of member A
    other_member: dict  # token body of member B
    staff: dict[str, dict]  # role -> token body

    def headers(self, caller: str, spec: routing.RouteSpec) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        if caller == "member":
            return {"authorization": f"Bearer {self.member['access_token']}"}
        if caller in ("agent", "supervisor", "auditor", "admin"):
            return {"authorization": f"Bearer {self.staff[caller]['access_token']}"}
        if caller == "api_key":
            return {"x-api-key": API_KEY}
        if caller == "partner":
            return {"x-api-key": PARTNER_KEY["key"]}
        if caller == "wrong_api_key":
            return {"x-api-key": "wrong-" + uuid.uuid4().hex}
        role = contract.forging_role(spec.auth)
        if role == "member":
            claims = contract.token_claims("member", self.member["customer_id"], customer_id=self.member["customer_id"])
        else:
            claims = contract.token_claims(role, role, staff_id=self.staff[role]["staff_id"])
        return {"authorization": f"Bearer {contract.forged_token(caller, claims)}"}


@pytest.fixture(scope="module")
def world(ddb_endpoint: str, wechat_sim: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from chalicelib.identity.api_keys import create_api_key
    from chalicelib.identity.staff import STAFF_ROLES, create_staff

    def register_partner() -> str:
        from chalicelib.partners import registry

        created = registry.register("matrix partner", ["accrual", "redemption"], 5, Decimal(1), {})
        return str(created["api_key"]["key"])

    with contract.shared_api(ddb_endpoint, wechat_sim.base_url, str(tmp_path_factory.mktemp("matrix"))) as shared:
        api = shared.api
        staff = {}
        for role in STAFF_ROLES:
            password = f"matrix-{role}-pass"
            create_staff(f"matrix-{role}", password, role, rounds=4)
            status, body, _ = api.call("POST", "/v1/staff/login", {"username": f"matrix-{role}", "password": password})
            assert status == 200 and body["role"] == role, body
            staff[role] = body
        create_api_key("matrix", API_KEY)
        PARTNER_KEY["key"] = register_partner()
        yield World(api, api.app_login("13600000001"), api.app_login("13600000002"), staff)


@pytest.fixture(scope="module")
def document() -> dict:
    from chalicelib.core.http.openapi import build_document

    return build_document()


def _request(world: World, spec: routing.RouteSpec, caller: str, english: bool = False) -> tuple[int, Any, dict]:
    headers = world.headers(caller, spec)
    if spec.idempotent:
        headers["idempotency-key"] = uuid.uuid4().hex
    if english:
        headers["accept-language"] = "en"
    return world.api.call(spec.method, fill_path(spec.path), {} if spec.body else None, headers=headers)


def test_the_pinned_access_rules_match_the_route_layer():
    """``routing.ROLES_FOR_AUTH`` says the same as the outline for every bearer-token level."""
    for level, roles in routing.ROLES_FOR_AUTH.items():
        assert contract.ADMITS[level] == roles, level
    assert {spec.auth for spec in ROUTES} <= contract.ADMITS.keys()


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("spec", ROUTES, ids=route_id)
def test_the_routes_auth_level_decides(world: World, document: dict, spec: routing.RouteSpec, caller: str):
    status, body, headers = _request(world, spec, caller)
    assert status < 500, f"{caller} on {route_id(spec)}: {status} {body}"
    denial = expected_denial(spec.auth, caller)
    if denial is None:
        code = (body or {}).get("error", {}).get("code") if status >= 400 else None
        assert code not in AUTH_CODES, f"{caller} must be let into {route_id(spec)}: {status} {body}"
        if spec.auth != "public" and status in (401, 403):
            assert code in spec.errors, f"{route_id(spec)} refused {caller} with an undeclared {status} {code}"
        return
    assert_envelope(status, body, headers, denial)
    assert denial in contract.documented_error_codes(document, spec).get(status, set()), (
        f"{route_id(spec)} answers {status} {denial} but its OpenAPI operation does not list it"
    )
    status, body, headers = _request(world, spec, caller, english=True)
    assert_envelope(status, body, headers, denial, english=True)
    assert CATALOGUE[denial].en != CATALOGUE[denial].zh


API_KEY_ROUTES = [pytest.param(spec, id=route_id(spec)) for spec in ROUTES if spec.auth == "api_key"] or [
    pytest.param(None, id="none-yet", marks=pytest.mark.skip(reason="no route takes an X-Api-Key yet"))
]


@pytest.mark.parametrize("spec", API_KEY_ROUTES)
def test_a_disabled_api_key_is_refused(world: World, spec: routing.RouteSpec):
    from chalicelib.identity.api_keys import create_api_key, disable_api_key

    key = "matrix-disabled-" + uuid.uuid4().hex
    create_api_key("matrix-disabled", key)
    disable_api_key(key)
    status, body, headers = world.api.call(spec.method, fill_path(spec.path), {} if spec.body else None,
                                           headers={"x-api-key": key})
    assert_envelope(status, body, headers, "invalid_api_key")


# ------------------------------------------------------------------------- a member's own data


def test_a_member_sees_and_edits_only_their_own_profile(world: World):
    api, a, b = world.api, world.member, world.other_member
    assert a["customer_id"] != b["customer_id"]
    for who in (a, b):
        status, body, _ = api.call("GET", "/v1/me", token=who["access_token"])
        assert (status, body["customer_id"]) == (200, who["customer_id"])
    _, before_b, _ = api.call("GET", "/v1/me", token=b["access_token"])
    status, body, _ = api.call("PATCH", "/v1/me", {"name": "只改我自己"}, token=a["access_token"])
    assert (status, body["customer_id"], body["name"]) == (200, a["customer_id"], "只改我自己")
    assert api.call("GET", "/v1/me", token=b["access_token"])[1] == before_b


def test_a_member_token_names_the_customer_it_was_issued_for(world: World):
    """A token's ``cid`` cannot be swapped: re-signing another member's id needs the server's secret."""
    claims = contract.token_claims("member", world.other_member["customer_id"],
                                   customer_id=world.other_member["customer_id"])
    forged = contract.forged_token("other_secret_token", claims)
    status, body, headers = world.api.call("GET", "/v1/me", token=forged)
    assert_envelope(status, body, headers, "invalid_token")


OWNED = [spec for spec in ROUTES if contract.is_member_owned(spec)]
OWNED_PARAMS = [pytest.param(spec, id=route_id(spec)) for spec in OWNED] or [
    pytest.param(None, id="none-yet", marks=pytest.mark.skip(
        reason="no member route has a path parameter under " + ", ".join(contract.MEMBER_OWNED_PREFIXES) + " yet"
    ))
]


def _owned_call(world: World, spec: routing.RouteSpec, values: dict[str, str], token: str) -> tuple[int, Any, dict]:
    headers = {"idempotency-key": uuid.uuid4().hex} if spec.idempotent else {}
    body = spec.examples.get("request", {} if spec.body else None)
    return world.api.call(spec.method, fill_path(spec.path, values), body, token=token, headers=headers)


@pytest.mark.parametrize("spec", OWNED_PARAMS)
def test_an_unknown_member_resource_is_404(world: World, spec: routing.RouteSpec):
    status, body, headers = _owned_call(world, spec, {}, world.other_member["access_token"])
    assert_envelope(status, body, headers, "not_found")


@pytest.mark.parametrize("spec", OWNED_PARAMS)
def test_another_members_resource_is_404(world: World, spec: routing.RouteSpec):
    factory = contract.owned_resources().get(spec.path)
    assert factory is not None, (
        f"no factory for {spec.path}: declare it in its area manifest's owned_resources, so the test can make "
        "member A's resource and try it with member B's token")
    values = factory(world.api, world.member["access_token"])
    status, body, _ = _owned_call(world, spec, values, world.member["access_token"])
    assert status != 404 and status < 500, f"the owner cannot reach their own resource: {status} {body}"
    status, body, headers = _owned_call(world, spec, values, world.other_member["access_token"])
    assert_envelope(status, body, headers, "not_found")
