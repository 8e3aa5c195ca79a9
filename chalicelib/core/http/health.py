"""Liveness and the OpenAPI document."""

from __future__ import annotations

from chalicelib.core.http.routing import Api, RequestContext

api = Api(__name__, schemas="chalicelib.core.http.health_schemas", tag="docs")


@api.route("/v1/health", "GET", auth="public", summary="Liveness check", response="HealthResponse",
           examples={"response": {"status": "ok"}})
def health(ctx: RequestContext) -> dict:
    return {"status": "ok"}


@api.route("/v1/openapi.json", "GET", auth="public", response="OpenApiDocument",
           summary="This API's OpenAPI 3 document")
def openapi_document(ctx: RequestContext) -> dict:
    from chalicelib.core.http.openapi import build_document

    return build_document()
