"""The OpenAPI 3.1 document, generated from the route registry and the pydantic models.

Built on request (``GET /v1/openapi.json``), never at import, and cached per process.
"""

from __future__ import annotations

import importlib
import inspect
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.core.errors import CATALOGUE, error_body
from chalicelib.core.http.models import ErrorEnvelope
from chalicelib.core.http.route_spec import CHANNELS, REGISTRY, ROLES_FOR_AUTH, RouteSpec

REF = "#/components/schemas/{model}"
AUTH_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


def _meaningful_name(name: str) -> str:
    """pydantic names two models of one name by their modules (``chalicelib__events__schemas__CheckedInOut``): name
    them by their area instead (``EventsCheckedInOut``), which a client generator can make a class of."""
    if "__" not in name:
        return name.replace("-", "")
    parts = name.split("__")
    area = parts[1] if parts[0] == "chalicelib" and len(parts) > 2 else parts[0]
    return "".join(word.capitalize() for word in area.split("_")) + parts[-1].replace("-", "")


def _renamed(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {key: (REF.format(model=names[value.rsplit("/", 1)[-1]]) if key == "$ref" else _renamed(value, names))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed(value, names) for value in node]
    return node


class Schemas:
    """Every model's schema, generated in one pass so that two models of one name (``VoucherOut`` of the
    benefits zone and of the mall) or one model in both modes get distinct component names, then renamed to
    names a client generator makes classes of (``_meaningful_name``)."""

    def __init__(self, specs: list[RouteSpec]) -> None:
        pairs: dict[tuple[type[BaseModel], str], None] = {(ErrorEnvelope, "serialization"): None}
        for spec in specs:
            responses = [spec.response if spec.status != 204 else None, *spec.other_models.values(), spec.error_model]
            for model, mode in ((spec.body, "validation"), (spec.query, "validation"),
                                *((response, "serialization") for response in responses)):
                if model is not None:
                    pairs[(model, mode)] = None
        refs, top = models_json_schema(list(pairs), ref_template=REF)  # type: ignore[arg-type]  # pydantic types the modes as a Literal
        defs: dict[str, Any] = top.get("$defs", {})
        names: dict[str, str] = {}
        for name in defs:
            wanted = _meaningful_name(name)
            names[name] = wanted if wanted not in names.values() and (wanted == name or wanted not in defs) else name
        # Generators name classes by the title: it is the component's name, unique like it.
        self.components: dict[str, Any] = {names[name]: {**_renamed(schema, names), "title": names[name]}
                                           for name, schema in defs.items()}
        self._refs = {key: _renamed(ref, names) for key, ref in refs.items()}

    def ref(self, model: type[BaseModel], mode: str) -> dict[str, Any]:
        return dict(self._refs[(model, mode)])  # type: ignore[index]  # keyed by that Literal too

    def resolved(self, model: type[BaseModel], mode: str) -> dict[str, Any]:
        component: dict[str, Any] = self.components[self.ref(model, mode)["$ref"].rsplit("/", 1)[-1]]
        return component


CHANNEL_PARAMETER = {
    "name": "X-Channel", "in": "header", "required": False,
    "description": "The client's channel; recorded with what the call does",
    "schema": {"type": "string", "enum": list(CHANNELS)},
}
LANGUAGE_PARAMETER = {
    "name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "`en` for English error messages; Simplified Chinese otherwise",
}
HEADERS: dict[str, Any] = {
    "XRequestId": {"description": "This request's id, the `request_id` of an error envelope",
                   "schema": {"type": "string"}},
    "RetryAfter": {"description": "Seconds until trying again makes sense", "schema": {"type": "integer"}},
    "IdempotentReplayed": {
        "description": "`true` when this is the first answer to the same Idempotency-Key and body, replayed",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Location": {"description": "Where to go instead", "schema": {"type": "string"}},
}
RETRY_AFTER_STATUSES = (429, 503)  # the route layer sends Retry-After on a 429 always, on a 503 when it knows


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


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
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if "description" in prop:
                param["description"] = prop["description"]
            params.append(param)
    params += [dict(CHANNEL_PARAMETER), dict(LANGUAGE_PARAMETER)]
    if spec.idempotent or spec.optional_idempotency_key:
        params.append({
            "name": "Idempotency-Key", "in": "header", "required": spec.idempotent,
            "description": "The same key and body again answer the first answer (`Idempotent-Replayed: true`)",
            "schema": {"type": "string", "minLength": 1, "maxLength": 64},
        })
    return params


def error_codes(spec: RouteSpec) -> list[str]:
    """The route's own codes and every code the route layer can answer for it, from the spec alone."""
    codes = [*AUTH_ERRORS, *spec.errors] if spec.auth in ROLES_FOR_AUTH else list(spec.errors)
    if spec.auth in ("api_key", "partner"):
        codes.append("invalid_api_key")
    if spec.body is not None:
        codes += ["validation_error", "malformed_json", "payload_too_large"]
    # Every route checks X-Channel (and a query, where it takes one); Chalice refuses a Content-Type other than
    # JSON on every route, with a body or not; a URL too long is refused before any route runs.
    codes += ["validation_error", "unsupported_media_type", "uri_too_long"]
    if spec.idempotent:
        codes += ["idempotency_key_required", "idempotency_key_reused"]
    if spec.optional_idempotency_key:
        codes.append("idempotency_key_reused")
    if spec.local_only:
        codes.append("route_not_found")  # off the local stage
    codes.append("internal_error")
    return list(dict.fromkeys(codes))


def _error_example(code: str) -> dict[str, Any]:
    return {
        "summary": CATALOGUE[code].en,
        "value": error_body(code, "5e0c6a8e-1c1b-4f8a-9d0e-2f3a4b5c6d7e", english=False),
    }


def _error_response(spec: RouteSpec, codes: list[str], status: int, schemas: Schemas) -> dict[str, Any]:
    headers = {"X-Request-Id": _header("XRequestId")}
    if status in RETRY_AFTER_STATUSES:
        headers["Retry-After"] = _header("RetryAfter")
    return {
        "description": "Error: " + ", ".join(f"`{c}`" for c in codes),
        "headers": headers,
        "x-error-codes": codes,
        "content": {"application/json": {
            "schema": schemas.ref(spec.error_model or ErrorEnvelope, "serialization"),
            "examples": {code: _error_example(code) for code in codes},
        }},
    }


def _success_body(spec: RouteSpec, status: int, schemas: Schemas) -> dict[str, Any]:
    """The body of one success status: its own model (``other_responses``), else the route's response."""
    model = spec.other_models.get(status) or spec.response
    body: dict[str, Any] = {"schema": schemas.ref(model, "serialization")} if model else {"schema": {}}
    if "response" in spec.examples and status == spec.status:
        body["example"] = spec.examples["response"]
    return {media: body if media == "application/json" else {"schema": {"type": "string"}}
            for media in spec.media_types}


def _success(spec: RouteSpec, status: int, description: str, schemas: Schemas) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description, "headers": {"X-Request-Id": _header("XRequestId")}}
    if 300 <= status < 400:  # a redirect says where in its Location, with no body
        out["headers"]["Location"] = _header("Location")
    elif status != 204:
        out["content"] = _success_body(spec, status, schemas)
    if spec.idempotent or spec.optional_idempotency_key:
        out["headers"]["Idempotent-Replayed"] = _header("IdempotentReplayed")
    return out


def _operation(spec: RouteSpec, schemas: Schemas) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": spec.name,
        "summary": spec.summary,
        "description": spec.description or spec.summary,
        "tags": [spec.area],
        "parameters": _parameters(spec, schemas),
        "x-auth": spec.auth,
        "x-audience": spec.tag,
    }
    if spec.auth in ROLES_FOR_AUTH:
        op["security"] = [{"bearer": []}]
        op["x-roles"] = sorted(ROLES_FOR_AUTH[spec.auth])
    elif spec.auth == "api_key":
        op["security"] = [{"apiKey": []}]
    elif spec.auth == "partner":
        op["security"] = [{"partnerKey": []}]
    else:
        op["security"] = []  # public: no credentials
    if spec.body is not None:
        content: dict[str, Any] = {"schema": schemas.ref(spec.body, "validation")}
        if "request" in spec.examples:
            content["example"] = spec.examples["request"]
        op["requestBody"] = {"required": True, "content": {"application/json": content}}
    responses: dict[str, Any] = {str(spec.status): _success(spec, spec.status, "Success", schemas)}
    for status, meaning in sorted(spec.other_statuses.items()):
        responses[str(status)] = _success(spec, status, meaning, schemas)
    by_status: dict[int, list[str]] = {}
    for code in error_codes(spec):
        by_status.setdefault(CATALOGUE[code].status, []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = _error_response(spec, codes, status, schemas)
    op["responses"] = responses
    return op


def _tags(specs: list[RouteSpec]) -> list[dict[str, str]]:
    """One tag per area, described by the first paragraph of its package's docstring."""
    tags = []
    for area in sorted({spec.area for spec in specs}):
        package = importlib.import_module("chalicelib.core.http" if area == "core" else f"chalicelib.{area}")
        doc = (inspect.getdoc(package) or "").split("\n\n")[0].replace("\n", " ").strip()
        tags.append({"name": area, "description": doc or f"The {area} area"})
    return tags


def _used(paths: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The components the operations reach (query models are inlined as parameters: not kept as components)."""
    used: set[str] = set()
    todo = [paths]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in used:
                    used.add(name)
                    todo.append(components[name])
            todo.extend(value for key, value in node.items() if key != "$ref")
        elif isinstance(node, list):
            todo.extend(node)
    return {name: schema for name, schema in components.items() if name in used}


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
            "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
            "contact": {"name": "Member portal team"},
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "local stack"}],
        "tags": _tags(REGISTRY),
        "paths": paths,
        "components": {
            "schemas": _used(paths, schemas.components),
            "headers": HEADERS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "partnerKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                               "description": "An alliance merchant's own key (shown once when issued); it opens "
                                              "the partner routes only"},
            },
        },
    }
