"""Request and response models of ``chalicelib/mall/faults_api.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.http.models import Body, Out


class FaultsIn(Body):
    fulfillment_failure_rate: float = Field(ge=0.0, le=1.0)


class FaultsOut(Out):
    fulfillment_failure_rate: float
