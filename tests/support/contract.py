"""Helpers for contract tests driven by ``chalicelib.core.http.routing.REGISTRY``.

The authorisation matrix, the bad-input table and the OpenAPI checks read the route registry, so a
route added anywhere in the app is covered without editing the tests. What is pinned here comes from
the API outline's Conventions (``../shared/api-outline.md``): which callers each auth level admits,
the error envelope, the ``?limit=`` bounds.

- ``routes()``: every declared route (importing ``app`` first, so every blueprint has registered).
- ``fill_path``: a route path with its ``{params}`` filled with placeholders (or given values).
- ``ADMITS`` / ``expected_denial``: the outline's access rules, independent of ``routing.ROLES_FOR_AUTH``.
- ``forged_token``: expired, ``alg=none``, other-secret, wrong-audience and malformed bearer tokens.
- ``assert_envelope``: the documented ``{"error": {code, message, request_id, details}}`` shape.
- ``documented_error_codes``: the error codes an operation of the OpenAPI document lists per status.
- ``wrong_typed_body`` / ``wrong_query_values``: values of the wrong JSON type for a model's fields.
- ``TableSnapshot`` / ``changed_keys``: every item of the test tables (boto3 scan), to prove nothing changed.
- ``shared_api``: one in-process API over one set of fresh tables for a whole test module (the
  function-scoped ``api`` fixture makes tables per test, which is too slow for hundreds of cases).
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import BaseModel

from chalicelib.core.errors import CATALOGUE
from chalicelib.core.http.routing import REGISTRY, RouteSpec

# ------------------------------------------------------------------------------------------ routes

PATH_PARAM = re.compile(r"\{([^}]+)\}")
PLACEHOLDER = "zz-placeholder-0"


def routes() -> list[RouteSpec]:
    """Every route of the app, as declared (``import app`` registers every blueprint)."""
    import app  # noqa: F401

    return list(REGISTRY)


def route_id(spec: RouteSpec) -> str:
    return f"{spec.method} {spec.path}"


def path_params(path: str) -> list[str]:
    return PATH_PARAM.findall(path)


def fill_path(path: str, values: dict[str, str] | None = None) -> str:
    """``/v1/x/{id}`` -> ``/v1/x/zz-placeholder-0`` (or the value given for ``id``)."""
    values = values or {}
    return PATH_PARAM.sub(lambda m: quote(values.get(m.group(1), PLACEHOLDER), safe=""), path)


def body_is_required(spec: RouteSpec) -> bool:
    """True when ``{}`` is not a valid body of the route (some field is required)."""
    return spec.body is not None and bool(spec.body.model_json_schema().get("required"))


# ------------------------------------------------------------------------------------------ access

# The error codes that mean "who you are" was refused (as opposed to a business 401/403 such as
# ``invalid_otp`` or ``tier_not_eligible``).
AUTH_CODES = frozenset({"unauthorized", "invalid_token", "token_expired", "forbidden", "invalid_api_key"})

VALID_CALLERS = ("anonymous", "member", "agent", "supervisor", "auditor", "admin", "api_key", "partner")
FORGED_CALLERS = ("wrong_api_key", "expired_token", "alg_none_token", "other_secret_token",
                  "wrong_audience_token", "malformed_token")
CALLERS = VALID_CALLERS + FORGED_CALLERS

# Pinned from the outline (Conventions, Agents, Operators, Integrations); deliberately not read from
# ``routing.ROLES_FOR_AUTH``, so a mistake there shows up as a failing matrix cell.
ADMITS: dict[str, frozenset[str]] = {
    "public": frozenset(CALLERS),
    "member": frozenset({"member"}),
    "staff": frozenset({"agent", "supervisor", "admin", "auditor"}),  # the 360 view: auditors read it too
    "agent": frozenset({"agent", "supervisor", "admin"}),
    "supervisor": frozenset({"supervisor", "admin"}),  # approve or reject what a maker asked for
    "auditor": frozenset({"auditor", "admin"}),  # the audit trail: read-only
    "admin": frozenset({"admin"}),
    "api_key": frozenset({"api_key"}),
    "partner": frozenset({"partner"}),  # an alliance merchant's own key: its routes only, and nothing else opens them
}
_BEARER_DENIAL = {
    "anonymous": "unauthorized",
    "api_key": "unauthorized",  # an API key is not a sign-in
    "partner": "unauthorized",  # nor is a partner's key
    "wrong_api_key": "unauthorized",
    "member": "forbidden",
    "agent": "forbidden",
    "supervisor": "forbidden",
    "auditor": "forbidden",
    "admin": "forbidden",
    "expired_token": "token_expired",
    "alg_none_token": "invalid_token",
    "other_secret_token": "invalid_token",
    "wrong_audience_token": "invalid_token",
    "malformed_token": "invalid_token",
}


def expected_denial(auth: str, caller: str) -> str | None:
    """The error code ``caller`` must get on a route of level ``auth``; None if it is let in."""
    if auth not in ADMITS:
        raise AssertionError(f"auth level {auth!r} has no pinned contract: add it to tests/support/contract.ADMITS")
    if caller in ADMITS[auth]:
        return None
    if auth in ("api_key", "partner"):
        return "invalid_api_key"  # bearer tokens don't count, nor the other kind of key
    return _BEARER_DENIAL[caller]


def forging_role(auth: str) -> str:
    """The role a forged token claims on a route: one the route would admit, so acceptance would show."""
    return "member" if auth in ("member", "public", "api_key", "partner") else "admin"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def token_claims(role: str, subject: str, customer_id: str | None = None, staff_id: str | None = None,
                 now: float | None = None) -> dict[str, Any]:
    """Claims shaped like ``access_token.issue_access_token``'s."""
    from chalicelib.core.config import settings
    from chalicelib.identity.access_token import AUDIENCE

    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": settings().jwt_issuer, "aud": AUDIENCE, "sub": subject, "role": role,
        "iat": issued, "exp": issued + settings().access_token_ttl, "jti": uuid.uuid4().hex,
    }
    if customer_id:
        claims["cid"] = customer_id
    if staff_id:
        claims["sid"] = staff_id
    return claims


def forged_token(kind: str, claims: dict[str, Any]) -> str:
    """A bearer token that must be refused: ``kind`` is one of FORGED_CALLERS' token kinds."""
    import jwt

    from chalicelib.identity.access_token import ALGORITHM, signing_secret

    if kind == "expired_token":
        ttl = claims["exp"] - claims["iat"]
        past = claims["iat"] - ttl - 3600
        return jwt.encode({**claims, "iat": past, "exp": past + ttl}, signing_secret(), algorithm=ALGORITHM)
    if kind == "alg_none_token":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if kind == "other_secret_token":
        return jwt.encode(claims, "another-secret-that-is-long-enough-0123456789", algorithm=ALGORITHM)
    if kind == "wrong_audience_token":
        return jwt.encode({**claims, "aud": "some-other-api"}, signing_secret(), algorithm=ALGORITHM)
    if kind == "malformed_token":
        return "not-a-jwt"
    raise ValueError(kind)


# ---------------------------------------------------------------------------------------- envelope


def assert_envelope(status: int, body: Any, headers: dict, code: str, *, english: bool = False) -> None:
    """The outline's error envelope, with the catalogue's status and the message in the asked language."""
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"not the error envelope: {body!r}"
    error = body["error"]
    assert error.get("code") == code, f"expected {code}, got {status} {body!r}"
    assert status == CATALOGUE[code].status, f"{code} must be {CATALOGUE[code].status}, got {status}"
    assert isinstance(error.get("message"), str) and error["message"].strip(), body
    assert error["message"] == (CATALOGUE[code].en if english else CATALOGUE[code].zh), body
    assert isinstance(error.get("request_id"), str) and error["request_id"], body
    assert isinstance(error.get("details"), list), body
    request_id = {k.lower(): v for k, v in (headers or {}).items()}.get("x-request-id")
    assert request_id == error["request_id"], f"X-Request-Id {request_id!r} != {error['request_id']!r}"


def detail_fields(body: dict) -> list[str]:
    return [d.get("field", "") for d in body["error"].get("details", [])]


def documented_error_codes(document: dict, spec: RouteSpec) -> dict[int, set[str]]:
    """``{status: {codes}}`` from the operation's error responses (descriptions list the codes)."""
    op = document["paths"][spec.path][spec.method.lower()]
    out: dict[int, set[str]] = {}
    for status, response in op["responses"].items():
        if int(status) >= 400:
            out[int(status)] = set(re.findall(r"`([a-z0-9_]+)`", response.get("description", "")))
    return out


# ------------------------------------------------------------------------------ wrong-typed values

# One value of each JSON type, in the order they are tried as "the wrong type" for a field.
_WRONG_CANDIDATES: tuple[tuple[str, Any], ...] = (
    ("object", {"wrong": "type"}),
    ("array", ["wrong", "type"]),
    ("string", "wrong-type"),
    ("number", 12345.5),
)


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def json_types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str] | None:
    """The JSON types a (pydantic-made) schema accepts; None for "anything"."""
    schema = _resolve(schema, defs)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            union: set[str] = set()
            for part in schema[key]:
                types = json_types(part, defs)
                if types is None:
                    return None
                union |= types
            return union
    if "allOf" in schema:
        return json_types(schema["allOf"][0], defs)
    values = schema.get("enum", [schema["const"]] if "const" in schema else None)
    if values is not None:
        return {_json_type(v) for v in values}
    kind = schema.get("type")
    if kind is None:
        return None
    kinds = set(kind if isinstance(kind, list) else [kind])
    if "integer" in kinds:
        kinds.add("number")
    return kinds


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def wrong_typed_body(model: type[BaseModel]) -> dict[str, Any]:
    """Every declared field (by its JSON name) set to a value of a JSON type the field does not accept.

    Fields that accept any JSON value are left out (nothing is the wrong type for them).
    """
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    body: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        accepted = json_types(prop, defs)
        if accepted is None:
            continue
        for kind, value in _WRONG_CANDIDATES:
            if kind not in accepted:
                body[name] = value
                break
    return body


FieldPath = tuple[str | int, ...]


def field_schemas(model: type[BaseModel]) -> Iterator[tuple[FieldPath, dict[str, Any], dict[str, Any]]]:
    """(where in a body, the schema there, the model's ``$defs``) for every field of ``model``, through nested
    objects and arrays (an array's items at index 0); a union's parts are yielded at the same path."""
    top = model.model_json_schema()
    defs = top.get("$defs", {})
    stack: list[tuple[FieldPath, dict[str, Any]]] = [((), top)]
    while stack:
        path, schema = stack.pop()
        schema = _resolve(schema, defs)
        if path:
            yield path, schema, defs
        stack.extend((path, part) for part in schema.get("anyOf", []) + schema.get("allOf", []))
        stack.extend(((*path, name), prop) for name, prop in schema.get("properties", {}).items())
        if isinstance(schema.get("items"), dict):
            stack.append(((*path, 0), schema["items"]))


def body_at(path: FieldPath, leaf: Any) -> Any:
    """A JSON value holding ``leaf`` at ``path`` and nothing else (a field's neighbours left out)."""
    for step in reversed(path):
        leaf = [leaf] if isinstance(step, int) else {step: leaf}
    return leaf


def wrong_query_values(model: type[BaseModel]) -> dict[str, str]:
    """For each query parameter that can be given a wrong value as a string, one such value."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    out: dict[str, str] = {}
    for name, prop in schema.get("properties", {}).items():
        resolved = _resolve(prop, defs)
        parts = [_resolve(p, defs) for p in resolved.get("anyOf", [resolved])]
        accepted = json_types(prop, defs) or set()
        if any("enum" in p or "const" in p for p in parts):
            out[name] = "zz-not-a-choice"
        elif accepted and accepted <= {"number", "integer", "null"}:
            out[name] = "not-a-number"
        elif accepted and accepted <= {"boolean", "null"}:
            out[name] = "not-a-boolean"
        elif any(p.get("maxLength") for p in parts):
            out[name] = "x" * (max(p.get("maxLength", 0) for p in parts) + 1)
        elif any(p.get("minLength", 0) > 1 for p in parts):
            out[name] = "x"
    return out


# ----------------------------------------------------------------------------------------- tables


def _key_of(item: dict[str, Any]) -> tuple[str, str]:
    def text(attr: dict[str, Any] | None) -> str:
        return next(iter(attr.values())) if attr else ""

    return text(item.get("pk")), text(item.get("sk"))


@dataclass
class TableSnapshot:
    """Every item of the given tables, by ``(table, pk, sk)`` (a scan: fine for test-sized tables)."""

    endpoint: str | None
    table_names: tuple[str, ...]

    def take(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        from tests.support.tables import dynamodb_client

        client = dynamodb_client(self.endpoint)
        items: dict[tuple[str, str, str], dict[str, Any]] = {}
        for table in self.table_names:
            for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                for item in page["Items"]:
                    items[(table, *_key_of(item))] = item
        return items


def changed_keys(before: dict, after: dict) -> set[tuple[str, str, str]]:
    """Keys of items added, removed or changed between two snapshots."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def is_rate_counter(key: tuple[str, str, str]) -> bool:
    return key[1].startswith("RATE#")


# ------------------------------------------------------------------------------- a module's API


@dataclass
class SharedApi:
    api: Any  # tests.support.api.ApiClient
    snapshot: TableSnapshot


@contextmanager
def shared_api(ddb_endpoint: str, wechat_base_url: str, project_dir: str) -> Iterator[SharedApi]:
    """The ``api`` fixture's set-up, once for a module: fresh tables, WeChat simulator, STAGE=local."""
    from tests.support.api import in_process_api
    from tests.support.aws import reset_app_caches
    from tests.support.tables import fresh_tables

    patch = pytest.MonkeyPatch()
    try:
        with fresh_tables(patch, ddb_endpoint) as tables, \
                in_process_api(patch, wechat_base_url, project_dir) as api:
            yield SharedApi(api, TableSnapshot(ddb_endpoint, (tables.table_name,)))
    finally:
        patch.undo()
        reset_app_caches()


# ---------------------------------------------------------------------------- member-owned resources

# Path prefixes (besides ``/v1/me/``) whose ``{param}`` names something a member owns, from the outline:
# another member's id there must be 404, never 403 (which would confirm that it exists).
MEMBER_OWNED_PREFIXES: tuple[str, ...] = ("/v1/me/", "/v1/appointments/", "/v1/events/")


def is_member_owned(spec: RouteSpec) -> bool:
    return spec.auth == "member" and bool(path_params(spec.path)) and spec.path.startswith(MEMBER_OWNED_PREFIXES)


def owned_resources() -> dict[str, Any]:
    """How to make a resource of a route's kind for a member: ``path -> factory(api, member_token) -> {param:
    value}``, from every area manifest's ``owned_resources``. The ownership test uses it to try member A's real
    resource with member B's token."""
    from chalicelib.areas import AREAS
    from chalicelib.core.area import resolve

    out: dict[str, Any] = {}
    for area in AREAS:
        if area.owned_resources:
            out.update(resolve(area.owned_resources))
    return out
