"""Operators (role admin) register integrators' webhook endpoints, rotate their secrets, and read and replay
deliveries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.webhooks import endpoints
else:  # loaded when a view first runs (core/lazy.py)
    endpoints = lazy_module("chalicelib.webhooks.endpoints")

api = Api(__name__, "webhooks")

WRITE_ERRORS = ("validation_error", "malformed_json")
WID = "wh_3f9a1c2b7d6e4f10"
WEBHOOK = {"webhook_id": WID, "url": "https://crm.example.com/hooks/member-portal",
           "events": ["points.changed", "tier.changed"], "description": "CRM",
           "created_at": "2026-12-06T02:00:00.000+00:00", "secret_rotated_at": None,
           "previous_secret_valid_until": None}
SECRET = "whsec_" + "5b1d" * 16
DELIVERY = {"delivery_id": "dlv_0c5e8a7f1b2d3c4e5f6a7b8c", "webhook_id": WID,
            "event_id": "evt_9f86d081884c7d659a2feaa0", "event_type": "points.changed",
            "customer_id": "c_0123456789abcdef0123", "sequence": 7, "status": "dead",
            "attempts": 12, "last_status_code": 503, "last_error": "HTTP 503", "next_attempt_at": None,
            "created_at": "2026-12-06T02:00:00.000+00:00", "updated_at": "2026-12-06T07:40:00.000+00:00",
            "delivered_at": None, "replays": 0}


@api.route("/v1/admin/webhooks", "POST", auth="admin", status=201, body="WebhookIn", response="WebhookSecretOut",
           errors=(*WRITE_ERRORS, "too_many_webhooks"),
           summary="Register an endpoint for the events it wants; the answer shows its signing secret, once",
           examples={"request": {"url": WEBHOOK["url"], "events": WEBHOOK["events"], "description": "CRM"},
                     "response": {**WEBHOOK, "secret": SECRET}})
def create_webhook(ctx: RequestContext) -> dict:
    """Each delivery is a POST of the event's JSON with ``X-Webhook-Id`` (the event ID) and ``X-Webhook-Signature:
    t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``."""
    assert ctx.principal is not None
    body = ctx.body
    return endpoints.create(body.url, list(body.events), body.description, ctx.principal.staff_id)


@api.route("/v1/admin/webhooks", "GET", auth="admin", response="WebhookList", errors=(),
           summary="The registered endpoints (never their secrets)", examples={"response": {"items": [WEBHOOK]}})
def list_webhooks(ctx: RequestContext) -> dict:
    """At most ``WEBHOOK_MAX_ENDPOINTS`` (20): one Query."""
    return endpoints.listing()


@api.route("/v1/admin/webhooks/{webhook_id}", "GET", auth="admin", response="WebhookOut",
           errors=("not_found",), summary="One endpoint (never its secret)",
           examples={"response": WEBHOOK})
def get_webhook(ctx: RequestContext, webhook_id: str) -> dict:
    """``previous_secret_valid_until`` is set while a rotated secret still signs."""
    return endpoints.get(webhook_id)


@api.route("/v1/admin/webhooks/{webhook_id}", "DELETE", auth="admin", status=204,
           errors=("not_found",),
           summary="Delete an endpoint: no new event is queued for it (within 5 s); its pending deliveries end dead")
def delete_webhook(ctx: RequestContext, webhook_id: str) -> None:
    """Its deliveries stay in the table as they were (no longer listed here)."""
    endpoints.delete(webhook_id)


@api.route("/v1/admin/webhooks/{webhook_id}/secret-rotations", "POST", auth="admin", status=201,
           response="WebhookSecretOut", errors=("not_found", "service_unavailable"),
           summary="A new signing secret, shown once; the previous one keeps signing (a second v1) for the overlap "
                   "(WEBHOOK_SECRET_OVERLAP_SECONDS, 24 h)",
           examples={"response": {**WEBHOOK, "secret_rotated_at": "2026-12-07T02:00:00.000+00:00",
                                  "previous_secret_valid_until": "2026-12-08T02:00:00.000+00:00", "secret": SECRET}})
def rotate_webhook_secret(ctx: RequestContext, webhook_id: str) -> dict:
    """A second rotation within the overlap drops the oldest secret at once."""
    return endpoints.rotate(webhook_id)


@api.route("/v1/admin/webhooks/{webhook_id}/deliveries", "GET", auth="admin", query="WebhookDeliveryQuery",
           response="WebhookDeliveryPage", errors=("validation_error", "not_found"),
           summary="An endpoint's deliveries, newest first, a page at a time; `status=dead` is the dead-letter list",
           examples={"response": {"items": [DELIVERY], "next_cursor": None}})
def list_webhook_deliveries(ctx: RequestContext, webhook_id: str) -> dict:
    """One Query of an index a page (by status, or all)."""
    q = ctx.query
    return endpoints.deliveries(webhook_id, q.status, q.limit, q.cursor)


@api.route("/v1/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", "POST", auth="admin", status=202,
           response="WebhookDeliveryOut",
           errors=("not_found", "delivery_in_progress", "service_unavailable"),
           summary="Deliver a dead (or delivered) event again: same event ID, same body, attempts start over",
           examples={"response": {**DELIVERY, "status": "pending", "attempts": 0, "last_status_code": 503,
                                  "replays": 1}})
def replay_webhook_delivery(ctx: RequestContext, webhook_id: str, delivery_id: str) -> dict:
    """A replay does not wait behind the member's other events (the receiver orders by `sequence`)."""
    return endpoints.replay(webhook_id, delivery_id)
