"""The OpenAPI 3.1 document, generated from the route registry and the pydantic models.

Built on request (``GET /v1/openapi.json``), never at import, and cached per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.core.errors import CATALOGUE
from chalicelib.core.http.models import ErrorEnvelope
from chalicelib.core.http.routing import REGISTRY, ROLES_FOR_AUTH, RouteSpec

REF = "#/components/schemas/{model}"
AUTH_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


class Schemas:
    """Every model's schema, generated in one pass so that two models of one name (``VoucherOut`` of the
    benefits zone and of the mall) or one model in both modes get distinct component names."""

    def __init__(self, specs: list[RouteSpec]) -> None:
        pairs: dict[tuple[type[BaseModel], str], None] = {(ErrorEnvelope, "serialization"): None}
        for spec in specs:
            for model, mode in ((spec.body, "validation"), (spec.query, "validation"),
                                (spec.response if spec.status != 204 else None, "serialization")):
                if model is not None:
                    pairs[(model, mode)] = None
        self._refs, top = models_json_schema(list(pairs), ref_template=REF)  # type: ignore[arg-type]  # pydantic types the modes as a Literal
        self.components: dict[str, Any] = top.get("$defs", {})

    def ref(self, model: type[BaseModel], mode: str) -> dict[str, Any]:
        return dict(self._refs[(model, mode)])  # type: ignore[index]  # keyed by that Literal too

    def resolved(self, model: type[BaseModel], mode: str) -> dict[str, Any]:
        component: dict[str, Any] = self.components[self.ref(model, mode)["$ref"].rsplit("/", 1)[-1]]
        return component


def _parameters(spec: RouteSpec, schemas: Schemas) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in spec.path.split("/")
        if part.startswith("{")
    ]
    if spec.query is not None:
        schema = schemas.resolved(spec.query, "validation")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    params.append(
        {"name": "X-Channel", "in": "header", "required": False,
         "schema": {"type": "string", "enum": ["app", "miniprogram", "wechat_oa", "store", "hotline"]}}
    )
    params.append({"name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"},
                   "description": "`en` for English error messages; Simplified Chinese otherwise"})
    if spec.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": True,
                       "schema": {"type": "string", "minLength": 1, "maxLength": 64}})
    return params


def _error_codes(spec: RouteSpec) -> list[str]:
    """The route's own codes and every code the route layer can answer for it, from the spec alone."""
    codes = list(spec.errors)
    if spec.auth in ROLES_FOR_AUTH:
        codes += AUTH_ERRORS
    if spec.auth == "api_key":
        codes.append("invalid_api_key")
    if spec.body is not None:
        codes += ["validation_error", "malformed_json", "payload_too_large"]
    # Every route checks X-Channel (and a query, where it takes one); Chalice refuses a Content-Type other than
    # JSON on every route, with a body or not; a URL too long is refused before any route runs.
    codes += ["validation_error", "unsupported_media_type", "uri_too_long"]
    if spec.idempotent:
        codes += ["idempotency_key_required", "idempotency_key_reused"]
    if spec.local_only:
        codes.append("route_not_found")  # off the local stage
    codes.append("internal_error")
    return list(dict.fromkeys(codes))


REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the first answer to the same Idempotency-Key and body, replayed",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
RETRY_AFTER_HEADER = {
    "Retry-After": {"description": "Seconds until trying again makes sense", "schema": {"type": "integer"}}
}


def _operation(spec: RouteSpec, schemas: Schemas) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": _parameters(spec, schemas),
        "x-auth": spec.auth,
    }
    if spec.auth in ROLES_FOR_AUTH:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = sorted(ROLES_FOR_AUTH[spec.auth])
    elif spec.auth == "api_key":
        op["security"] = [{"apiKey": []}]
    if spec.body is not None:
        content: dict[str, Any] = {"schema": schemas.ref(spec.body, "validation")}
        if "request" in spec.examples:
            content["example"] = spec.examples["request"]
        op["requestBody"] = {"required": True, "content": {"application/json": content}}
    ok: dict[str, Any] = {"description": "Success"}
    if spec.status != 204:
        body: dict[str, Any] = (
            {"schema": schemas.ref(spec.response, "serialization")} if spec.response else {"schema": {}}
        )
        if "response" in spec.examples:
            body["example"] = spec.examples["response"]
        ok["content"] = {media: body if media == "application/json" else {"schema": {"type": "string"}}
                         for media in spec.media_types}
    responses: dict[str, Any] = {str(spec.status): ok}
    for status, meaning in sorted(spec.other_statuses.items()):
        other: dict[str, Any] = {"description": meaning}
        if status != 204 and not 300 <= status < 400:  # a redirect says where in its Location, with no body
            other["content"] = {"application/json": {"schema": {}}}
        if 300 <= status < 400:
            other["headers"] = {"Location": {"description": "Where to go instead", "schema": {"type": "string"}}}
        responses[str(status)] = other
    if spec.idempotent:
        for status in (spec.status, *spec.other_statuses):
            responses[str(status)]["headers"] = REPLAYED_HEADER
    by_status: dict[int, list[str]] = {}
    for code in _error_codes(spec):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {
            "description": "Error: " + ", ".join(f"`{c}`" for c in codes),
            "content": {"application/json": {"schema": schemas.ref(ErrorEnvelope, "serialization")}},
        }
        if status == 429:
            responses[str(status)]["headers"] = RETRY_AFTER_HEADER
    op["responses"] = responses
    return op


@lru_cache(maxsize=1)
def build_document() -> dict[str, Any]:
    schemas = Schemas(REGISTRY)
    paths: dict[str, dict[str, Any]] = {}
    for spec in REGISTRY:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Member portal API",
            "version": "1.0.0",
            "description": "Member self-service for app, mini-program and official-account clients, agent "
            "follow-up and operator configuration. Errors use the envelope "
            "`{error: {code, message, request_id, details}}`; messages are Simplified Chinese unless "
            "`Accept-Language: en`.",
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "local stack"}],
        "paths": paths,
        "components": {
            "schemas": schemas.components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
    }
