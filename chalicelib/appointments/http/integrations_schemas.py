"""Request and response models of ``chalicelib/appointments/http/integrations.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from chalicelib.appointments.http.member_schemas import Day
from chalicelib.core.http.models import Out, Query


class QueueQuery(Query):
    date: Day


class CheckedInOut(Out):
    appointment_id: str
    status: Literal["checked_in"]
    checked_in_at: str | None = None
    priority: bool | None = None
    slot_start: str | None = None


class QueueEntryOut(Out):
    position: int
    appointment_id: str
    customer_id: str
    service_id: str
    slot_start: str
    slot_end: str
    status: str
    priority: bool
    channel: str | None = None
    checked_in_at: str | None = None


class StoreQueue(Out):
    date: str
    store_id: str
    items: list[QueueEntryOut]
