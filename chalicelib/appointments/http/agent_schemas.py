"""Request and response models of ``chalicelib/appointments/http/agent.py`` (imported on first use)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from chalicelib.core.http.models import Body, Out, Text

Ident = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class HotlineAppointmentIn(Body):
    store_id: Ident
    service_id: Ident
    slot_start: AwareDatetime
    override_reason: str | None = Field(default=None, min_length=2, max_length=200)


class SuspensionLiftIn(Body):
    reason: str = Field(min_length=2, max_length=200)


class SuspensionOut(Out):
    customer_id: str
    suspended_until: str | None
    lifted_by: str | None = None


class NoShowIn(Body):
    reason: Annotated[Text, Field(min_length=2, max_length=200,
                                  description="why the checked-in appointment was a no-show")]


class NoShowOut(Out):
    appointment_id: str
    status: Literal["no_show"]
    no_show_at: str
    marked_by: str
    reason: str
    points_reversed: int = Field(description="points the voided service had earned, taken back (its survey's)")
