"""The one source of "now", so tests can move time (expiry, streaks, code lifetimes).

Times are stored as ISO 8601 text in more than one offset (UTC from ``iso()``, ``+08:00`` where a rule works on
Shanghai wall-clock time): never compare two of them as text; ``parse`` them and compare instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

_fixed: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC) + _offset


def epoch() -> int:
    return int(now().timestamp())


def set_now(value: datetime | None) -> None:
    """Freeze time at ``value`` (aware), or unfreeze with None. Tests only."""
    global _fixed
    _fixed = value


def run_from(value: datetime | None) -> None:
    """Let time run on from ``value`` (aware) instead of the real now, or from the real now again with None: a job run
    as of another time (``python -m tools.run_job --as-of``) sees a clock that still moves."""
    global _offset
    _offset = timedelta(0) if value is None else value - datetime.now(UTC)


def iso(value: datetime | None = None) -> str:
    return (value or now()).isoformat(timespec="milliseconds")


def now_iso() -> str:
    """Now as items store an instant: UTC, ISO 8601 with milliseconds."""
    return iso(now().astimezone(UTC))


def today() -> date:
    """The current business day (Asia/Shanghai)."""
    from chalicelib.core.calendar import business_day  # the zone database is read on first use, not at start

    return business_day(now())


def parse(value: str) -> datetime:
    """The instant an ISO 8601 text names, whatever its offset; a text without one is refused (its zone is a guess)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"not an instant (no UTC offset): {value!r}")
    return moment


def is_due(at: str, moment: datetime | None = None) -> bool:
    """Has the instant ``at`` (ISO 8601 text, any offset) come by ``moment`` (default: now)?"""
    return parse(at) <= (moment or now())


AS_OF_VARIABLE = "REMINDERS_ON"


def as_of() -> datetime:
    """Now, as the daily reminder jobs see it: on the local stage ``REMINDERS_ON=<YYYY-MM-DD>`` moves it to that
    Shanghai day at the same wall-clock time, to see or replay a day's reminders (``run_job --as-of`` moves the whole
    clock instead, for every job)."""
    from chalicelib.core.calendar import SHANGHAI
    from chalicelib.core.config import live, settings

    current = now()
    day = live(AS_OF_VARIABLE) if settings().is_local else None
    if not day:
        return current
    local = current.astimezone(SHANGHAI)
    return datetime.combine(date.fromisoformat(day), local.timetz()).astimezone(UTC)
