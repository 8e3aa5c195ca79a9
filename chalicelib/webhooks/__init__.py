"""Webhooks for integrators (POS, CRM, warehouse): signed deliveries of member events from the table's stream.

Key choices (the README's "Webhooks for integrators" says more):

- Events are derived from the items the areas already write (``events.py``: a ledger entry, the profile's tier, a
  redemption, an appointment, a registration, Plus, a follow-up case, a merge), by the table stream's handler
  ``producer.handle_raw``; an event's ID is stable per source record, its ``sequence`` counts the member's events
  (``CUST#<id>`` / ``WHSEQ``, outside the bounded ``M#`` read), the body never holds a phone, a name or an openid.
- Deliveries go through SQS (the retry queue, kind ``webhook_delivery``), at least once, with exponential backoff;
  a member's events reach an endpoint in sequence order (a line per endpoint and member: later ones wait while an
  earlier one is failing); after ``WEBHOOK_MAX_ATTEMPTS`` a delivery is dead, listed and replayable.
- Signed: ``X-Webhook-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")>``, a second ``v1`` with the previous
  secret during a rotation's overlap.
"""

from chalicelib.core.area import Area, FollowUpHooks, StreamHandler
from chalicelib.webhooks.errors import ERRORS
from chalicelib.webhooks.events import SOURCE_PREFIXES

AREA = Area(
    name="webhooks",
    routes=("admin",),
    errors=ERRORS,
    stream_handlers=(StreamHandler("chalicelib.webhooks.producer:handle_raw", sk_prefixes=SOURCE_PREFIXES,
                                   events=("INSERT", "MODIFY")),),
    retry_handlers={"webhook_delivery": "chalicelib.webhooks.delivery:handle"},
    followups={"webhook_delivery": FollowUpHooks(exhausted="chalicelib.webhooks.delivery:exhausted")},
    customer_items=True,
    merge_keeps="a member's webhook events and sequence counter are what integrators were told about that customer: "
                "history, they stay with the absorbed customer; the survivor's events go on in its own sequence (a "
                "member.merged event names the absorbed customer)",
    member_360_none="integrations: the deliveries are the operators' (GET /v1/admin/webhooks/{id}/deliveries), not "
                    "the member's story",
    personal_data="chalicelib.webhooks.personal_data:REGISTRY",
)
