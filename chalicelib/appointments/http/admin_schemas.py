"""Request and response models of ``chalicelib/appointments/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.core.http.models import Body, Day, HourMinute, Out

TierCode = Annotated[str, StringConstraints(min_length=1, max_length=32)]


class OpeningHoursIn(Body):
    weekday: int = Field(ge=1, le=7)
    opens: HourMinute
    closes: HourMinute


class StoreIn(Body):
    name: str = Field(min_length=1, max_length=64)
    city: str = Field(min_length=1, max_length=32)
    address: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, min_length=3, max_length=32)
    opening_hours: list[OpeningHoursIn] = Field(min_length=1, max_length=28)
    closed_dates: list[Day] | None = Field(default=None, max_length=366)
    cancel_cutoff_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    booking_days: int | None = Field(default=None, ge=0, le=365)
    booking_days_by_tier: dict[TierCode, Annotated[int, Field(ge=0, le=365)]] | None = None
    priority_tiers: list[TierCode] | None = Field(default=None, max_length=10)
    release_hours: int | None = Field(default=None, ge=0, le=24 * 30)
    no_show_limit: int | None = Field(default=None, ge=1, le=100)
    no_show_days: int | None = Field(default=None, ge=1, le=365)
    suspension_days: int | None = Field(default=None, ge=1, le=365)


class StoreCreated(Out):
    store_id: str


class StoreServiceIn(Body):
    name: str = Field(min_length=1, max_length=64)
    duration_minutes: int = Field(ge=5, le=12 * 60)
    capacity: int = Field(ge=1, le=1000)
    tiers: list[TierCode] | None = Field(default=None, min_length=1, max_length=10)
    buffer_minutes: int | None = Field(default=None, ge=0, le=240)
    reserved_seats: int | None = Field(default=None, ge=0, le=1000)
    booking_days: int | None = Field(default=None, ge=0, le=365)
    booking_days_by_tier: dict[TierCode, Annotated[int, Field(ge=0, le=365)]] | None = None


class StoreServiceCreated(Out):
    service_id: str
