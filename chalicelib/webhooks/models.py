"""Items of the webhooks area (one application table). Written through the raw client (``store.py``); the models
name every attribute for the personal-data registry and for readers.

=================================  ==========================================  ====================================
item                               pk / sk                                     index keys
=================================  ==========================================  ====================================
endpoint                           ``WEBHOOKS`` / ``EP#<endpoint_id>``          -
member's webhook state             ``CUST#<id>`` / ``WHSEQ``                   -
event (the payload, as sent)       ``CUST#<id>`` / ``H#WHEVT#<event_id>``      -
delivery (one endpoint, one event) ``WHD#<delivery_id>`` / ``WHD``             gsi1 ``WHDS#<ep>#<status>``, gsi2
                                                                               ``WHDA#<ep>``: ``<created_at>#<id>``
place in line (while undelivered)  ``WHQ#<endpoint_id>#<customer_id>`` /       -
                                   ``<sequence, 12 digits>``
=================================  ==========================================  ====================================
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

ENDPOINTS_PK = "WEBHOOKS"
ENDPOINT_PREFIX = "EP#"
STATE_SK = "WHSEQ"  # not under M#: the member's hot read never needs it
EVENT_PREFIX = "H#WHEVT#"
DELIVERY_PREFIX = "WHD#"
DELIVERY_SK = "WHD"
LINE_PREFIX = "WHQ#"


class EndpointItem(Item):
    """``WEBHOOKS`` / ``EP#<endpoint_id>``: a receiver and the events it wants. Secrets are sealed (AES-GCM under a
    key derived from the token signing secret); the previous one signs too until ``previous_until``."""

    endpoint_id = UnicodeAttribute()
    url = UnicodeAttribute()
    events = ListAttribute[Any](of=UnicodeAttribute)
    description = UnicodeAttribute(null=True)
    secret_sealed = UnicodeAttribute()
    previous_secret_sealed = UnicodeAttribute(null=True)
    previous_until = NumberAttribute(null=True)  # epoch seconds
    rotated_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)


class MemberStateItem(Item):
    """``CUST#<id>`` / ``WHSEQ``: the member's last event sequence number and the last tier the webhooks saw (the
    stream carries new images only: a tier change is told by comparing with it)."""

    seq = NumberAttribute()
    tier = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class EventItem(Item):
    """``CUST#<id>`` / ``H#WHEVT#<event_id>``: one event and the exact body every endpoint receives."""

    event_id = UnicodeAttribute()
    type = UnicodeAttribute()
    seq = NumberAttribute()
    customer_id = UnicodeAttribute()
    occurred_at = UnicodeAttribute()
    body = UnicodeAttribute()  # the JSON text sent (customer ID, member number, data: never a phone or a name)
    endpoints = ListAttribute[Any](of=UnicodeAttribute)


class DeliveryItem(Item):
    """``WHD#<delivery_id>`` / ``WHD``: one event to one endpoint, its attempts and its outcome."""

    delivery_id = UnicodeAttribute()
    endpoint_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    seq = NumberAttribute()
    status = UnicodeAttribute()  # pending | delivered | dead
    attempts = NumberAttribute(default=0)
    in_line = BooleanAttribute(default=True)  # waits behind the member's earlier undelivered events (not a replay)
    lease_until = NumberAttribute(null=True)  # a worker is attempting it until then (epoch seconds)
    last_status_code = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    next_attempt_at = UnicodeAttribute(null=True)
    replays = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    delivered_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()


class LineItem(Item):
    """``WHQ#<endpoint_id>#<customer_id>`` / ``<seq>``: exists while the delivery is undelivered; only the first of
    a line is attempted, so a member's events reach an endpoint in sequence order."""

    delivery_id = UnicodeAttribute()
