"""Models of ``chalicelib/notifications/http/dev.py`` (imported on first use)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from chalicelib.core.http.models import Out, Query


class DeliveryOut(Out):
    notification_id: str
    channel: str
    status: str
    attempts: int
    error: str | None
    to: str | None
    template_id: str | None
    content: Any
    created_at: str
    updated_at: str


class DeliveryList(Out):
    items: list[DeliveryOut]


class DeliveriesQuery(Query):
    customer_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
