"""The appointments area's items: stores and services (configuration), appointments and the member's booking
state (both in the member's partition). The booking state is under ``M#`` (the member's one bounded Query finds it,
with the slots the member holds); appointments grow with the years: ``H#APPT#``, read by their own Query."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.core.dynamo.items import Item

CONFIG_PK = "CONFIG#STORES"
STORE_PREFIX = "STORE#"
SERVICE_PREFIX = "SERVICE#"
APPOINTMENT_PREFIX = "H#APPT#"
OLD_APPOINTMENT_PREFIX = "M#APPT#"  # where an earlier version kept them (read until migrate_member_partition ran)
STATE_SK = "M#APPTSTATE"
QUEUE_PREFIX = "APPTQ#"  # gsi1pk: a store's day, every appointment of it
ID_INDEX_PREFIX = "APPT#"  # gsi2pk: one appointment by its ID (the till knows only the ID)


class StoreConfigItem(Item):
    """``CONFIG#STORES`` / ``STORE#<id>`` or ``SERVICE#<store>#<service>``: one store's or service's configuration
    (``data``, as the operator gave it); every one of them is read with one Query and cached in-process."""

    kind = UnicodeAttribute()  # store | service
    data = JSONAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)


class AppointmentItem(Item):
    """``CUST#<id>`` / ``H#APPT#<appointment_id>``: one booking of a seat, with how it was made and what became of it.

    ``counted_open`` records how its seat was taken (see ``core.capacity``), so that it is freed the same way.
    ``overrides`` lists every rule an agent overrode for it: ``{rule, by, reason, at}``.
    """

    appointment_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    store_id = UnicodeAttribute()
    service_id = UnicodeAttribute()
    slot_start = UnicodeAttribute()  # ISO 8601, +08:00
    slot_end = UnicodeAttribute()
    day = UnicodeAttribute()  # the store-local day, YYYY-MM-DD
    slot_key = UnicodeAttribute()  # HHMM, store-local
    status = UnicodeAttribute()  # booked | cancelled | checked_in | no_show
    channel = UnicodeAttribute()
    priority = BooleanAttribute(default=False)
    counted_open = BooleanAttribute(default=True)
    booked_by = UnicodeAttribute(null=True)  # the agent's staff ID for a hotline booking
    overrides = ListAttribute[Any](null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    cancelled_at = UnicodeAttribute(null=True)
    checked_in_at = UnicodeAttribute(null=True)
    no_show_at = UnicodeAttribute(null=True)  # an agent's no-show after the check-in: when, who and why
    no_show_by = UnicodeAttribute(null=True)
    no_show_reason = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()  # APPTQ#<store>#<day>
    gsi1sk = UnicodeAttribute()  # <slot_start>#<appointment_id>
    gsi2pk = UnicodeAttribute()  # APPT#<appointment_id>
    gsi2sk = UnicodeAttribute()


class BookingStateItem(Item):
    """``CUST#<id>`` / ``M#APPTSTATE``: the member's booking version (every booking and move bumps it, conditioned
    on the version read, so two racing bookings of one member cannot both pass the overlap check), no-shows and a
    self-service suspension."""

    ver = NumberAttribute(default=0)
    # the member's booked appointments still ahead: {appointment_id: {"s": slot_start, "e": slot_end}} (the overlap
    # check reads them here; an entry is dropped on cancel, check-in or move, and once its slot has ended)
    held = MapAttribute[str, Any](null=True)
    no_shows = ListAttribute[Any](null=True)  # store-local days, YYYY-MM-DD
    suspended_until = UnicodeAttribute(null=True)  # ISO 8601
    lifted_by = UnicodeAttribute(null=True)  # the agent who last lifted a suspension, and why
    lift_reason = UnicodeAttribute(null=True)
