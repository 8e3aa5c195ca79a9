"""Moving ``chalicelib.core.clock`` in tests, and putting it back.

- ``at(2026, 12, 31, 23, 59)``: an instant in Asia/Shanghai (the programme's calendar).
- ``frozen_clock(moment)``: the app's clock stands at ``moment`` (runs, when None) inside the block, and runs
  again after it, whatever happened. Fixtures that freeze time for a test (``with frozen_clock(at(...)): yield``)
  and fixtures that only promise a running clock afterwards (``with frozen_clock(): yield``) both use it; inside
  such a block a test moves time on with ``clock.set_now(...)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI

__all__ = ["SHANGHAI", "at", "frozen_clock"]


def at(*args: int) -> datetime:
    """An instant in Asia/Shanghai: ``at(2026, 12, 31, 23, 59)``."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@contextmanager
def frozen_clock(moment: datetime | None = None) -> Iterator[None]:
    """The app's clock at ``moment`` (running when None) inside the block, running again after it."""
    clock.set_now(moment)
    try:
        yield
    finally:
        clock.set_now(None)
