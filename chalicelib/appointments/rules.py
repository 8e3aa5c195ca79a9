"""Pure rules of appointments: stores and services as configured, the slot grid of a day, booking windows by tier,
the reserved share's release, the cancel cut-off and overlaps. No I/O: every time is an aware ``datetime`` and days
are store-local (Asia/Shanghai)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from chalicelib.core.calendar import SHANGHAI

DEFAULT_BOOKING_DAYS = 7
DEFAULT_BOOKING_DAYS_BY_TIER: Mapping[str, int] = {"gold": 14, "platinum": 14}
DEFAULT_PRIORITY_TIERS = ("gold", "platinum")
DEFAULT_CANCEL_CUTOFF_MINUTES = 120
DEFAULT_RELEASE_HOURS = 24
DEFAULT_NO_SHOW_LIMIT = 3
DEFAULT_NO_SHOW_DAYS = 90
DEFAULT_SUSPENSION_DAYS = 30


@dataclass(frozen=True)
class Hours:
    weekday: int  # ISO: Monday 1 .. Sunday 7
    opens: time
    closes: time

    def as_dict(self) -> dict[str, Any]:
        return {"weekday": self.weekday, "opens": self.opens.strftime("%H:%M"), "closes": self.closes.strftime("%H:%M")}


@dataclass(frozen=True)
class Store:
    store_id: str
    name: str
    city: str
    address: str
    phone: str | None
    opening_hours: tuple[Hours, ...]
    closed_dates: frozenset[date] = frozenset()
    cancel_cutoff_minutes: int = DEFAULT_CANCEL_CUTOFF_MINUTES
    booking_days: int = DEFAULT_BOOKING_DAYS
    booking_days_by_tier: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BOOKING_DAYS_BY_TIER))
    priority_tiers: tuple[str, ...] = DEFAULT_PRIORITY_TIERS
    release_hours: int = DEFAULT_RELEASE_HOURS
    no_show_limit: int = DEFAULT_NO_SHOW_LIMIT
    no_show_days: int = DEFAULT_NO_SHOW_DAYS
    suspension_days: int = DEFAULT_SUSPENSION_DAYS

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Store:
        return cls(
            store_id=data["store_id"], name=data["name"], city=data["city"], address=data["address"],
            phone=data.get("phone"),
            opening_hours=tuple(
                Hours(int(h["weekday"]), time.fromisoformat(h["opens"]), time.fromisoformat(h["closes"]))
                for h in data["opening_hours"]),
            closed_dates=frozenset(date.fromisoformat(d) for d in data.get("closed_dates") or ()),
            cancel_cutoff_minutes=int(data.get("cancel_cutoff_minutes", DEFAULT_CANCEL_CUTOFF_MINUTES)),
            booking_days=int(data.get("booking_days", DEFAULT_BOOKING_DAYS)),
            booking_days_by_tier=dict(data.get("booking_days_by_tier", DEFAULT_BOOKING_DAYS_BY_TIER)),
            priority_tiers=tuple(data.get("priority_tiers", DEFAULT_PRIORITY_TIERS)),
            release_hours=int(data.get("release_hours", DEFAULT_RELEASE_HOURS)),
            no_show_limit=int(data.get("no_show_limit", DEFAULT_NO_SHOW_LIMIT)),
            no_show_days=int(data.get("no_show_days", DEFAULT_NO_SHOW_DAYS)),
            suspension_days=int(data.get("suspension_days", DEFAULT_SUSPENSION_DAYS)),
        )

    def hours_on(self, day: date) -> list[Hours]:
        if day in self.closed_dates:
            return []
        return sorted((h for h in self.opening_hours if h.weekday == day.isoweekday()), key=lambda h: h.opens)


@dataclass(frozen=True)
class Service:
    service_id: str
    store_id: str
    name: str
    duration_minutes: int
    capacity: int
    tiers: tuple[str, ...] | None = None  # None: every tier
    buffer_minutes: int = 0
    reserved_seats: int = 0
    booking_days: int | None = None  # None: the store's
    booking_days_by_tier: Mapping[str, int] | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Service:
        tiers = data.get("tiers")
        return cls(
            service_id=data["service_id"], store_id=data["store_id"], name=data["name"],
            duration_minutes=int(data["duration_minutes"]), capacity=int(data["capacity"]),
            tiers=tuple(tiers) if tiers else None, buffer_minutes=int(data.get("buffer_minutes", 0)),
            reserved_seats=int(data.get("reserved_seats", 0)),
            booking_days=data.get("booking_days"), booking_days_by_tier=data.get("booking_days_by_tier"),
        )

    def admits(self, tier_code: str) -> bool:
        return self.tiers is None or tier_code in self.tiers

    @property
    def scope(self) -> str:
        """The seat ledger's scope of this service's slots."""
        return f"APPT#{self.store_id}#{self.service_id}"


@dataclass(frozen=True)
class SlotTime:
    start: datetime  # aware, Asia/Shanghai
    end: datetime

    @property
    def day(self) -> date:
        return self.start.date()

    @property
    def key(self) -> str:
        return self.start.strftime("%H%M")


def local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(SHANGHAI)


def day_slots(store: Store, service: Service, day: date) -> list[SlotTime]:
    """The slots of ``service`` on the store-local ``day``: from each opening to its closing, one duration each,
    ``buffer_minutes`` apart; a slot ends no later than the closing time."""
    slots: list[SlotTime] = []
    length = timedelta(minutes=service.duration_minutes)
    step = length + timedelta(minutes=service.buffer_minutes)
    for hours in store.hours_on(day):
        start = datetime.combine(day, hours.opens, SHANGHAI)
        closes = datetime.combine(day, hours.closes, SHANGHAI)
        while start + length <= closes:
            slots.append(SlotTime(start, start + length))
            start += step
    return slots


def find_slot(store: Store, service: Service, start: datetime) -> SlotTime | None:
    """The slot of ``service`` that starts at ``start`` (any offset), or None: off the grid, outside the opening
    hours or on a closed day."""
    at = local(start)
    return next((s for s in day_slots(store, service, at.date()) if s.start == at), None)


def booking_days(store: Store, service: Service, tier_code: str) -> int:
    """How many days ahead (store-local days after today) a member of ``tier_code`` may book ``service``."""
    by_tier = service.booking_days_by_tier if service.booking_days_by_tier is not None else store.booking_days_by_tier
    default = service.booking_days if service.booking_days is not None else store.booking_days
    return int(by_tier.get(tier_code, default))


def within_window(slot: SlotTime, now: datetime, days: int) -> bool:
    return (slot.day - local(now).date()).days <= days


def released(store: Store, slot: SlotTime, now: datetime) -> bool:
    """Whether the slot's reserved seats are open to everyone (``release_hours`` before it starts)."""
    return now >= slot.start - timedelta(hours=store.release_hours)


def cancellable(store: Store, slot_start: datetime, now: datetime) -> bool:
    return now < slot_start - timedelta(minutes=store.cancel_cutoff_minutes)


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def first_overlap(slot: SlotTime, held: Iterable[tuple[datetime, datetime, str]]) -> str | None:
    """The ID of the first held ``(start, end, id)`` that overlaps ``slot``."""
    return next((ident for start, end, ident in held if overlaps(slot.start, slot.end, start, end)), None)


def recent_no_shows(no_shows: Iterable[str], today: date, days: int) -> int:
    since = today - timedelta(days=days)
    return sum(1 for d in no_shows if date.fromisoformat(d) > since)
