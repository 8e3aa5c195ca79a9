"""The membership area's scheduled jobs."""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.observability import logger
from chalicelib.membership import orders, refunds, reminders


def settle_orders(_event: Any = None) -> dict[str, int]:
    """Every 5 minutes: ask WeChat Pay about orders still pending (a lost notification settles the order), close
    those past their payment window; and about refunds still in flight (``refunds.follow_pending``)."""
    counts = orders.settle_pending()
    counts.update({f"refunds_{k}": v for k, v in refunds.follow_pending().items()})
    logger.info("plus orders settled", extra=counts)
    return counts


def send_reminders(_event: Any = None) -> dict[str, int]:
    """Daily: the renewal reminders due today (15 and 3 days before expiry), each once; as of ``clock.as_of()`` (the
    local stage's ``REMINDERS_ON`` day, like the other reminders)."""
    counts = reminders.send_due(clock.as_of())
    logger.info("plus reminders", extra=counts)
    return counts
