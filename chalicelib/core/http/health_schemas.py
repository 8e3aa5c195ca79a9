"""Request and response models of ``chalicelib/core/http/health.py`` (imported on first use)."""

from __future__ import annotations

from chalicelib.core.http.models import Out


class HealthResponse(Out):
    status: str
