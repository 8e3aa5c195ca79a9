"""Times stored in different offsets are compared as instants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.core import clock


def test_instants_compare_whatever_their_offsets() -> None:
    assert clock.is_due("2026-12-02T08:00:00.000+08:00", datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC))
    assert not clock.is_due("2026-12-02T08:00:00.000+08:00", datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC))
    with pytest.raises(ValueError):
        clock.parse("2026-12-02T08:00:00")
