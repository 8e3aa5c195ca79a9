"""Request and response models of ``chalicelib/webhooks/http/admin.py`` (imported on first use).

Class names are OpenAPI component names: keep them unique across the app.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.core.config import settings
from chalicelib.core.http.models import Body, Out, PageQuery, Text

EventType = Literal["member.enrolled", "member.merged", "tier.changed", "points.changed", "redemption.changed",
                    "appointment.changed", "registration.changed", "plus.changed", "case.opened", "case.resolved"]
DeliveryStatus = Literal["pending", "delivered", "dead"]
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _receiver_url(value: str) -> str:
    """https, a host, no credentials; http only to this machine where the stage allows it (the local simulator)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises on a bad port
    except ValueError:
        raise ValueError("must be an absolute https URL") from None
    if not host or parts.username or parts.password or parts.fragment:
        raise ValueError("must be an absolute https URL with a host (no user, password or fragment)")
    if parts.scheme == "https":
        return value
    if parts.scheme == "http" and host in LOCAL_HOSTS and settings().webhook_allow_http_localhost:
        return value
    raise ValueError("must be https (http only to localhost on a local stage)")


ReceiverUrl = Annotated[str, StringConstraints(min_length=10, max_length=2048), AfterValidator(_receiver_url)]


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an event type")
    return values


class WebhookIn(Body):
    url: ReceiverUrl = Field(description="where deliveries are POSTed: https (http://localhost on the local stage)")
    events: Annotated[list[EventType], Field(min_length=1, max_length=10), AfterValidator(_unique)]
    description: Annotated[Text, StringConstraints(max_length=200)] | None = None


class WebhookOut(Out):
    webhook_id: str
    url: str
    events: list[EventType]
    description: str | None = None
    created_at: str
    secret_rotated_at: str | None = None
    previous_secret_valid_until: str | None = Field(
        default=None, description="while set, deliveries carry a second v1 signature made with the previous secret")


class WebhookList(Out):
    items: list[WebhookOut]


class WebhookSecretOut(WebhookOut):
    """An endpoint with its signing secret: the answer to the registration and to a rotation, the secret's only
    showing."""

    secret: str = Field(description="the signing secret: shown this once, never again")


class WebhookDeliveryOut(Out):
    delivery_id: str
    webhook_id: str
    event_id: str = Field(description="the X-Webhook-Id header: the same on every attempt and replay")
    event_type: EventType
    customer_id: str
    sequence: int
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None = None
    last_error: str | None = None
    next_attempt_at: str | None = None
    created_at: str
    updated_at: str
    delivered_at: str | None = None
    replays: int


class WebhookDeliveryPage(Out):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None = None


class WebhookDeliveryQuery(PageQuery):
    status: DeliveryStatus | None = None
