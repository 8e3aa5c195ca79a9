"""Fixed-window counters in DynamoDB, added to the caller's transaction so they cost no extra call.

A limit is ``(name, max, window seconds)``; a counter item per key and window expires by TTL.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute

from chalicelib.core import clock
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.tx import Tx

SK = "RATE"


@dataclass(frozen=True)
class Limit:
    name: str
    max: int
    window: int

    def key(self, subject: str, now: int | None = None) -> str:
        window_no = (now if now is not None else clock.epoch()) // self.window
        return f"RATE#{self.name}#{subject}#{window_no}"

    def keys_since(self, subject: str, since: int, now: int | None = None) -> list[tuple[str, str]]:
        """The keys of ``subject``'s counters of every window from ``since`` to now, and of the two before (a counter
        lives two windows past its last count, and TTL deletion may lag): those that may still exist."""
        last = (now if now is not None else clock.epoch()) // self.window
        return [(f"RATE#{self.name}#{subject}#{n}", SK) for n in range(min(since // self.window, last) - 2, last + 1)]

    def label(self) -> str:
        return f"rate:{self.name}"


OTP_PER_PHONE_DAY = Limit("otp-phone", 10, 86400)
OTP_PER_IP_HOUR = Limit("otp-ip", 30, 3600)
LOGIN_FAILURES_PER_IP_HOUR = Limit("login-fail-ip", 50, 3600)


def count_in(tx: Tx, limit: Limit, subject: str) -> None:
    """Add one to the window's counter inside ``tx``; the transaction fails (label ``rate:<name>``) at the cap."""
    now = clock.epoch()
    item = CounterItem(pk=limit.key(subject, now), sk=SK)
    tx.update(
        limit.label(),
        item,
        [CounterItem.count.add(1), CounterItem.ttl.set(now + limit.window * 2)],
        CounterItem.count.does_not_exist() | (CounterItem.count < limit.max),
    )


def check_in(tx: Tx, limit: Limit, subject: str) -> None:
    """Fail ``tx`` (label ``rate:<name>``) if the window's counter is at the cap, without counting."""
    tx.check(
        limit.label(),
        CounterItem,
        limit.key(subject),
        SK,
        CounterItem.count.does_not_exist() | (CounterItem.count < limit.max),
    )


def count(limit: Limit, subject: str) -> int:
    """Add one outside a transaction and return the new count."""
    now = clock.epoch()
    item = CounterItem(pk=limit.key(subject, now), sk=SK)
    item.update(actions=[CounterItem.count.add(1), CounterItem.ttl.set(now + limit.window * 2)])
    return int(item.count)


class CounterItem(Item):
    """``RATE#<scope>#<key>#<window>`` / ``RATE``: a fixed-window rate-limit counter."""

    count = NumberAttribute(default=0)  # type: ignore[assignment]  # the stored name; shadows Model.count()
