"""The events area's member-owned resources, for the cross-member 404 test (its manifest's ``owned_resources``):
an approved, invite-only event the member hosts (the host reaches every route of it; another member, neither
invited nor in its circle, gets 404 on each)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.events import proposals
from chalicelib.points import tier_floors


def hosted_event(api: Any, token: str) -> dict[str, str]:
    status, me, _ = api.call("GET", "/v1/me", token=token)
    assert status == 200, me
    tier_floors.set_tier_floor(me["customer_id"], "gold", None, "contract")
    starts = clock.now() + timedelta(days=3)
    status, body, _ = api.call("POST", "/v1/events", {
        "title": "contract", "venue": "contract road 1", "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(), "capacity": 5}, token=token)
    assert status == 201, body
    proposals.review(body["event_id"], "contract", True, None)
    return {"event_id": body["event_id"]}


OWNED = {path: hosted_event for path in (
    "/v1/events/{event_id}",
    "/v1/events/{event_id}/registrations",
    "/v1/events/{event_id}/registrations/cancel",
    "/v1/events/{event_id}/check-in",
    "/v1/events/{event_id}/invitations",
    "/v1/events/{event_id}/check-ins",
    "/v1/events/{event_id}/check-in-code",
    "/v1/events/{event_id}/cancel",
)}
