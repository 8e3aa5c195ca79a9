"""Request and response models of ``chalicelib/appointments/http/member.py`` (imported on first use).

Class names are OpenAPI component names: keep them unique across the app.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from chalicelib.core.http.models import Body, Out, PageQuery, Query
from chalicelib.core.http.models import Day as CoreDay

Day = Annotated[CoreDay, AfterValidator(date.fromisoformat)]
"""A real calendar day (``core.http.models.Day``), given to the view as a ``date``."""
Ident = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Status = Literal["booked", "cancelled", "checked_in", "no_show"]


class OpeningHoursOut(Out):
    weekday: int
    opens: str
    closes: str


class StoreOut(Out):
    store_id: str
    name: str
    city: str
    address: str
    phone: str | None = None
    opening_hours: list[OpeningHoursOut]
    services: list[str]
    closed_dates: list[str] = Field(default_factory=list)
    cancel_cutoff_minutes: int | None = None


class StoreList(Out):
    items: list[StoreOut]
    next_cursor: str | None = None


class StoreQuery(Query):
    city: str | None = Field(default=None, min_length=1, max_length=32)


class StoreServiceOut(Out):
    service_id: str
    name: str
    duration_minutes: int
    capacity: int
    tiers: list[str] | None = None
    store_id: str | None = None
    buffer_minutes: int | None = None
    reserved_seats: int | None = None


class StoreServiceList(Out):
    items: list[StoreServiceOut]
    next_cursor: str | None = None


class SlotQuery(Query):
    service_id: Ident
    date: Day


class SlotOut(Out):
    slot_start: str
    slot_end: str
    capacity: int
    remaining: int
    bookable: bool


class SlotList(Out):
    items: list[SlotOut]
    store_id: str | None = None
    service_id: str | None = None
    date: str | None = None
    booking_days: int | None = None


class AppointmentIn(Body):
    store_id: Ident
    service_id: Ident
    slot_start: AwareDatetime


class RescheduleIn(Body):
    slot_start: AwareDatetime


class AppointmentOverrideOut(Out):
    rule: str
    by: str
    reason: str
    at: str
    limit_days: int | None = None  # booking_window: the window the booking was made outside of


class AppointmentOut(Out):
    appointment_id: str
    status: Status
    store_id: str
    service_id: str
    slot_start: str
    slot_end: str
    channel: str
    priority: bool
    created_at: str | None = None
    store_name: str | None = None
    store_address: str | None = None
    service_name: str | None = None
    booked_by: str | None = None
    overrides: list[AppointmentOverrideOut] | None = None
    cancelled_at: str | None = None
    checked_in_at: str | None = None


class AppointmentPage(Out):
    items: list[AppointmentOut]
    next_cursor: str | None


class AppointmentQuery(PageQuery):
    """A page of the list."""


class CancelledOut(Out):
    appointment_id: str
    status: Literal["cancelled"]
    cancelled_at: str | None = None


class Appointments360(Out):
    upcoming: list[AppointmentOut]
    recent: list[AppointmentOut]


class Member360Appointments(Out):
    """The keys the appointments section adds to the agents' 360 view."""

    appointments: Appointments360
