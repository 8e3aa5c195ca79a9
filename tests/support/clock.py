"""Moving ``chalicelib.core.clock`` in tests, and putting it back.

- ``at(2026, 12, 31, 23, 59)``: an instant in Asia/Shanghai (the programme's calendar).
- ``frozen_clock(moment)``: a context manager; inside it the app's clock stands at ``moment`` (or runs, when None)
  and can be moved with ``.set(...)``/``.advance(...)``; after it the clock runs again, whatever happened.
- the ``fake_clock`` fixture (``tests/conftest.py``): the same for one test, running until moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI

__all__ = ["SHANGHAI", "FakeClock", "at", "frozen_clock"]


def at(*args: int) -> datetime:
    """An instant in Asia/Shanghai: ``at(2026, 12, 31, 23, 59)``."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


class FakeClock:
    """The app's clock, as a test moves it."""

    def set(self, moment: datetime | None) -> None:
        """Stand at ``moment`` (aware), or run again with None."""
        clock.set_now(moment)

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move on from now by ``delta`` (or ``timedelta(**parts)``) and stand there; returns the new now."""
        moment = clock.now() + (delta if delta is not None else timedelta(**parts))
        clock.set_now(moment)
        return moment

    def now(self) -> datetime:
        return clock.now()


@contextmanager
def frozen_clock(moment: datetime | None = None) -> Iterator[FakeClock]:
    """The app's clock at ``moment`` (running when None) inside the block, running again after it."""
    clock.set_now(moment)
    try:
        yield FakeClock()
    finally:
        clock.set_now(None)
