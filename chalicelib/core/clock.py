"""The one source of "now", so tests can move time (expiry, streaks, code lifetimes)."""

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
