"""The one source of "now", so tests can move time (expiry, streaks, code lifetimes).

Times are stored as ISO 8601 text in more than one offset (UTC from ``iso()``, ``+08:00`` where a rule works on
Shanghai wall-clock time): never compare two of them as text; ``parse`` them and compare instants.
"""

from __future__ import annotations

from datetime import UTC, datetime

_fixed: datetime | None = None


def now() -> datetime:
    return _fixed if _fixed is not None else datetime.now(UTC)


def epoch() -> int:
    return int(now().timestamp())


def set_now(value: datetime | None) -> None:
    """Freeze time at ``value`` (aware), or unfreeze with None. Tests only."""
    global _fixed
    _fixed = value


def iso(value: datetime | None = None) -> str:
    return (value or now()).isoformat(timespec="milliseconds")


def parse(value: str) -> datetime:
    """The instant an ISO 8601 text names, whatever its offset; a text without one is refused (its zone is a guess)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"not an instant (no UTC offset): {value!r}")
    return moment


def is_due(at: str, moment: datetime | None = None) -> bool:
    """Has the instant ``at`` (ISO 8601 text, any offset) come by ``moment`` (default: now)?"""
    return parse(at) <= (moment or now())

