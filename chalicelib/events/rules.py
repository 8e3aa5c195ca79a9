"""The events' pure rules: who an event is for, when one registers and checks in, and the waitlist's order and
positions. No I/O: everything here is decided from values the use cases read.

Audience
    An event is for a member when their tier is one of its ``tiers`` (no tiers: every tier) and, when it names
    profile ``tags``, they carry at least one of them. ``invite_only`` without tiers or tags: only the invited.
    A member sees an event when it is for them, or they are invited, registered (in any state) or its host.
    ``invite_only`` with an audience: the audience sees it, only the invited register (403 ``invitation_required``).

Waitlist order
    A waiting place's sort key is ``WAIT#<group>#<ticket>``: tickets are consecutive per event (a counter
    conditioned on its value in the joining transaction), the group is ``0`` for the event's priority tiers when its
    order is ``tiers_first`` and ``1`` otherwise (always ``1`` for ``first_come``). A member's position is 1 + the
    waiting places sorting before theirs, so it is exact and gap-free whoever leaves: there is no stored position to
    renumber.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

CHECK_IN_OPENS_BEFORE = timedelta(hours=1)
WAITLIST_ORDERS = ("first_come", "tiers_first")
PRIORITY_GROUP, OPEN_GROUP = "0", "1"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a venue
CODE_LENGTH = 8
MAX_DURATION = timedelta(days=7)


@dataclass(frozen=True)
class Audience:
    tiers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    invite_only: bool = False

    def includes(self, tier: str, tags: Iterable[str]) -> bool:
        """The member is in the event's circle (invitations aside)."""
        if self.invite_only and not self.tiers and not self.tags:
            return False
        if self.tiers and tier not in self.tiers:
            return False
        return not self.tags or bool(set(self.tags) & set(tags))


def visible(audience: Audience, tier: str, tags: Iterable[str], *, invited: bool, registered: bool,
            host: bool) -> bool:
    return invited or registered or host or audience.includes(tier, tags)


def registration_open(status: str, closes_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """Approved, before the registration close and before the end: afterwards nobody registers or is promoted."""
    return status == "approved" and now < closes_at and now < ends_at


def check_in_open(starts_at: datetime, ends_at: datetime, now: datetime) -> bool:
    """From an hour before the start to the end."""
    return starts_at - CHECK_IN_OPENS_BEFORE <= now <= ends_at


def waitlist_group(order: str, priority_tiers: Iterable[str], tier: str) -> str:
    return PRIORITY_GROUP if order == "tiers_first" and tier in set(priority_tiers) else OPEN_GROUP


def wait_sk(group: str, ticket: int) -> str:
    return f"WAIT#{group}#{ticket:010d}"


def position(mine: str, waiting: Iterable[str]) -> int:
    """1 + the waiting places ahead of ``mine`` (its own sort key excluded)."""
    return 1 + sum(1 for sk in waiting if sk < mine)


def positions(waiting: Iterable[str]) -> dict[str, int]:
    """Every waiting place's position: 1..N in sort-key order, no gaps."""
    return {sk: n for n, sk in enumerate(sorted(waiting), start=1)}


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(code.split()).upper()


def hash_code(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}\n{normalise_code(code)}".encode()).hexdigest()


def code_matches(salt: str, stored_hash: str, code: str) -> bool:
    """Compared in constant time, as hashes (the code is never stored)."""
    return hmac.compare_digest(hash_code(salt, code), stored_hash)


def schedule_issue(starts_at: datetime, ends_at: datetime, closes_at: datetime | None, now: datetime
                   ) -> tuple[str, str] | None:
    """What is wrong with an event's times (field, issue), or None."""
    if ends_at <= starts_at:
        return "ends_at", "must be after starts_at"
    if ends_at - starts_at > MAX_DURATION:
        return "ends_at", "an event lasts at most 7 days"
    if starts_at <= now:
        return "starts_at", "must be in the future"
    if closes_at is not None and closes_at > ends_at:
        return "registration_closes_at", "must not be after ends_at"
    return None


def may_host(tier_rank: int, min_rank: int) -> bool:
    return tier_rank >= min_rank
