"""Request and response models of ``chalicelib/core/http/health.py`` (imported on first use)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.http.models import Out


class HealthResponse(Out):
    status: str


class OpenApiDocument(Out):
    """An OpenAPI 3.1 document (its own specification describes the rest)."""

    open_shape = True
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]
