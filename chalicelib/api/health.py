"""Liveness and the OpenAPI document."""

from __future__ import annotations

from chalicelib.api.routing import Api, RequestContext

api = Api(__name__, "docs")


@api.route("/v1/health", "GET", auth="public", summary="Liveness check", response="health.HealthResponse",
           examples={"response": {"status": "ok"}})
def health(ctx: RequestContext) -> dict:
    return {"status": "ok"}


@api.route("/v1/openapi.json", "GET", auth="public", summary="This API's OpenAPI 3 document")
def openapi_document(ctx: RequestContext) -> dict:
    from chalicelib.openapi import build_document

    return build_document()
