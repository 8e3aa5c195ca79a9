"""Staff sign-in that resists guessing: failed sign-ins counted per account and per client IP, each with growing
lockouts, checked before bcrypt runs.

- **Per account** (the username as typed, known or not): every ``ACCOUNT.every`` consecutive failures lock it for
  30 s, then 60 s, 2 min... at most 15 min; a successful sign-in forgets them. Short, because anyone can provoke it.
- **Per client IP**: every ``IP.every`` failures (across accounts) lock the address for 15 min, then 30 min...
  at most 24 h; only a day without failures forgets them (a sign-in to one's own account does not).

The IP lock grows faster and lasts longer than the account lock, and an attempt refused by a lock is not counted:
so one address cannot keep an account locked (it is shut out first, and the account's short lock ends), while
guessing one account from many addresses still meets the account's lock.

Why not ``core.rate_limits``: its fixed windows let a guesser spend the whole quota again in every window, forever,
and cannot grow. A lock here is one small item per subject, read with the other in one BatchGetItem.
"""

from __future__ import annotations

from typing import NamedTuple

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import PutError

from chalicelib.core import clock
from chalicelib.core.dynamo.items import Item
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger

SK = "LOCK"
WRITE_ATTEMPTS = 5  # concurrent failures on one subject: re-read and count again


class Policy(NamedTuple):
    name: str
    every: int  # failures between two lockouts
    first: int  # seconds of the first lockout; each next one doubles
    cap: int  # seconds: no lockout is longer
    forget: int  # seconds without a failure after which the count starts again

    def key(self, subject: str) -> str:
        return f"LOCK#{self.name}#{subject}"

    def lock_seconds(self, lockouts_before: int) -> int:
        return min(self.cap, self.first * (1 << min(lockouts_before, 20)))


ACCOUNT = Policy("staff-account", every=5, first=30, cap=15 * 60, forget=24 * 3600)
IP = Policy("staff-ip", every=20, first=15 * 60, cap=24 * 3600, forget=24 * 3600)


class LockoutItem(Item):
    """``LOCK#<policy>#<subject>`` / ``LOCK``: failed sign-ins of one account or address, and its lockout."""

    failures = NumberAttribute(default=0)
    lockouts = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)  # epoch seconds


def _subjects(username: str, client_ip: str) -> list[tuple[Policy, str]]:
    return [(ACCOUNT, username), (IP, client_ip)]


def refuse_if_locked(username: str, client_ip: str) -> None:
    """429 ``rate_limited`` with ``Retry-After`` while the account or the address is locked (one BatchGetItem)."""
    now = clock.epoch()
    keys = [(policy.key(subject), SK) for policy, subject in _subjects(username, client_ip)]
    waits = [int(item.locked_until) - now for item in LockoutItem.batch_get(keys) if _live(item, now)]
    wait = max((w for w in waits if w > 0), default=0)
    if wait:
        raise AppError("rate_limited", retry_after=wait)


def _live(item: LockoutItem, now: int) -> bool:
    """DynamoDB deletes expired items up to days late: an item past its ``ttl`` counts as gone."""
    return item.ttl is None or item.ttl > now


def record_failure(username: str, client_ip: str) -> None:
    for policy, subject in _subjects(username, client_ip):
        _count(policy, subject)


def forget_account(username: str) -> None:
    """A successful sign-in: the account's failures and lockouts start again (the address's do not)."""
    LockoutItem(pk=ACCOUNT.key(username), sk=SK).delete()


def _count(policy: Policy, subject: str) -> None:
    for _ in range(WRITE_ATTEMPTS):
        now = clock.epoch()
        try:
            current: LockoutItem | None = LockoutItem.get(policy.key(subject), SK, consistent_read=True)
        except LockoutItem.DoesNotExist:
            current = None
        fresh = current is None or not _live(current, now)
        failures = 1 if fresh or current is None else int(current.failures) + 1
        lockouts = 0 if fresh or current is None else int(current.lockouts)
        locked_until = 0 if fresh or current is None else int(current.locked_until)
        if failures % policy.every == 0:
            locked_until = now + policy.lock_seconds(lockouts)
            lockouts += 1
            # No username: people type their password into it by mistake.
            logger.warning("staff sign-in locked",
                           extra={"lock": policy.name, "seconds": locked_until - now, "lockouts": lockouts})
        item = LockoutItem(pk=policy.key(subject), sk=SK, failures=failures, lockouts=lockouts,
                           locked_until=locked_until, ttl=max(now + policy.forget, locked_until))
        condition = (LockoutItem.pk.does_not_exist() if current is None
                     else LockoutItem.failures == current.failures)
        try:
            item.save(condition=condition, add_version_condition=False)
            return
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
    logger.warning("staff sign-in failure not counted: too much contention", extra={"lock": policy.name})
