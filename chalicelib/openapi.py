"""The OpenAPI 3.1 document, generated from the route registry and the pydantic models.

Built on request (``GET /v1/openapi.json``), never at import, and cached per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from chalicelib.api.models import ErrorEnvelope
from chalicelib.api.routing import REGISTRY, ROLES_FOR_AUTH, RouteSpec
from chalicelib.errors import CATALOGUE

REF = "#/components/schemas/{model}"
AUTH_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


def _schema(model: type[BaseModel], components: dict[str, Any], mode: str = "validation") -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)
    return {"$ref": REF.format(model=model.__name__)}


def _parameters(spec: RouteSpec, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": part[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
        for part in spec.path.split("/")
        if part.startswith("{")
    ]
    if spec.query is not None:
        schema = spec.query.model_json_schema(ref_template=REF)
        for name, definition in schema.pop("$defs", {}).items():
            components.setdefault(name, definition)
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
    codes = list(spec.errors)
    if spec.auth in ROLES_FOR_AUTH:
        codes += AUTH_ERRORS
    if spec.auth == "api_key":
        codes.append("invalid_api_key")
    if spec.body is not None:
        codes += ["validation_error", "malformed_json", "payload_too_large", "unsupported_media_type"]
    if spec.query is not None:
        codes.append("validation_error")
    codes.append("internal_error")
    return list(dict.fromkeys(codes))


def _operation(spec: RouteSpec, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "tags": [spec.tag],
        "parameters": _parameters(spec, components),
        "x-auth": spec.auth,
    }
    if spec.auth in ROLES_FOR_AUTH:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = sorted(ROLES_FOR_AUTH[spec.auth])
    elif spec.auth == "api_key":
        op["security"] = [{"apiKey": []}]
    if spec.body is not None:
        content: dict[str, Any] = {"schema": _schema(spec.body, components)}
        if "request" in spec.examples:
            content["example"] = spec.examples["request"]
        op["requestBody"] = {"required": True, "content": {"application/json": content}}
    ok: dict[str, Any] = {"description": "Success"}
    if spec.status != 204:
        body: dict[str, Any] = (
            {"schema": _schema(spec.response, components, "serialization")} if spec.response else {"schema": {}}
        )
        if "response" in spec.examples:
            body["example"] = spec.examples["response"]
        ok["content"] = {"application/json": body}
    responses: dict[str, Any] = {str(spec.status): ok}
    by_status: dict[int, list[str]] = {}
    for code in _error_codes(spec):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {
            "description": "Error: " + ", ".join(f"`{c}`" for c in codes),
            "content": {"application/json": {"schema": {"$ref": REF.format(model="ErrorEnvelope")}}},
        }
    op["responses"] = responses
    return op


@lru_cache(maxsize=1)
def build_document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    _schema(ErrorEnvelope, components, "serialization")
    paths: dict[str, dict[str, Any]] = {}
    for spec in REGISTRY:
        paths.setdefault(spec.path, {})[spec.method.lower()] = _operation(spec, components)
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
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            },
        },
    }
