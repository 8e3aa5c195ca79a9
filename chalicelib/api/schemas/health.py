"""Request and response models of ``chalicelib/api/health.py`` (imported on first use)."""

from __future__ import annotations

from chalicelib.api.models import Out


class HealthResponse(Out):
    status: str
